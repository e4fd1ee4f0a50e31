"""The daemon on lwIP: starvation with tiny pools, vanishing clients.

Every server here must exit 0 at SIGTERM, which on lwIP means its exit
check found every pool and the heap back where they were before the first
connection (TIME_WAIT PCBs aside)."""
import os
import re
import socket
import time

import pytest

import imaptest

# The tiny-pools build of the same daemon (ctest sets $IMAPD_TINY_BIN).
TINY = os.environ.get("IMAPD_TINY_BIN") or os.path.join(
    os.path.dirname(imaptest.IMAPD), "imapd-tiny")

pytestmark = pytest.mark.skipif(not imaptest.LWIP,
                                reason="the daemon on lwIP only")

BIG = b"Subject: big\r\n\r\n" + b"0123456789abcdef" * 65536 + b"\r\n"   # 1 MiB


def stats(log):
    """{pool: (max, avail, err)} from the exit statistics."""
    out = {}
    for m in re.finditer(r"lwip stats: pool (\w+) max (\d+) of (\d+), err (\d+)", log):
        out[m.group(1)] = tuple(int(x) for x in m.group(2, 3, 4))
    return out


def append_big(srv):
    c = srv.login()
    c.append("INBOX", None, None, BIG)
    c.logout()


def stalled_fetch(srv):
    """A client that asks for a big body and never reads it."""
    s = socket.create_connection((srv.host, srv.port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.recv(1024)
    s.sendall(b"a LOGIN alice secret\r\nb SELECT INBOX\r\n"
              b"c FETCH 1:* BODY[]\r\n")
    return s


def test_tiny_pools_flood_and_stalled_reader(seeded):
    """4 PCBs, 10 pool pbufs, a 12 KiB heap: two working sessions, one that
    stops reading, a flood of connections.  The flood is refused (lwIP has
    no PCB for it), the stalled reader is held back (its send buffer full),
    and the working sessions still complete their commands."""
    srv = imaptest.Server(seeded, args=())
    srv.cmd[0] = TINY
    srv.start()
    try:
        append_big(srv)
        good = [srv.raw() for _ in range(2)]
        for r in good:
            r.ok("LOGIN alice secret")
        stalled = stalled_fetch(srv)
        time.sleep(0.5)
        flood = []
        for _ in range(20):
            try:
                flood.append(socket.create_connection((srv.host, srv.port), timeout=2))
            except OSError:
                pass
        for s in flood:
            s.setblocking(False)
        for rounds in range(3):
            for r in good:
                u = r.ok("SELECT INBOX")
                assert imaptest.untagged_has(u, rb"\* 4 EXISTS")
                u = r.ok("FETCH 1:3 (UID FLAGS BODY.PEEK[HEADER])")
                assert len(imaptest.fetch_map(u)) == 3
                u = r.ok("FETCH 4 BODY.PEEK[]<0.100000>")
                assert len(u[0]) > 100000
        greeted = 0
        for s in flood:
            try:
                greeted += s.recv(100).startswith(b"* OK")
            except OSError:
                pass
        assert greeted < len(flood), "the flood was not held back"
        for r in good:
            r.ok("LOGOUT")
            r.close()
        stalled.close()
        for s in flood:
            s.close()
        time.sleep(0.5)
        # the server still serves a new client after the storm
        c = srv.login()
        c.select("INBOX")
        c.logout()
    finally:
        rc = srv.stop(expect_rc=None)
    log = srv.log_text()
    assert rc == 0, log
    st = stats(log)
    assert st["TCP_PCB"][2] > 0 or st["PBUF_POOL"][2] > 0, log   # it did starve
    assert "nothing leaked" in log, log


def test_vanishing_clients_free_everything(seeded_server_lwip):
    """Clients that reset mid-command, mid-literal and mid-FETCH, and one
    whose process dies: their sessions close and lwIP gets back every PCB,
    segment, pbuf and heap byte (checked at exit)."""
    srv = seeded_server_lwip
    append_big(srv)
    for payload in (b"a LOGIN alice secret\r\nb SELECT INBOX\r\nc FETCH 1:* BODY[]\r\n",
                    b"a LOGIN alice secret\r\nb APPEND INBOX {100000}\r\n" + b"x" * 30000,
                    b"a LOGIN alice secret\r\nb IDLE\r\n"):
        s = socket.create_connection((srv.host, srv.port))
        s.sendall(payload)
        time.sleep(0.2)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()                    # RST
    s = stalled_fetch(srv)           # a reader that stops, then vanishes
    time.sleep(0.5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    end = time.monotonic() + 10
    while time.monotonic() < end:
        if len(re.findall(r": disconnect", srv.log_text())) >= 5:
            break
        time.sleep(0.1)
    r = srv.raw()
    r.ok("LOGIN alice secret")
    assert imaptest.untagged_has(r.ok("SELECT INBOX"), rb"\* 4 EXISTS")
    r.close()
    srv.stop()
    log = srv.log_text()
    assert "nothing leaked" in log, log


@pytest.fixture
def seeded_server_lwip(seeded):
    srv = imaptest.Server(seeded).start()
    yield srv
    if srv.proc is not None:
        srv.stop()


def test_silent_clients_time_out(seeded_server_lwip):
    """Clients that go silent before logging in (one after the greeting, one
    in the middle of a command line) are logged out at the engine's pre-login
    timeout (60 s); their PCBs and buffers go back to lwIP."""
    srv = seeded_server_lwip
    quiet = socket.create_connection((srv.host, srv.port), timeout=10)
    half = socket.create_connection((srv.host, srv.port), timeout=10)
    for s in (quiet, half):
        assert s.recv(200).startswith(b"* OK")
    half.sendall(b"a LOGIN alice")               # no end of line, ever
    # meanwhile a working client is not disturbed
    r = srv.raw()
    r.ok("LOGIN alice secret")
    r.ok("LOGOUT")
    r.close()
    for s in (quiet, half):
        s.settimeout(120 * imaptest.SLOW)
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
        assert b"* BYE" in data, data
        s.close()
    srv.stop()
    assert "nothing leaked" in srv.log_text(), srv.log_text()
