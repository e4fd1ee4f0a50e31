"""Real clients over TLS: curl imaps:// (implicit TLS) and with
--ssl-reqd on imap:// (STARTTLS), mbsync with SSLType IMAPS and STARTTLS;
plaintext login is off, so each of them must really use TLS."""
import os
import re
import shutil
import subprocess

import pytest

import imaptest
from imaptest import SEED


@pytest.fixture
def tls_server(tmp_path):
    img = imaptest.make_image(tmp_path, users=("alice",))
    inbox = imaptest.write_mbox(str(tmp_path / "inbox.mbox"), SEED)
    imaptest.imapctl("import", img, "alice", "INBOX", inbox)
    imaptest.imapctl("cert", "gen", img, "--cn", "localhost")
    cert = tmp_path / "server.pem"
    cert.write_text(imaptest.imapctl("cert", "show", img).stdout)
    srv = imaptest.Server(img, allow_plaintext=False,
                          args=["--listen-tls", "127.0.0.1:0"])
    srv.start()
    srv.tls_port = int(srv.wait_log(
        r"listening on 127\.0\.0\.1:(\d+) \(TLS\)").group(1))
    srv.cert = str(cert)
    yield srv
    srv.stop()


def curl(url, cafile, *extra):
    r = subprocess.run(["curl", "-sS", "--max-time", str(60 * imaptest.SLOW),
                        "--cacert", cafile, "--url", url,
                        "--user", "alice:" + imaptest.PASSWORD, *extra],
                       capture_output=True, timeout=120 * imaptest.SLOW)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


@pytest.mark.skipif(not shutil.which("curl"), reason="curl missing")
def test_curl_imaps_and_starttls(tls_server):
    # the self-signed certificate verifies against itself (CN/SAN localhost)
    out = curl(f"imaps://localhost:{tls_server.tls_port}/INBOX;UID=2",
               tls_server.cert)
    assert out == imaptest.crlf(SEED[1][1])
    out = curl(f"imap://localhost:{tls_server.port}/INBOX;UID=1",
               tls_server.cert, "--ssl-reqd")
    assert out == imaptest.crlf(SEED[0][1])
    assert tls_server.log_text().count("TLS established") >= 2


def mbsyncrc(tmp_path, host, port, ssltype, cafile):
    maildir = tmp_path / ("Mail-" + ssltype)
    maildir.mkdir()
    rc = tmp_path / ("mbsyncrc-" + ssltype)
    rc.write_text(f"""
IMAPAccount test
Host {host}
Port {port}
User alice
Pass {imaptest.PASSWORD}
SSLType {ssltype}
SSLVersions TLSv1.2
CertificateFile {cafile}
Timeout {60 * imaptest.SLOW}

IMAPStore remote
Account test

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel test
Far :remote:
Near :local:
Patterns *
Create Both
Sync All
SyncState *
""")
    return rc, maildir


@pytest.mark.skipif(not shutil.which("mbsync"), reason="mbsync missing")
@pytest.mark.parametrize("ssltype", ["IMAPS", "STARTTLS"])
def test_mbsync_over_tls(tmp_path, tls_server, ssltype):
    port = tls_server.tls_port if ssltype == "IMAPS" else tls_server.port
    rc, maildir = mbsyncrc(tmp_path, "localhost", port, ssltype,
                           tls_server.cert)
    r = subprocess.run(["mbsync", "-c", str(rc), "-a"], capture_output=True,
                       text=True, timeout=300 * imaptest.SLOW)
    assert r.returncode == 0, r.stdout + r.stderr
    got = []
    for sub in ("cur", "new"):
        got += os.listdir(maildir / "INBOX" / sub)
    assert len(got) == len(SEED)
    assert re.search(r"TLS established", tls_server.log_text())
