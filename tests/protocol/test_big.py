"""A 50 MiB APPEND streams to the store and a FETCH streams it back
byte-exact, without the server's memory growing (tools/test runs this on
the 4 KiB-buffer build too)."""
import hashlib
import re

import pytest

import imaptest

SIZE = 50 * 1024 * 1024


@pytest.fixture
def server(tmp_path):
    """The store keeps room for compaction and a reserve, so a 64 MiB image
    rightly refuses a 50 MiB message ([OVERQUOTA]); this test is about
    streaming, so it gets a device with room (sparse: costs what is used)."""
    srv = imaptest.Server(imaptest.make_image(tmp_path, size="256M")).start()
    yield srv
    srv.stop()


def big_message():
    head = b"Subject: fifty mebibytes\r\nFrom: big@example.org\r\n\r\n"
    line_len = 64
    n = (SIZE - len(head)) // line_len
    body = b"".join(b"%061d\r\n" % i + b"." for i in range(n))  # 64-byte lines
    body = body[:SIZE - len(head)]
    msg = head + body
    msg += b"x" * (SIZE - len(msg))
    assert len(msg) == SIZE
    return msg


def test_append_and_fetch_50mib(server):
    msg = big_message()
    digest = hashlib.sha256(msg).hexdigest()
    pid = server.proc.pid
    r = server.raw()
    r.ok("LOGIN alice secret")
    hwm_before = imaptest.proc_kib(pid, "VmHWM")
    r.send(b"a APPEND INBOX (\\Seen) {%d}\r\n" % SIZE)
    assert r.line().startswith(b"+")
    view = memoryview(msg)
    for off in range(0, SIZE, 1 << 20):
        r.send(view[off:off + (1 << 20)])
    r.send(b"\r\n")
    _, t = r.until("a")
    assert t.startswith("a OK"), t
    u = r.ok("SELECT INBOX")
    assert b"* 1 EXISTS" in u
    u = r.ok("FETCH 1 RFC822.SIZE")
    assert b"RFC822.SIZE %d" % SIZE in u[0]
    r.send(b"f FETCH 1 BODY.PEEK[]\r\n")
    first = r.line()
    m = re.match(rb"\* 1 FETCH \(.*BODY\[\] \{(\d+)\}$", first)
    assert m and int(m.group(1)) == SIZE, first
    h = hashlib.sha256()
    left = SIZE
    while left:
        chunk = r.read_exact(min(left, 1 << 20))
        h.update(chunk)
        left -= len(chunk)
    assert h.hexdigest() == digest
    rest = r.line()
    assert rest.endswith(b")"), rest
    _, t = r.until("f")
    assert t.startswith("f OK")
    # partial from the middle
    u = r.ok("FETCH 1 BODY.PEEK[]<30000000.100>")
    assert imaptest.literal(u[0], "BODY[]<30000000>") == msg[30000000:30000100]
    hwm_after = imaptest.proc_kib(pid, "VmHWM")
    if imaptest.SLOW == 1:           # ASan's shadow memory makes RSS noisy
        assert hwm_after - hwm_before < 8 * 1024, (hwm_before, hwm_after)
    r.close()
