"""curl's imap:// client lists mailboxes and fetches messages."""
import shutil
import subprocess

import pytest

import imaptest
from imaptest import SEED

pytestmark = pytest.mark.skipif(not shutil.which("curl"), reason="curl missing")


def curl(server, path, *extra):
    r = subprocess.run(["curl", "-sS", "--max-time", str(60 * imaptest.SLOW),
                        "--url", f"imap://{server.host}:{server.port}/{path}",
                        "--user", "alice:" + imaptest.PASSWORD, *extra],
                       capture_output=True, timeout=120 * imaptest.SLOW)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def test_curl_lists_mailboxes(seeded_server):
    out = curl(seeded_server, "")
    lines = out.decode().splitlines()
    assert any(l.startswith("* LIST") and l.strip("\r\"").endswith("INBOX") for l in lines), out
    assert any(l.startswith("* LIST") and "Work" in l for l in lines), out


def test_curl_fetches_message(seeded_server):
    out = curl(seeded_server, "INBOX;UID=2")
    assert out == imaptest.crlf(SEED[1][1])
    out = curl(seeded_server, "Work;UID=1")
    assert b"please do it" in out


def test_curl_examine_and_search(seeded_server):
    out = curl(seeded_server, "INBOX", "-X", "EXAMINE INBOX")
    assert b"3 EXISTS" in out
    out = curl(seeded_server, "INBOX?SUBJECT%20two")
    assert out.split() == [b"*", b"SEARCH", b"2"]
