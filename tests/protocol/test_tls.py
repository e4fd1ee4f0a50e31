"""TLS: implicit TLS (--listen-tls), STARTTLS on plain ports, the
STARTTLS injection family, bad handshakes, old protocols refused."""
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import imaplib

import pytest

import imaptest

OPENSSL = shutil.which("openssl")


def tls_image(image, cn="localhost"):
    imaptest.imapctl("cert", "gen", image, "--cn", cn)
    return image


class TlsServer(imaptest.Server):
    """imapd with a plain port (STARTTLS) and an implicit-TLS port."""

    def __init__(self, image, allow_plaintext=False, args=()):
        super().__init__(image, allow_plaintext=allow_plaintext,
                         args=["--listen-tls", "127.0.0.1:0", "--log-level",
                               "debug", *args])

    def start(self, timeout=20):
        super().start(timeout)
        m = self.wait_log(r"listening on 127\.0\.0\.1:(\d+) \(TLS\)")
        self.tls_port = int(m.group(1))
        return self


def record_in(srv):
    """The build's incoming TLS record size, from the start-up line."""
    return int(srv.wait_log(r"records in (\d+)/out").group(1))


def client_ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class TlsRaw:
    """A TLS client over a plain socket through ssl.MemoryBIO, so a test
    can send raw bytes before, around and under TLS."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout * imaptest.SLOW)
        self.tls = None
        self.buf = bytearray()

    def send_plain(self, data):
        self.sock.sendall(data)

    def read_plain_line(self):
        while b"\r\n" not in self.buf:
            d = self.sock.recv(4096)
            if not d:
                raise EOFError(bytes(self.buf))
            self.buf += d
        line, _, rest = bytes(self.buf).partition(b"\r\n")
        self.buf = bytearray(rest)
        return line

    def handshake(self):
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = client_ctx().wrap_bio(self.inc, self.out)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                d = self.sock.recv(16384)
                if not d:
                    raise EOFError("closed during the handshake")
                self.inc.write(d)
        self._flush()

    def _flush(self):
        d = self.out.read()
        if d:
            self.sock.sendall(d)

    def send(self, data):
        self.tls.write(data)
        self._flush()

    def read_line(self):
        while b"\r\n" not in self.buf:
            try:
                d = self.tls.read(16384)
                if not d:
                    raise EOFError(bytes(self.buf))
                self.buf += d
                continue
            except ssl.SSLWantReadError:
                pass
            d = self.sock.recv(16384)
            if not d:
                raise EOFError(bytes(self.buf))
            self.inc.write(d)
        line, _, rest = bytes(self.buf).partition(b"\r\n")
        self.buf = bytearray(rest)
        return line

    def until_tagged(self, tag):
        lines = []
        while True:
            line = self.read_line()
            lines.append(line)
            if line.startswith(tag + b" "):
                return lines

    def close(self):
        self.sock.close()


def closed_by_server(sock, timeout):
    """True when the server closes the connection within timeout seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            d = sock.recv(4096)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


@pytest.fixture
def tls_server(image):
    srv = TlsServer(tls_image(image)).start()
    yield srv
    srv.stop()


# ---- implicit TLS ------------------------------------------------------------

def test_imaplib_implicit_tls(tls_server):
    c = imaplib.IMAP4_SSL("127.0.0.1", tls_server.tls_port,
                          ssl_context=client_ctx(), timeout=30 * imaptest.SLOW)
    caps = c.capabilities
    assert "AUTH=PLAIN" in caps and "STARTTLS" not in caps
    assert "LOGINDISABLED" not in caps
    c.login("alice", imaptest.PASSWORD)
    typ, data = c.select("INBOX")
    assert typ == "OK"
    # a message bigger than one record each way (16 KiB in, 4 KiB out)
    body = b"Subject: big\r\n\r\n" + (b"0123456789abcdef" * 64 + b"\r\n") * 200
    if record_in(tls_server) < 16384:
        # a board build: a full-size record from the client ends the
        # session (cleanly), the others carry on
        other = imaplib.IMAP4_SSL("127.0.0.1", tls_server.tls_port,
                                  ssl_context=client_ctx())
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            c.append("INBOX", None, None, body)
        tls_server.wait_log("TLS read failed")
        other.login("alice", imaptest.PASSWORD)
        assert other.select("INBOX") == ("OK", [b"0"])
        other.logout()
        return
    typ, _ = c.append("INBOX", None, None, body)
    assert typ == "OK"
    c.select("INBOX")
    typ, data = c.fetch("1", "(BODY.PEEK[])")
    assert typ == "OK" and data[0][1] == body
    c.logout()
    assert re.search(r"TLS established TLSv1\.2 TLS-ECDHE-ECDSA",
                     tls_server.log_text())


def test_starttls_imaplib(tls_server):
    c = imaplib.IMAP4("127.0.0.1", tls_server.port, timeout=30 * imaptest.SLOW)
    assert "STARTTLS" in c.capabilities and "LOGINDISABLED" in c.capabilities
    assert "AUTH=PLAIN" not in c.capabilities
    with pytest.raises(imaplib.IMAP4.error):
        c.login("alice", imaptest.PASSWORD)     # no plaintext login
    typ, _ = c.starttls(ssl_context=client_ctx())
    assert typ == "OK"
    # imaplib asks again after STARTTLS
    assert "LOGINDISABLED" not in c.capabilities
    assert "STARTTLS" not in c.capabilities and "AUTH=PLAIN" in c.capabilities
    typ, _ = c.login("alice", imaptest.PASSWORD)
    assert typ == "OK"
    typ, data = c.list()
    assert typ == "OK"
    c.logout()


def test_no_starttls_without_certificate(image):
    with imaptest.Server(image, allow_plaintext=False) as srv:
        c = srv.imap()
        assert "STARTTLS" not in c.capabilities
        with pytest.raises(imaplib.IMAP4.error, match="not available"):
            c._simple_command("STARTTLS")
        c.logout()


def test_listen_tls_needs_a_certificate(image):
    r = subprocess.run([imaptest.IMAPD, "--image", image, "--listen-tls",
                        "127.0.0.1:0"], capture_output=True, text=True,
                       timeout=30 * imaptest.SLOW)
    assert r.returncode != 0 and "certificate" in r.stderr


@pytest.mark.skipif(imaptest.FIRMWARE,
                    reason="the firmware reads its certificate from the image")
def test_cert_files_and_bad_key(tmp_path, image):
    tls_image(image, "mail.example.org")
    cert = tmp_path / "c.pem"
    cert.write_text(imaptest.imapctl("cert", "show", image).stdout)
    # a key that belongs to another certificate
    key = tmp_path / "k.pem"
    subprocess.run([OPENSSL, "ecparam", "-name", "prime256v1", "-genkey",
                    "-noout", "-out", str(key)], check=True,
                   capture_output=True)
    r = subprocess.run([imaptest.IMAPD, "--image", image, "--listen-tls",
                        "127.0.0.1:0", "--cert", str(cert), "--key", str(key)],
                       capture_output=True, text=True, timeout=30 * imaptest.SLOW)
    assert r.returncode != 0 and "does not match" in r.stderr, r.stderr
    # a real pair from files (openssl-made, RSA: ECDHE-RSA suites)
    rkey, rcert = tmp_path / "r.key", tmp_path / "r.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(rkey), "-out", str(rcert), "-days", "2",
                    "-subj", "/CN=localhost"], check=True, capture_output=True)
    srv = imaptest.Server(image, allow_plaintext=False,
                          args=["--listen-tls", "127.0.0.1:0", "--cert",
                                str(rcert), "--key", str(rkey)])
    with srv:
        port = int(srv.wait_log(r"listening on 127\.0\.0\.1:(\d+) \(TLS\)").group(1))
        c = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=client_ctx())
        c.login("alice", imaptest.PASSWORD)
        c.logout()
        assert "TLS-ECDHE-RSA" in srv.log_text()
    # DER: a chain of two certificates back to back, and a DER key
    der = tmp_path / "chain.der"
    dkey = tmp_path / "k.der"
    one = subprocess.run([OPENSSL, "x509", "-in", str(rcert), "-outform", "DER"],
                         check=True, capture_output=True).stdout
    other = subprocess.run([OPENSSL, "x509", "-in", str(cert), "-outform", "DER"],
                           check=True, capture_output=True).stdout
    der.write_bytes(one + other)
    subprocess.run([OPENSSL, "pkey", "-in", str(rkey), "-outform", "DER", "-out",
                    str(dkey)], check=True, capture_output=True)
    r = imaptest.imapctl("cert", "import", image, str(der), str(dkey))
    assert "stored" in r.stdout
    bad = imaptest.imapctl("cert", "import", image, str(der), str(key),
                           check=False)
    assert bad.returncode != 0 and "does not match" in bad.stderr
    # a chain longer than one output record: refused up front, not at
    # every handshake
    long = tmp_path / "long.der"
    long.write_bytes(one * 8)
    bad = imaptest.imapctl("cert", "import", image, str(long), str(dkey),
                           check=False)
    assert bad.returncode != 0 and "too long" in bad.stderr, bad.stderr
    with imaptest.Server(image, allow_plaintext=False,
                         args=["--listen-tls", "127.0.0.1:0"]) as srv2:
        port = int(srv2.wait_log(r"listening on 127\.0\.0\.1:(\d+) \(TLS\)").group(1))
        with socket.create_connection(("127.0.0.1", port)) as s:
            with client_ctx().wrap_socket(s) as ts:
                assert ts.recv(100).startswith(b"* OK")


# ---- openssl s_client --------------------------------------------------------

def s_client(port, *args, stdin=b""):
    return subprocess.run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}",
                           "-quiet", "-crlf", *args], input=stdin,
                          capture_output=True, timeout=60 * imaptest.SLOW)


@pytest.mark.skipif(not OPENSSL, reason="openssl missing")
def test_openssl_implicit_and_starttls(tls_server):
    script = b"a CAPABILITY\nb LOGIN alice " + imaptest.PASSWORD.encode() + \
             b"\nc LOGOUT\n"
    for port, extra in ((tls_server.tls_port, []),
                        (tls_server.port, ["-starttls", "imap"])):
        # keep stdin open until the answers are in: s_client quits at EOF
        p = subprocess.Popen([OPENSSL, "s_client", "-connect",
                              f"127.0.0.1:{port}", "-quiet", "-crlf", *extra],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdin.write(script)
        p.stdin.flush()
        out, _ = p.communicate(timeout=30 * imaptest.SLOW)
        assert b"b OK" in out and b"c OK LOGOUT" in out, out


@pytest.mark.skipif(not OPENSSL, reason="openssl missing")
def test_old_protocols_and_weak_suites_refused(tls_server):
    for args in (["-tls1_1"], ["-tls1"],
                 ["-tls1_2", "-cipher", "AES128-SHA:AES256-GCM-SHA384"],
                 ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"]):
        r = s_client(tls_server.tls_port, *args, stdin=b"a LOGOUT\n")
        assert r.returncode != 0 and b"LOGOUT" not in r.stdout, (args, r)
    # the server is still fine
    r = s_client(tls_server.tls_port, "-tls1_2", stdin=b"a LOGOUT\n")
    assert b"* OK" in r.stdout and b"a OK" in r.stdout


@pytest.mark.skipif(not OPENSSL, reason="openssl missing")
def test_max_fragment_length(tls_server):
    p = subprocess.Popen([OPENSSL, "s_client", "-connect",
                          f"127.0.0.1:{tls_server.tls_port}", "-quiet", "-crlf",
                          "-maxfraglen", "2048"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out, _ = p.communicate(b"a LOGIN alice " + imaptest.PASSWORD.encode() +
                           b"\nb LIST \"\" *\nc LOGOUT\n",
                           timeout=30 * imaptest.SLOW)
    assert b"c OK" in out, out
    assert "fragment 2048" in tls_server.log_text()


# ---- STARTTLS injection (CVE-2011-0411 family) -------------------------------

def test_starttls_injection_discarded(tls_server):
    t = TlsRaw(tls_server.port)
    assert t.read_plain_line().startswith(b"* OK")
    # one segment: STARTTLS and a command the attacker wants run inside TLS
    t.send_plain(b"a STARTTLS\r\nb LOGIN alice " + imaptest.PASSWORD.encode() +
                 b"\r\nc CAPABILITY\r\n")
    assert t.read_plain_line() == b"a OK Begin TLS negotiation now"
    t.handshake()
    t.send(b"d CAPABILITY\r\n")
    lines = t.until_tagged(b"d")
    assert not any(l.startswith((b"b ", b"c ")) for l in lines), lines
    assert any(b"LOGINDISABLED" not in l and l.startswith(b"* CAPABILITY")
               for l in lines)
    # still not logged in: the injected LOGIN never ran
    t.send(b"e SELECT INBOX\r\n")
    assert t.until_tagged(b"e")[-1].startswith(b"e BAD")
    t.close()
    tls_server.wait_log("bytes pipelined after it discarded")


def test_starttls_twice_and_after_tls(tls_server):
    t = TlsRaw(tls_server.port)
    t.read_plain_line()
    t.send_plain(b"a STARTTLS\r\n")
    assert t.read_plain_line().startswith(b"a OK")
    t.handshake()
    t.send(b"b STARTTLS\r\n")
    assert t.until_tagged(b"b")[-1].startswith(b"b BAD")
    t.close()


# ---- bad input -----------------------------------------------------------------

def test_garbage_instead_of_client_hello(tls_server):
    other = imaplib.IMAP4_SSL("127.0.0.1", tls_server.tls_port,
                              ssl_context=client_ctx())
    other.login("alice", imaptest.PASSWORD)
    for junk in (b"a LOGIN alice secret\r\n", os.urandom(3000),
                 b"\x16\x03\x01\xff\xff" + os.urandom(200),
                 b"\x16\x03\x03\x40\x10" + b"\x01" * 16400):
        s = socket.create_connection(("127.0.0.1", tls_server.tls_port))
        try:
            s.sendall(junk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert closed_by_server(s, 10 * imaptest.SLOW)
        s.close()
    # a handshake cut off half-way
    s = socket.create_connection(("127.0.0.1", tls_server.tls_port))
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    s.close()
    assert other.noop()[0] == "OK"      # the other session carries on
    other.logout()


def test_alert_in_the_middle_of_a_command(tls_server):
    t = TlsRaw(tls_server.tls_port)
    t.handshake()
    assert t.read_line().startswith(b"* OK")
    t.send(b"a LOGIN alice " + imaptest.PASSWORD.encode() + b"\r\n")
    t.until_tagged(b"a")
    t.send(b"b APPEND INBOX {100}\r\n")
    assert t.read_line().startswith(b"+")
    t.send(b"partial")
    # a fatal alert in clear, then a record that fails its authentication
    t.send_plain(b"\x15\x03\x03\x00\x02\x02\x28")
    assert closed_by_server(t.sock, 10 * imaptest.SLOW)
    t.close()
    with imaplib.IMAP4_SSL("127.0.0.1", tls_server.tls_port,
                           ssl_context=client_ctx()) as c:
        c.login("alice", imaptest.PASSWORD)
        typ, data = c.select("INBOX")
        assert data == [b"0"]          # nothing half-appended


def test_handshake_timeout(tls_server):
    s = socket.create_connection(("127.0.0.1", tls_server.tls_port))
    t0 = time.monotonic()
    assert closed_by_server(s, 40 * imaptest.SLOW)
    took = time.monotonic() - t0
    assert 15 <= took, took
    s.close()
    tls_server.wait_log("TLS handshake timeout")


# ---- daemon life cycle -----------------------------------------------------------

def test_sigterm_sends_bye_inside_tls(image):
    srv = TlsServer(tls_image(image)).start()
    c = imaplib.IMAP4_SSL("127.0.0.1", srv.tls_port, ssl_context=client_ctx())
    c.login("alice", imaptest.PASSWORD)
    c.select("INBOX")
    t = TlsRaw(srv.tls_port)
    t.handshake()
    assert t.read_line().startswith(b"* OK")
    srv.stop()          # exit code 0 (ASan: no leak)
    assert t.read_line().startswith(b"* BYE")
    t.close()


@pytest.mark.skipif(imaptest.FIRMWARE, reason="the firmware reads no config file")
def test_config_file_tls_keys(tmp_path, image):
    tls_image(image)
    rkey, rcert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(rkey),
                    "-out", str(rcert), "-days", "2", "-subj", "/CN=conf"],
                   check=True, capture_output=True)
    conf = tmp_path / "imapd.conf"
    conf.write_text(f"image = {image}\nlisten = 127.0.0.1:0\n"
                    f"listen_tls = 127.0.0.1:0\ncert = {rcert}\nkey = {rkey}\n")
    srv = imaptest.Server(image, allow_plaintext=False,
                          args=["--config", str(conf)])
    # the file's listen addresses: the command line has its own plain one
    srv.cmd = [imaptest.IMAPD, "--config", str(conf), "--log-level", "debug"]
    with srv:
        port = int(srv.wait_log(r"listening on 127\.0\.0\.1:(\d+) \(TLS\)").group(1))
        with socket.create_connection(("127.0.0.1", port)) as s:
            with client_ctx().wrap_socket(s) as ts:
                cert = ts.getpeercert(binary_form=True)
                assert ts.recv(100).startswith(b"* OK")
        pem = open(rcert).read()
        assert ssl.DER_cert_to_PEM_cert(cert).split() == pem.split()
    r = subprocess.run([imaptest.IMAPD, "--image", image, "--listen",
                        "127.0.0.1:0", "--cert", str(rcert)],
                       capture_output=True, text=True, timeout=30 * imaptest.SLOW)
    assert r.returncode != 0 and "--key" in r.stderr


def test_pipelined_commands_inside_tls(tls_server):
    t = TlsRaw(tls_server.tls_port)
    t.handshake()
    t.read_line()
    script = b"a LOGIN alice " + imaptest.PASSWORD.encode() + b"\r\n"
    script += b"".join(b"n%d NOOP\r\n" % i for i in range(300))
    script += b"z LOGOUT\r\n"
    t.send(script)
    lines = t.until_tagged(b"z")
    assert sum(1 for l in lines if re.match(rb"n\d+ OK", l)) == 300
    t.close()
