"""The daemon: persistence across a restart, SIGTERM, the session limit,
several listeners, config file, start-up errors."""
import os
import re
import socket
import subprocess
import time

import pytest

import imaptest
from imaptest import fetch_map, login_select

# The firmware (IMAPD_BIN=tools/qemu-run) reads no config file.
host_only = pytest.mark.skipif(imaptest.FIRMWARE,
                               reason="host daemon only: config file")


def test_persistence_across_restart(image):
    with imaptest.Server(image) as srv:
        c = srv.login()
        c.create("Keep")
        c.subscribe("Keep")
        for i in range(3):
            c.append("Keep", "(\\Flagged)", None, b"Subject: p%d\r\n\r\nbody %d\r\n" % (i, i))
        c.select("Keep")
        uv = c.response("UIDVALIDITY")[1][0]
        c.store("2", "+FLAGS", "(\\Deleted)")
        c.expunge()
        c.store("2", "+FLAGS", "(\\Seen $Kw)")     # uid 3, now seq 2
        c.logout()
    with imaptest.Server(image) as srv:
        r, u = login_select(srv, "Keep")
        assert b"* 2 EXISTS" in u
        text = b" ".join(u)
        assert b"UIDVALIDITY " + uv in text
        assert re.search(rb"UIDNEXT 4", text)
        fm = fetch_map(r.ok("FETCH 1:* (UID FLAGS BODY.PEEK[])"))
        assert b"UID 1" in fm[1] and b"UID 3" in fm[2]
        assert imaptest.flags_of(fm[2]) >= {"\\Seen", "$Kw", "\\Flagged"}
        assert imaptest.literal(fm[2], "BODY[]") == b"Subject: p2\r\n\r\nbody 2\r\n"
        assert b"Keep" in b" ".join(r.ok('LSUB "" "*"'))
        # UIDs are never reused: the next APPEND gets 4
        msg = b"Subject: after\r\n\r\nx\r\n"
        r.send(b"a APPEND Keep {%d+}\r\n" % len(msg) + msg + b"\r\n")
        r.until("a")
        assert b"UID 4" in fetch_map(r.ok("NOOP") + r.ok("FETCH 3 UID"))[3]
        r.close()


def test_sigterm_sends_bye_and_exits_0(image):
    srv = imaptest.Server(image).start()
    a = srv.raw()
    a.ok("LOGIN alice secret")
    a.ok("SELECT INBOX")
    b = srv.raw()                                # not logged in
    srv.proc.send_signal(15)
    for r in (a, b):
        assert r.closed()
        assert re.search(rb"\* BYE", bytes(r.buf)), bytes(r.buf)
    assert srv.stop() == 0


def test_sigint_exits_0(image):
    srv = imaptest.Server(image).start()
    c = srv.login()
    srv.proc.send_signal(2)
    assert srv.proc.wait(20 * imaptest.SLOW) == 0
    srv.proc = None
    c.sock.close()


def test_session_limit_bye(server):
    conns = []
    bye = None
    try:
        for _ in range(300):
            s = socket.create_connection((server.host, server.port), timeout=10)
            f = s.makefile("rb")
            line = f.readline()
            if line.startswith(b"* BYE"):
                bye = s
                assert f.readline() == b""        # and closed
                break
            assert line.startswith(b"* OK"), line
            conns.append((s, f))
        assert bye is not None, "no BYE after 300 connections"
        assert len(conns) >= 1
        # a free slot is usable again
        conns.pop()[0].close()
        deadline = time.monotonic() + 10
        while True:
            s = socket.create_connection((server.host, server.port), timeout=10)
            line = s.makefile("rb").readline()
            if line.startswith(b"* OK") or time.monotonic() > deadline:
                break
            s.close()
            time.sleep(0.05)
        assert line.startswith(b"* OK")
        s.close()
    finally:
        for s, _ in conns:
            s.close()
        if bye:
            bye.close()


def test_two_listeners_and_ipv6(image):
    listen = ["127.0.0.1:0", "127.0.0.1:0"]
    # QEMU and libslirp (the lwIP build) forward IPv4 only
    if socket.has_ipv6 and not imaptest.FIRMWARE and not imaptest.LWIP:
        try:
            socket.socket(socket.AF_INET6).bind(("::1", 0))
            listen.append("[::1]:0")
        except OSError:
            pass
    with imaptest.Server(image, listen=listen) as srv:
        assert len(srv.listening) == len(listen)
        for host, port in srv.listening:
            r = imaptest.Raw(host, port)
            assert r.greeting.startswith(b"* OK")
            r.ok("LOGIN alice secret")
            r.close()


@host_only
def test_config_file(tmp_path, image):
    conf = tmp_path / "imapd.conf"
    conf.write_text(f"# test config\nimage = {image}\nlisten = 127.0.0.1:0\n"
                    "allow_plaintext = yes\n")
    srv = imaptest.Server(image)
    srv.cmd = [imaptest.IMAPD, "--config", str(conf)]
    srv._nlisten = lambda: 1
    with srv:
        srv.login().logout()


def test_connection_log_lines(server):
    c = server.login()
    c.logout()
    r = server.raw()
    r.cmd("LOGIN alice wrong")
    r.close()
    time.sleep(0.2)
    log = server.log_text()
    # one line per event, each with a timestamp
    for line in log.splitlines():
        if "listening on" in line:
            continue
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line), line
    assert "secret" not in log and "wrong" not in log


def run_imapd(*args):
    return subprocess.run([imaptest.IMAPD, *args], capture_output=True,
                          text=True, timeout=30 * imaptest.SLOW)


def test_startup_errors(tmp_path, image):
    cases = [
        (["--listen", "127.0.0.1:0"], "image"),
        (["--image", image], "listen"),
        (["--image", str(tmp_path / "missing.img"), "--listen", "127.0.0.1:0"], "missing.img"),
        (["--image", image, "--listen", "nonsense"], "nonsense"),
        (["--image", image, "--listen", "127.0.0.1:99999"], "port"),
        (["--image", image, "--listen-tls", "127.0.0.1:0"], "TLS"),
        (["--image", image, "--bogus"], "bogus"),
        (["--config", str(tmp_path / "nope.conf")], "nope.conf"),
    ]
    garbage = tmp_path / "garbage.img"
    garbage.write_bytes(b"this is not an image" * 1000)
    cases.append((["--image", str(garbage), "--listen", "127.0.0.1:0"], "not an imapd image"))
    for args, word in cases:
        r = run_imapd(*args)
        assert r.returncode != 0, args
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, (args, r.stderr)
        assert lines[0].startswith("imapd: ") and word in lines[0], (args, lines)


def test_image_in_use(server):
    r = imaptest.imapctl("ls", server.image, check=False)
    assert r.returncode != 0 and "in use" in r.stderr
    r = run_imapd("--image", server.image, "--listen", "127.0.0.1:0")
    assert r.returncode == 1 and "in use" in r.stderr


def test_sigterm_during_append_and_stalled_fetch(image):
    srv = imaptest.Server(image).start()
    c = srv.login()
    c.append("INBOX", None, None, b"Subject: big\r\n\r\n" + b"z" * (4 << 20) + b"\r\n")
    c.logout()
    a = srv.raw()                      # an APPEND half sent
    a.ok("LOGIN alice secret")
    a.send(b"a APPEND INBOX {10000000}\r\n")
    assert a.line().startswith(b"+")
    a.send(b"x" * 3000000)
    b = srv.raw()                      # a big FETCH nobody reads
    b.ok("LOGIN alice secret")
    b.ok("SELECT INBOX")
    b.send(b"".join(b"f%d FETCH 1 BODY.PEEK[]\r\n" % i for i in range(4)))
    time.sleep(0.3)
    t0 = time.monotonic()
    assert srv.stop() == 0
    assert time.monotonic() - t0 < 15 * imaptest.SLOW
    a.close()
    b.close()
    r = imaptest.imapctl("fsck", image)
    assert "1 messages" in r.stdout and "0 problems" in r.stdout
    with imaptest.Server(image) as srv2:
        r, u = login_select(srv2)
        assert b"* 1 EXISTS" in u        # the cut APPEND left nothing
        r.close()


@host_only
def test_config_file_errors_and_precedence(tmp_path, image):
    def conf(text):
        p = tmp_path / "c.conf"
        p.write_text(text)
        return str(p)

    for text, word in (("bogus = 1\n", "bogus"),
                       ("allow_plaintext = maybe\n", "maybe"),
                       ("just words\n", "key = value"),
                       ("log_level = loud\n", "loud")):
        r = run_imapd("--config", conf(text), "--image", image, "--listen", "127.0.0.1:0")
        lines = r.stderr.strip().splitlines()
        assert r.returncode != 0 and len(lines) == 1, (text, r.stderr)
        assert lines[0].startswith("imapd: ") and word in lines[0], (text, lines)
        assert "c.conf:1" in lines[0]

    # the command line wins over the file: a wrong image and port in the
    # file, the right ones on the command line; comments and blank lines
    path = conf("# comment\n\n  image = /nonexistent.img   # trailing comment\n"
                "listen = 127.0.0.1:1\nallow_plaintext = no\n")
    srv = imaptest.Server(image, args=["--config", path])
    with srv:
        assert srv.login() is not None       # --allow-plaintext from argv won


@host_only
def test_config_greeting(tmp_path, image):
    p = tmp_path / "g.conf"
    p.write_text("greeting = router-mail\n")
    with imaptest.Server(image, args=["--config", str(p)]) as srv:
        r = srv.raw()
        assert b"router-mail" in r.greeting
        r.close()
    p.write_text('greeting = bad"name\n')
    r = run_imapd("--config", str(p), "--image", image, "--listen", "127.0.0.1:0")
    assert r.returncode != 0 and "greeting" in r.stderr
