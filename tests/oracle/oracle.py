"""Loads the same corpus into imapd and Dovecot and compares responses.

Used by test_oracle.py and tools/bench.  Run directly for a report:
  /usr/bin/python3 tests/oracle/oracle.py"""
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import corpus  # noqa: E402
import dovecot  # noqa: E402
import imaptest  # noqa: E402

ITEMS = [
    "ENVELOPE", "BODYSTRUCTURE", "BODY",
    "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]", "BODY.PEEK[TEXT]<5.10>",
    "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]",
    "BODY.PEEK[HEADER.FIELDS.NOT (FROM SUBJECT DATE)]",
    "BODY.PEEK[1]", "BODY.PEEK[1.MIME]", "BODY.PEEK[2]", "BODY.PEEK[2.MIME]",
    "BODY.PEEK[3]", "BODY.PEEK[1.1]", "BODY.PEEK[2.1]", "BODY.PEEK[2.2]",
    "BODY.PEEK[2.2.1]", "BODY.PEEK[2.HEADER]", "BODY.PEEK[2.TEXT]",
    "BODY.PEEK[2.1.MIME]", "BODY.PEEK[1.HEADER]", "BODY.PEEK[1.TEXT]",
    "BODY.PEEK[2.HEADER.FIELDS (SUBJECT)]", "BODY.PEEK[500]",
    "BINARY.PEEK[1]", "BINARY.PEEK[2]", "BINARY.PEEK[3]", "BINARY.PEEK[1]<3.7>",
    "BINARY.SIZE[1]", "BINARY.SIZE[3]",
]

SEARCHES = [
    "ALL", "FROM alice", "FROM \"Renée\"", "FROM renee", "SUBJECT \"été\"",
    "SUBJECT ÉTÉ", "SUBJECT hello", "TO bob", "CC plain", "BCC route",
    "HEADER X-Raw café", "HEADER X-Long \"\"", "HEADER Message-ID m1",
    "BODY pineapple", "BODY crème", "BODY \"CRÈME BRÛLÉE\"", "BODY softbreak",
    "BODY searchword", "TEXT \"inner text\"", "TEXT zone", "BODY hello",
    "SENTBEFORE 1-Jan-2024", "SENTON 31-Dec-2023", "SENTON 1-Jan-2024",
    "SENTSINCE 1-Jan-2024", "SENTSINCE 1-Mar-2022", "LARGER 10000",
    "SMALLER 100", "OR SUBJECT deep SUBJECT digest", "NOT SUBJECT x",
    "(FROM tz SUBJECT late)", "UID 3:5", "1:3,7", "SUBJECT \"\"",
    "TEXT \"part 999\"", "BODY \"part 1000\"", "HEADER Content-Type digest",
    "CHARSET UTF-8 SUBJECT ÉTÉ", "CHARSET US-ASCII SUBJECT hello",
    "CHARSET KOI8-R SUBJECT x",
    "BODY hello", "BODY iVBOR", "BODY PNG", "BODY begin", "BODY Content-Type",
    "BODY =C3", "BODY plain", "TEXT =?UTF-8?Q?Ren", "BODY \"Subject: wrapped\"",
    "SUBJECT \"folded across\"", "SUBJECT \"folded  across\"", "TEXT yyyyyyy",
    "HEADER Subject \"\"", "HEADER X-Nope \"\"", "TEXT \"Content-Type: image\"",
    "BODY \"+++ b\"", "NOT BODY zone", "OR BODY pineapple HEADER X-Raw caf",
]


def _imapd_login(srv):
    r = imaptest.Raw("127.0.0.1", srv.port)
    r.cmd("LOGIN alice " + imaptest.PASSWORD)
    return r


def _dovecot_login(dv):
    r = imaptest.Raw("127.0.0.1", dv.port)
    r.cmd("LOGIN alice " + imaptest.PASSWORD)
    return r


def append_all(r, msgs, box="INBOX"):
    for m in msgs:
        tag = r.tag()
        r.send(f"{tag} APPEND {box} (\\Seen) {{{len(m)}+}}\r\n".encode() + m + b"\r\n")
        untagged, tagged = r.until(tag)
        if " OK" not in tagged:
            raise AssertionError("APPEND failed: %r" % tagged)


def normal(resp):
    """A tagged line reduced to its status (texts differ by server)."""
    m = re.match(r"(\S+) (OK|NO|BAD)( \[[A-Z-]+)?", resp)
    return (m.group(2) + (m.group(3) or "")).encode() if m else resp.encode()


def ask(r, cmd):
    untagged, tagged = r.cmd(cmd)
    return untagged, normal(tagged)


class Pair:
    """imapd and Dovecot loaded with the same messages."""

    def __init__(self, msgs, workdir):
        self.workdir = workdir
        img = imaptest.make_image(workdir, users=("alice",), size="256M")
        self.srv = imaptest.Server(img).start()
        # Dovecot runs as nobody when we are root: its directory must be
        # reachable by nobody (pytest's own temporary tree is not)
        self.dvdir = tempfile.mkdtemp(prefix="imapd-oracle-")
        os.chmod(self.dvdir, 0o755)
        self.dv = dovecot.Dovecot(self.dvdir,
                                  users=(("alice", imaptest.PASSWORD),)).start()
        self.a = _imapd_login(self.srv)
        self.b = _dovecot_login(self.dv)
        for r in (self.a, self.b):
            append_all(r, msgs)
            r.cmd("SELECT INBOX")
        self.n = len(msgs)

    def close(self):
        for r in (self.a, self.b):
            try:
                r.cmd("LOGOUT")
            except Exception:
                pass
            r.close()
        self.srv.stop()
        self.dv.stop()
        shutil.rmtree(self.dvdir, ignore_errors=True)


def compare_fetch(pair, items=ITEMS):
    diffs = []
    for i in range(1, pair.n + 1):
        for it in items:
            ra = ask(pair.a, f"FETCH {i} ({it})")
            rb = ask(pair.b, f"FETCH {i} ({it})")
            if ra != rb:
                diffs.append((i, it, ra, rb))
    return diffs


def compare_search(pair, searches=SEARCHES):
    diffs = []
    for q in searches:
        ra = ask(pair.a, "SEARCH " + q)
        rb = ask(pair.b, "SEARCH " + q)
        if ra != rb:
            diffs.append((0, "SEARCH " + q, ra, rb))
    return diffs


def show(diffs, limit=400):
    out = []
    for i, it, ra, rb in diffs:
        out.append("msg %d %s\n  imapd:   %r\n  dovecot: %r" % (
            i, it, (b"".join(ra[0]) + b" | " + ra[1])[:limit],
            (b"".join(rb[0]) + b" | " + rb[1])[:limit]))
    return "\n".join(out)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        p = Pair(corpus.corpus(), d)
        try:
            which = sys.argv[1:] or ["fetch", "search"]
            diffs = []
            if "fetch" in which:
                diffs += compare_fetch(p)
            if "search" in which:
                diffs += compare_search(p)
            print(show(diffs))
            print("%d differences" % len(diffs))
        finally:
            p.close()
