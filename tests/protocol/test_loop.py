"""The POSIX loop: pipelining, input split anywhere, a peer that stops
reading, many clients at once."""
import socket
import threading
import time

import imaptest
from imaptest import fetch_map, login_select


def test_pipelined_commands(server):
    r = server.raw()
    r.send(b"".join(b"p%d NOOP\r\n" % i for i in range(300)))
    for i in range(300):
        _, t = r.until("p%d" % i)
        assert t == "p%d OK NOOP completed" % i or t.startswith("p%d OK" % i)
    r.close()


def test_input_split_at_every_byte(server):
    s = socket.create_connection((server.host, server.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    assert f.readline().startswith(b"* OK")
    for b in b'a LOGIN "alice" {6}\r\n':
        s.sendall(bytes([b]))
        time.sleep(0.001)
    assert f.readline().startswith(b"+")
    for b in b"secret\r\nb SELECT INBOX\r\n":
        s.sendall(bytes([b]))
    line = f.readline()
    assert line.startswith(b"a OK"), line
    while not line.startswith(b"b "):
        line = f.readline()
    assert line.startswith(b"b OK")
    s.close()


def test_stalled_reader_does_not_block_others(server):
    msg = b"Subject: big\r\n\r\n" + b"y" * (4 << 20) + b"\r\n"
    c = server.login()
    c.append("INBOX", None, None, msg)
    c.logout()
    a = server.raw()
    a.ok("LOGIN alice secret")
    a.ok("SELECT INBOX")
    a.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    a.send(b"".join(b"f%d FETCH 1 BODY.PEEK[]\r\n" % i for i in range(5)))
    time.sleep(0.5)                  # a's socket buffers fill; a reads nothing
    b, _ = login_select(server)
    t0 = time.monotonic()
    for _ in range(20):
        b.ok("NOOP")
    fm = fetch_map(b.ok("FETCH 1 RFC822.SIZE"))
    assert b"RFC822.SIZE %d" % len(msg) in fm[1]
    assert time.monotonic() - t0 < 2 * imaptest.SLOW
    b.close()
    a.close()                         # the server drops a, then serves on
    r = server.raw()
    r.ok("NOOP")
    r.close()


def test_many_clients_append_concurrently(server):
    # The board serves 4 sessions (boards/qemu-mps2-an385/board_opts.h).
    n_clients, per_client = (4 if imaptest.FIRMWARE else 10), 8
    errors = []

    def worker(k):
        try:
            c = server.login()
            for i in range(per_client):
                typ, _ = c.append("INBOX", None, None,
                                  b"Subject: c%d-m%d\r\n\r\nbody\r\n" % (k, i))
                assert typ == "OK"
            c.logout()
        except Exception as e:       # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    r, u = login_select(server)
    total = n_clients * per_client
    assert b"* %d EXISTS" % total in u
    fm = fetch_map(r.ok("FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
    uids = sorted(int(v.split(b"UID ")[1].split()[0]) for v in fm.values())
    assert uids == list(range(1, total + 1))
    subjects = {v.split(b"Subject: ")[1].split(b"\r\n")[0] for v in fm.values()}
    assert len(subjects) == total
    r.close()


def test_idle_session_woken_by_deadline(server):
    """An IDLE session has no I/O of its own: the loop must step it at its
    deadline so that another session's APPEND reaches it."""
    a, _ = login_select(server)
    caps = b" ".join(a.ok("CAPABILITY"))
    if b"IDLE" not in caps:
        a.close()
        return
    a.send(b"i IDLE\r\n")
    assert a.line().startswith(b"+")
    c = server.login()
    c.append("INBOX", None, None, b"Subject: wake\r\n\r\nup\r\n")
    c.logout()
    a.sock.settimeout(10 * imaptest.SLOW)
    t0 = time.monotonic()
    line = a.line()
    while not line.endswith(b" EXISTS"):
        line = a.line()
    assert line == b"* 1 EXISTS"
    assert time.monotonic() - t0 < 5 * imaptest.SLOW
    a.send(b"DONE\r\n")
    _, t = a.until("i")
    assert t.startswith("i OK")
    a.close()


def test_commands_after_logout_do_not_cost_the_answer(server):
    """Input still arriving after LOGOUT must not make the server reset the
    connection before the client has read BYE and the tagged OK."""
    for _ in range(5):
        s = socket.create_connection((server.host, server.port))
        s.recv(1000)
        s.sendall(b"a LOGOUT\r\n" + b"b NOOP\r\n" * 5000)
        time.sleep(0.1)
        data = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
        except ConnectionResetError:
            pass
        s.close()
        assert b"* BYE" in data and b"a OK" in data, data[-200:]
