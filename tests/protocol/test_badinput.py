"""Bad input: overlong lines, oversized literals, garbage, broken
connections.  None of it may crash the server or end other sessions."""
import os
import random
import socket
import time

import imaptest


def alive(server):
    r = server.raw()
    r.ok("LOGIN alice secret")
    r.ok("SELECT INBOX")
    r.close()


def test_overlong_line(server):
    r = server.raw()
    r.send(b"a NOOP " + b"x" * 200000 + b"\r\n")
    resp = r.response()
    while not (resp.startswith(b"a ") or resp.startswith(b"* BYE")):
        assert resp.startswith(b"*"), resp
        if b"BAD" in resp:
            break
        resp = r.response()
    if resp.startswith(b"* BYE"):
        assert r.closed()
    else:
        assert b"BAD" in resp, resp
        r.ok("NOOP")                 # the rest of the line was discarded
    r.close()
    alive(server)


def test_overlong_line_then_literal(server):
    r = server.raw()
    r.ok("LOGIN alice secret")
    r.send(b"a SEARCH " + b"SUBJECT x " * 5000 + b"{5}\r\n")
    resp = r.response()
    while resp.startswith(b"* ") and b"BAD" not in resp and b"BYE" not in resp:
        resp = r.response()
    assert b"BAD" in resp or b"BYE" in resp, resp
    r.close()
    alive(server)


def test_literal_too_big(server):
    r = server.raw()
    r.ok("LOGIN alice secret")
    r.send("a APPEND INBOX {4000000000}\r\n")
    resp = r.response()
    assert resp.startswith(b"a NO") and b"[TOOBIG]" in resp, resp
    r.ok("NOOP")
    r.send("b APPEND INBOX {%d}\r\n" % (64 * 1024 * 1024 + 1))
    resp = r.response()
    assert resp.startswith(b"b NO") and b"[TOOBIG]" in resp, resp
    r.ok("NOOP")
    r.close()


def test_literal_too_big_nonsync(server):
    """{n+} the client sends at once: refused, and the bytes that follow are
    never taken as commands (BAD/NO then resync, or BYE)."""
    r = server.raw()
    r.ok("LOGIN alice secret")
    r.send("a APPEND INBOX {99999999999+}\r\nb LOGOUT\r\n")
    resp = r.response()
    assert b"BYE" in resp or resp.startswith(b"a NO") or resp.startswith(b"a BAD"), resp
    r.close()
    alive(server)


def test_garbage_lines(server):
    r = server.raw()
    rnd = random.Random(3)
    for _ in range(50):
        junk = bytes(rnd.randrange(1, 256) for _ in range(rnd.randrange(1, 200)))
        junk = junk.replace(b"\r", b"").replace(b"\n", b"").replace(b"{", b"")
        r.send(junk + b"\r\n")
    r.send(b"zz NOOP\r\n")
    while True:
        try:
            resp = r.response()
        except EOFError:
            break                    # a BYE'd connection is fine too
        if resp.startswith(b"zz "):
            assert b"OK" in resp
            break
        assert b"BAD" in resp or b"BYE" in resp or resp.startswith(b"+"), resp
    r.close()
    alive(server)


def test_nul_and_8bit(server):
    r = server.raw()
    r.ok("LOGIN alice secret")
    for line in (b"a SELECT \x00INBOX", b"b SELECT \"IN\x00BOX\"", b"c CREATE \xff\xfe",
                 b"\x00\x00\x00", b"d LIST \"\" \"\x7f*\""):
        r.send(line + b"\r\n")
    r.send(b"e NOOP\r\n")
    _, t = r.until("e")
    assert t.startswith("e OK")
    r.close()
    alive(server)


def test_abrupt_disconnects(seeded_server):
    for payload in (b"a LOGIN alice secret\r\nb SELECT INBOX\r\nc FETCH 1:* BODY[]\r\n",
                    b"a LOGIN alice secret\r\nb APPEND INBOX {100000}\r\n" + b"x" * 5000,
                    b"a LOGIN {5}\r\nal",
                    b"a AUTHENTICATE PLAIN\r\n"):
        s = socket.create_connection((seeded_server.host, seeded_server.port))
        s.sendall(payload)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()                    # RST
    time.sleep(0.3)
    alive(seeded_server)
    r = seeded_server.raw()
    r.ok("LOGIN alice secret")
    assert b"* 3 EXISTS" in r.ok("SELECT INBOX")   # aborted APPEND left nothing
    r.close()


def test_half_close_still_answers(server):
    s = socket.create_connection((server.host, server.port))
    s.sendall(b"a LOGIN alice secret\r\nb LOGOUT\r\n")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(10 * imaptest.SLOW)
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    assert b"a OK" in data and b"* BYE" in data, data
    s.close()
