"""imapctl: format, user, ls, import (mboxrd and mboxo), fsck, and its
errors (non-zero exit, exactly one line "imapctl: ...")."""
import os
import subprocess
import re

import pytest

import imaptest
from imaptest import imapctl


def one_error(r, word=None):
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("imapctl: "), lines
    if word:
        assert word.lower() in lines[0].lower(), lines
    return lines[0]


def test_errors(tmp_path):
    img = str(tmp_path / "x.img")
    junk = tmp_path / "junk.img"
    junk.write_bytes(b"\0" * 10000)
    cases = [
        ([], "command"),
        (["frobnicate"], "frobnicate"),
        (["format", img], "--size"),
        (["format", img, "--size", "12Q"], "12Q"),
        (["format", img, "--size", "64M", "--erase-size", "3000"], "power of two"),
        (["format", img, "--size", "10000"], "multiple"),
        (["format", str(tmp_path / "no/such/dir.img"), "--size", "1M"], "dir.img"),
        (["ls", str(tmp_path / "missing.img")], "missing.img"),
        (["ls", str(junk)], "not an imapd image"),
        (["user", "add", str(tmp_path / "missing.img"), "bob"], "missing.img"),
        (["user", "frob", img, "x"], "frob"),
        (["user", "add", img], "usage"),
        (["import", img, "a", "INBOX"], "usage"),
        (["fsck"], "usage"),
    ]
    for args, word in cases:
        one_error(imapctl(*args, check=False), word)


def test_format_user_ls(tmp_path):
    img = str(tmp_path / "m.img")
    r = imapctl("format", img, "--size", "8M")
    assert os.path.getsize(img) >= 8 << 20
    assert os.stat(img).st_blocks * 512 < 4 << 20      # sparse
    imapctl("user", "add", img, "carol", input="pw1\n")
    imapctl("user", "add", img, "dave", input="pw2\r\n")
    one_error(imapctl("user", "add", img, "carol", input="x\n", check=False), "exists")
    one_error(imapctl("user", "add", img, "erin", input="", check=False), "password")
    one_error(imapctl("user", "add", img, "erin", input="\n", check=False), "password")
    one_error(imapctl("user", "add", img, "bad name", input="x\n", check=False))
    one_error(imapctl("user", "add", img, "x" * 300, input="x\n", check=False))
    assert sorted(imapctl("user", "list", img).stdout.split()) == ["carol", "dave"]
    ls = imapctl("ls", img).stdout
    assert "carol" in ls and "dave" in ls
    assert "INBOX" in imapctl("ls", img, "carol").stdout
    one_error(imapctl("ls", img, "nobody", check=False), "nobody")
    one_error(imapctl("ls", img, "carol", "Nope", check=False), "Nope")
    imapctl("user", "del", img, "dave")
    one_error(imapctl("user", "del", img, "dave", check=False), "dave")
    assert imapctl("user", "list", img).stdout.split() == ["carol"]
    imapctl("user", "passwd", img, "carol", input="newpw\n")
    one_error(imapctl("user", "passwd", img, "zed", input="x\n", check=False), "zed")
    with imaptest.Server(img) as srv:
        c = srv.login("carol", "newpw")
        c.logout()
        r = srv.raw()
        _, t = r.cmd("LOGIN carol pw1")
        assert t.split()[1] == "NO"
        _, t = r.cmd("LOGIN dave pw2")
        assert t.split()[1] == "NO"
        r.close()
    assert "1 users" in imapctl("fsck", img).stdout


def test_format_geometries(tmp_path):
    for extra in (["--erase-size", "64K", "--prog-size", "512"], ["--nand"]):
        img = str(tmp_path / ("g%d.img" % len(extra)))
        imapctl("format", img, "--size", "16M", *extra)
        imapctl("user", "add", img, "u", input="p\n")
        assert imapctl("user", "list", img).stdout.split() == ["u"]


MBOX = (b"From alice@example.org Mon Nov 23 09:15:00 2026\n"
        b"From: alice@example.org\nSubject: one\nStatus: RO\n\n"
        b"line\n>From here, quoted once\n>>From here, quoted twice\n"
        b"From the start but no blank line before\n\n"
        b"From bob@example.net Tue Nov 24 12:40:10 2026\n"
        b"From: bob@example.net\nSubject: two\nX-Status: F\n\nbody two\n\n"
        b"From carol@example.com Wed Nov 25 03:00:00 +0100 2026\n"
        b"Subject: three\n\nlast\n")


def import_and_fetch(tmp_path, fmt=None):
    img = imaptest.make_image(tmp_path, users=("alice",))
    path = tmp_path / "in.mbox"
    path.write_bytes(MBOX)
    args = ["import", img, "alice", "Archive/2026", str(path)]
    if fmt:
        args += ["--format", fmt]
    r = imapctl(*args)
    assert re.search(r"\b3\b", r.stdout), r.stdout
    ls = imapctl("ls", img, "alice", "Archive/2026").stdout
    assert "one" in ls and "two" in ls and "three" in ls
    assert "Archive/2026" in imapctl("ls", img, "alice").stdout
    with imaptest.Server(img) as srv:
        r = srv.raw()
        r.ok("LOGIN alice secret")
        r.ok('EXAMINE "Archive/2026"')
        u = r.ok("FETCH 1:3 (FLAGS INTERNALDATE BODY.PEEK[])")
        r.close()
    assert len(u) == 3
    return u


def test_import_mboxrd(tmp_path):
    u = import_and_fetch(tmp_path)
    one = imaptest.literal(u[0], "BODY[]")
    assert one == (b"From: alice@example.org\r\nSubject: one\r\nStatus: RO\r\n\r\n"
                   b"line\r\nFrom here, quoted once\r\n>From here, quoted twice\r\n"
                   b"From the start but no blank line before\r\n")
    assert "\\Seen" in imaptest.flags_of(u[0])
    assert b'INTERNALDATE "23-Nov-2026 09:15:00 +0000"' in u[0]
    assert imaptest.literal(u[1], "BODY[]").endswith(b"body two\r\n")
    assert "\\Flagged" in imaptest.flags_of(u[1])
    assert b'"25-Nov-2026 03:00:00 +0100"' in u[2]
    assert imaptest.literal(u[2], "BODY[]") == b"Subject: three\r\n\r\nlast\r\n"


def test_import_mboxo(tmp_path):
    u = import_and_fetch(tmp_path, "mboxo")
    one = imaptest.literal(u[0], "BODY[]")
    assert b"\r\n>From here, quoted once\r\n>>From here, quoted twice\r\n" in one


def test_import_errors_and_appends(tmp_path):
    img = imaptest.make_image(tmp_path, users=("alice",))
    notmbox = tmp_path / "plain.txt"
    notmbox.write_bytes(b"hello\nworld\n")
    one_error(imapctl("import", img, "alice", "INBOX", str(notmbox), check=False), "mbox")
    one_error(imapctl("import", img, "alice", "INBOX", str(tmp_path / "none"), check=False), "none")
    good = tmp_path / "g.mbox"
    good.write_bytes(MBOX)
    one_error(imapctl("import", img, "nobody", "INBOX", str(good), check=False), "nobody")
    one_error(imapctl("import", img, "alice", "INBOX", str(good), "--format", "xx",
                      check=False), "xx")
    imapctl("import", img, "alice", "inbox", str(good))     # INBOX in any case
    imapctl("import", img, "alice", "INBOX", str(good))
    ls = imapctl("ls", img, "alice").stdout
    assert re.search(r"INBOX\s+6\b", ls), ls
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    assert "0" in imapctl("import", img, "alice", "INBOX", str(empty)).stdout


def test_fsck(tmp_path):
    img = imaptest.make_image(tmp_path)
    good = tmp_path / "g.mbox"
    good.write_bytes(MBOX)
    imapctl("import", img, "alice", "INBOX", str(good))
    r = imapctl("fsck", img)
    assert "3 messages" in r.stdout and "0 problems" in r.stdout
    one_error(imapctl("fsck", str(tmp_path / "nope.img"), check=False), "nope.img")


def test_demo_mail_imports():
    """tools/demo's sample mail imports cleanly."""
    root = imaptest.ROOT
    for f in ("inbox.mbox", "archive.mbox"):
        assert os.path.exists(os.path.join(root, "tools/demo-mail", f))


def test_password_never_in_argv_or_output(tmp_path):
    img = imaptest.make_image(tmp_path, users=())
    r = imapctl("user", "add", img, "zoe", input="s3cr3t-pw\n")
    assert "s3cr3t-pw" not in r.stdout + r.stderr
    with open(img, "rb") as f:
        assert b"s3cr3t-pw" not in f.read()


def corrupt_some_data(img, skip_first=0):
    """Flips bytes in the middle of written flash (the file holds device
    bytes inverted after a 4 KiB header: written data is non-zero)."""
    with open(img, "r+b") as f:
        data = bytearray(f.read())
    written = [i for i in range(4096, len(data), 64) if data[i] != 0]
    assert written, "nothing written?"
    for i in written[len(written) // 2:len(written) // 2 + 4]:
        data[i] ^= 0x5A
    with open(img, "r+b") as f:
        f.write(data)


def test_fsck_finds_damage(tmp_path):
    img = imaptest.make_image(tmp_path, users=("alice",), size="1M")
    mbox = imaptest.write_mbox(str(tmp_path / "m.mbox"),
                               [("Mon Nov 23 09:15:00 2026",
                                 b"Subject: s%d\n\n" % i + b"data line\n" * 300)
                                for i in range(20)])
    imapctl("import", img, "alice", "INBOX", mbox)
    assert imapctl("fsck", img).returncode == 0
    corrupt_some_data(img)
    r = imapctl("fsck", img, check=False)
    one_error(r)
    assert r.returncode == 2          # damaged


def test_stat(tmp_path):
    img = imaptest.make_image(tmp_path, users=("alice",), size="1M")
    good = tmp_path / "g.mbox"
    good.write_bytes(MBOX)
    imapctl("import", img, "alice", "INBOX", str(good))
    out = imapctl("stat", img).stdout
    for word in ("used", "free", "reclaimable", "erase counts", "alice/INBOX: 3 messages"):
        assert word in out, out


def test_unmountable_image_is_one_error(tmp_path):
    img = imaptest.make_image(tmp_path, users=(), size="1M")
    with open(img, "r+b") as f:          # erase the whole device
        f.seek(4096)
        f.write(b"\0" * (1 << 20))
    one_error(imapctl("ls", img, check=False), "mount")
    r = subprocess.run([imaptest.IMAPD, "--image", img, "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("imapd: ") and "mount" in lines[0], lines
