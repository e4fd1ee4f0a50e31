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
    for what in ("stack", "lwIP heap", "PBUF_POOL", "heap max", "sessions max"):
        assert re.search(r"stats: .*" + re.escape(what), log), log
    used = int(re.search(r"stats: stack (\d+) of (\d+)", log).group(1))
    assert 0 < used < 8192
    # the total is static RAM plus the high-water marks, and the LOGIN's
    # PBKDF2 used the heap
    m = re.search(r"stats: RAM total (\d+) B = static (\d+) \+ heap max (\d+)"
                  r" \+ stack max (\d+) \+ exception stack max (\d+)", log)
    assert m, log
    total, static, heap, stack, mstack = map(int, m.groups())
    assert total == static + heap + stack + mstack
    assert heap > 0 and stack == used
    r = imaptest.imapctl("ls", image, "alice", "INBOX")
    assert "board" in r.stdout
    r = imaptest.imapctl("fsck", image)
    assert "0 problems" in r.stdout


def test_tls_nv_seed_kept_in_the_image_and_renewed_every_boot(image):
    """mbedTLS's NV seed lives in the image: the first boot has none, makes
    one from the board's entropy and saves it (1), then saves the next
    boot's seed (2); a later boot reads the saved one and only renews it."""
    imaptest.imapctl("cert", "gen", image, "--cn", "localhost")
    renewed = []
    for _ in range(2):
        with imaptest.Server(image) as srv:
            srv.login().logout()
        log = srv.log_text()
        assert "TLS ready" in log, log
        renewed.append(log.count("TLS: NV seed in the image renewed"))
    assert renewed == [2, 1], renewed
    r = imaptest.imapctl("fsck", image)
    assert "0 problems" in r.stdout
