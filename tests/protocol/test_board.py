"""The firmware under QEMU only (IMAPD_BIN=tools/qemu-run): a fault is
reported on the UART and stops the board, it never serves on; the stop
prints the run-time high-water marks; mail survives a reboot and the image
is the host's format (imapctl reads it after)."""
import os
import re
import subprocess

import pytest

import imaptest

pytestmark = pytest.mark.skipif(not imaptest.FIRMWARE,
                                reason="firmware under QEMU only")


def boot_console(image):
    p = subprocess.Popen([imaptest.IMAPD, "--image", image, "--listen",
                          "127.0.0.1:0", "--allow-plaintext", "--console"],
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    for raw in p.stderr:
        if re.match(rb"imapd: listening on .*:(\d+)", raw):
            port = int(raw.split(b":")[-1])
            return p, port
    raise AssertionError("firmware did not start: " + str(p.wait()))


@pytest.mark.parametrize("key,reason", [(b"!", "stack overflow"),
                                        (b"#", "bus fault")])
def test_fault_is_reported_and_stops(image, key, reason):
    p, port = boot_console(image)
    p.stdin.write(key)
    p.stdin.flush()
    rc = p.wait(60 * imaptest.SLOW)
    log = p.stderr.read().decode(errors="replace")
    assert rc == 70, (rc, log)
    assert "FAULT: " + reason in log, log
    assert "CFSR" in log and "stopped." in log, log


def test_stop_prints_high_water_marks_and_image_is_readable(image):
    with imaptest.Server(image) as srv:
        c = srv.login()
        c.append("INBOX", None, None, b"Subject: board\r\n\r\n" + b"b" * 9000 + b"\r\n")
        c.logout()
    log = srv.log_text()
    for what in ("stack", "lwIP heap", "PBUF_POOL", "mbedTLS heap", "sessions max"):
        assert re.search(r"stats: .*" + re.escape(what), log), log
    used = int(re.search(r"stats: stack (\d+) of (\d+)", log).group(1))
    assert 0 < used < 8192
    r = imaptest.imapctl("ls", image, "alice", "INBOX")
    assert "board" in r.stdout
    r = imaptest.imapctl("fsck", image)
    assert "0 problems" in r.stdout
