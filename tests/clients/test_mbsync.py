"""mbsync (isync) syncs a seeded account two ways with a local Maildir:
server mail arrives locally; a message added locally reaches the server;
a local flag and a local delete propagate."""
import imaplib
import os
import shutil
import subprocess
import time

import pytest

import imaptest

pytestmark = pytest.mark.skipif(not shutil.which("mbsync"), reason="mbsync missing")


def mbsyncrc(tmp_path, server):
    maildir = tmp_path / "Mail"
    maildir.mkdir(exist_ok=True)
    rc = tmp_path / "mbsyncrc"
    rc.write_text(f"""
IMAPAccount test
Host {server.host}
Port {server.port}
User alice
Pass {imaptest.PASSWORD}
SSLType None
AuthMechs LOGIN
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
Expunge Both
Sync All
SyncState *
""")
    return rc, maildir


def run_mbsync(rc):
    r = subprocess.run(["mbsync", "-c", str(rc), "-a"], capture_output=True,
                       text=True, timeout=300 * imaptest.SLOW)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def maildir_messages(folder):
    """{subject: path} of the messages in a Maildir folder."""
    out = {}
    for sub in ("cur", "new"):
        d = os.path.join(folder, sub)
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            p = os.path.join(d, name)
            with open(p, "rb") as f:
                for line in f.read().split(b"\n"):
                    if line.lower().startswith(b"subject:"):
                        out[line[8:].strip().decode()] = p
                        break
    return out


def server_state(server, box):
    """{subject: flags-bytes} of the live messages in a server mailbox."""
    c = server.login()
    typ, _ = c.select(box)
    assert typ == "OK"
    out = {}
    typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    if data and data[0] is not None:
        for item in data:
            if isinstance(item, tuple):
                subj = item[1].decode().split(":", 1)[1].strip()
                out[subj] = item[0]
    c.logout()
    return out


def test_mbsync_two_way(tmp_path, seeded_server):
    rc, maildir = mbsyncrc(tmp_path, seeded_server)
    run_mbsync(rc)
    inbox = maildir_messages(maildir / "INBOX")
    assert set(inbox) == {"seed one", "seed two", "seed three"}
    assert set(maildir_messages(maildir / "Work")) == {"work item"}

    # local changes: a new message, a flag, a delete
    new = maildir / "INBOX" / "new" / f"{int(time.time())}.1_1.testhost"
    new.write_bytes(b"From: me@example.org\nTo: alice@example.org\n"
                    b"Subject: written locally\nMessage-ID: <local1@example.org>\n"
                    b"\nfrom the laptop\n")
    flagged = inbox["seed two"]
    base = os.path.basename(flagged)
    info = base.split(":2,")[1] if ":2," in base else ""
    newname = base.split(":2,")[0] + ":2," + "".join(sorted(set(info + "FS")))
    os.rename(flagged, os.path.join(os.path.dirname(os.path.dirname(flagged)), "cur", newname))
    os.unlink(inbox["seed three"])

    # and a server-side change: a new message on the server
    c = seeded_server.login()
    c.append("Work", None, None, b"Subject: from the server\r\n\r\nhi\r\n")
    c.logout()

    run_mbsync(rc)
    st = server_state(seeded_server, "INBOX")
    assert "written locally" in st
    assert "seed three" not in st              # deleted and expunged (Expunge Both)
    assert b"\\Flagged" in st["seed two"] and b"\\Seen" in st["seed two"]
    assert set(maildir_messages(maildir / "Work")) == {"work item", "from the server"}

    # a second run changes nothing and succeeds
    run_mbsync(rc)
    assert set(maildir_messages(maildir / "INBOX")) == {"seed one", "seed two",
                                                        "written locally"}

    # server-side flag and delete reach the Maildir
    c = seeded_server.login()
    c.select("INBOX")
    typ, data = c.search(None, "SUBJECT", '"seed one"')
    c.store(data[0].decode(), "+FLAGS", "(\\Flagged)")
    typ, data = c.search(None, "SUBJECT", '"written locally"')
    c.store(data[0].decode(), "+FLAGS", "(\\Deleted)")
    c.expunge()
    c.logout()
    run_mbsync(rc)
    local = maildir_messages(maildir / "INBOX")
    assert set(local) == {"seed one", "seed two"}
    assert ":2," in local["seed one"] and "F" in local["seed one"].split(":2,")[1]
