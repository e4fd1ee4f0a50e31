"""SELECT, EXAMINE, APPEND, FETCH, STORE, COPY, EXPUNGE, CLOSE, CHECK, SEARCH
and their UID forms, on alice's seeded INBOX (imaptest.SAMPLE, UIDs 1..3)."""
import re

import pytest

import imaptest
from imaptest import (SAMPLE, apply_expunges, fetch_map, login_select,
                      search_result)

MSG = [imaptest.crlf(m) for _, m in SAMPLE]


def test_select_responses(seeded_server):
    r, u = login_select(seeded_server)
    text = b"\n".join(u)
    assert re.search(rb"^\* FLAGS \(.*\\Seen.*\)", text, re.M)
    assert b"* 3 EXISTS" in u and b"* 3 RECENT" in u
    assert re.search(rb"^\* OK \[UNSEEN 1\]", text, re.M)
    assert re.search(rb"^\* OK \[PERMANENTFLAGS \(.*\\Deleted.*\\\*\)\]", text, re.M)
    assert re.search(rb"^\* OK \[UIDVALIDITY \d+\]", text, re.M)
    assert re.search(rb"^\* OK \[UIDNEXT 4\]", text, re.M)
    r.close()
    r = seeded_server.raw()
    r.ok("LOGIN alice secret")
    r.send("s SELECT INBOX\r\n")
    _, t = r.until("s")
    assert "[READ-WRITE]" in t
    r.send("e EXAMINE INBOX\r\n")
    u, t = r.until("e")
    assert "[READ-ONLY]" in t
    assert b"* 0 RECENT" in u                  # claimed by the first SELECT
    _, t = r.cmd("SELECT Nowhere")
    assert t.split()[1] == "NO"
    _, t = r.cmd("FETCH 1 FLAGS")              # a failed SELECT deselects
    assert t.split()[1] == "BAD"
    r.close()


def test_recent_belongs_to_first_session(seeded_server):
    a, _ = login_select(seeded_server)
    fl = imaptest.flags_of(fetch_map(a.ok("FETCH 1 FLAGS"))[1])
    assert "\\Recent" in fl
    b, u = login_select(seeded_server)
    assert b"* 0 RECENT" in u
    assert "\\Recent" not in imaptest.flags_of(fetch_map(b.ok("FETCH 1 FLAGS"))[1])
    # a new message: \Recent for exactly one of the sessions
    c = seeded_server.login()
    c.append("INBOX", None, None, b"Subject: new\r\n\r\nnew\r\n")
    c.logout()
    ua = a.ok("NOOP")
    ub = b.ok("NOOP")
    assert b"* 4 EXISTS" in ua and b"* 4 EXISTS" in ub
    fa = imaptest.flags_of(fetch_map(a.ok("FETCH 4 FLAGS"))[4])
    fb = imaptest.flags_of(fetch_map(b.ok("FETCH 4 FLAGS"))[4])
    assert ("\\Recent" in fa) != ("\\Recent" in fb)
    a.close()
    b.close()


def test_fetch_items(seeded_server):
    r, _ = login_select(seeded_server, examine=True)
    f = fetch_map(r.ok("FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE UID)"))[1]
    assert b"UID 1" in f
    assert b"RFC822.SIZE %d" % len(MSG[0]) in f
    assert b'INTERNALDATE "23-Nov-2026 09:15:00 +0000"' in f
    assert imaptest.flags_of(f) is not None
    whole = imaptest.literal(fetch_map(r.ok("FETCH 1 BODY.PEEK[]"))[1], "BODY[]")
    assert whole == MSG[0]
    hdr_end = MSG[0].index(b"\r\n\r\n") + 4
    f = fetch_map(r.ok("FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[TEXT])"))[1]
    assert imaptest.literal(f, "BODY[HEADER]") == MSG[0][:hdr_end]
    assert imaptest.literal(f, "BODY[TEXT]") == MSG[0][hdr_end:]
    f = fetch_map(r.ok("FETCH 1 (RFC822.HEADER RFC822.TEXT)"))[1]
    assert imaptest.literal(f, "RFC822.HEADER") == MSG[0][:hdr_end]
    assert imaptest.literal(f, "RFC822.TEXT") == MSG[0][hdr_end:]
    f = fetch_map(r.ok("FETCH 3 RFC822"))[3]
    assert imaptest.literal(f, "RFC822") == MSG[2]
    r.close()


def test_fetch_partial(seeded_server):
    r, _ = login_select(seeded_server)
    f = fetch_map(r.ok("FETCH 3 BODY.PEEK[]<10.20>"))[3]
    assert imaptest.literal(f, "BODY[]<10>") == MSG[2][10:30]
    f = fetch_map(r.ok("FETCH 3 BODY.PEEK[TEXT]<0.5>"))[3]
    body = MSG[2][MSG[2].index(b"\r\n\r\n") + 4:]
    assert imaptest.literal(f, "BODY[TEXT]<0>") == body[:5]
    f = fetch_map(r.ok("FETCH 1 BODY.PEEK[]<%d.100>" % (len(MSG[0]) - 3)))[1]
    assert imaptest.literal(f, "BODY[]<%d>" % (len(MSG[0]) - 3)) == MSG[0][-3:]
    f = fetch_map(r.ok("FETCH 1 BODY.PEEK[]<100000.10>"))[1]
    assert re.search(rb'BODY\[\]<100000> (""|\{0\})', f), f
    r.close()


def test_fetch_header_fields(seeded_server):
    r, _ = login_select(seeded_server)
    f = fetch_map(r.ok("FETCH 2 BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]"))[2]
    m = re.search(rb"\{(\d+)\}\r\n", f)
    val = f[m.end():m.end() + int(m.group(1))]
    assert val == (b"From: Carol <carol@example.net>\r\n"
                   b"Subject: lunch on thursday\r\n\r\n")
    r.close()


def test_body_sets_seen_peek_does_not(seeded_server):
    r, _ = login_select(seeded_server)
    f = fetch_map(r.ok("FETCH 1 BODY.PEEK[]"))[1]
    assert "\\Seen" not in (imaptest.flags_of(r.ok("FETCH 1 FLAGS")[0]) or set())
    u = r.ok("FETCH 1 BODY[]")
    f = fetch_map(u)[1]
    assert "\\Seen" in imaptest.flags_of(f)     # FLAGS reported with the body
    assert "\\Seen" in imaptest.flags_of(fetch_map(r.ok("FETCH 1 FLAGS"))[1])
    r.close()
    # EXAMINE never sets \Seen
    r, _ = login_select(seeded_server, examine=True)
    r.ok("FETCH 2 BODY[]")
    assert "\\Seen" not in imaptest.flags_of(fetch_map(r.ok("FETCH 2 FLAGS"))[2])
    r.close()


def test_fetch_sequence_sets(seeded_server):
    r, _ = login_select(seeded_server)
    assert sorted(fetch_map(r.ok("FETCH 1:* UID"))) == [1, 2, 3]
    assert sorted(fetch_map(r.ok("FETCH 3:1 UID"))) == [1, 2, 3]
    assert sorted(fetch_map(r.ok("FETCH *:2 UID"))) == [2, 3]
    assert sorted(fetch_map(r.ok("FETCH 1,3 UID"))) == [1, 3]
    assert sorted(fetch_map(r.ok("FETCH * UID"))) == [3]
    u, t = r.cmd("FETCH 4 UID")            # beyond the end: no data either way
    assert fetch_map(u) == {}
    # UID FETCH: UID always reported; missing UIDs are just skipped
    u = r.ok("UID FETCH 2:10 FLAGS")
    fm = fetch_map(u)
    assert sorted(fm) == [2, 3] and b"UID 2" in fm[2]
    assert fetch_map(r.ok("UID FETCH 10:* UID"))[3].find(b"UID 3") > 0
    assert fetch_map(r.ok("UID FETCH 50 FLAGS")) == {}
    r.close()


def test_fetch_macros(seeded_server):
    r, _ = login_select(seeded_server)
    f = fetch_map(r.ok("FETCH 1 FAST"))[1]
    assert b"FLAGS" in f and b"INTERNALDATE" in f and b"RFC822.SIZE" in f
    r.close()


def test_store_variants(seeded_server):
    r, _ = login_select(seeded_server)
    f = fetch_map(r.ok("STORE 1 FLAGS (\\Flagged \\Draft)"))[1]
    assert imaptest.flags_of(f) >= {"\\Flagged", "\\Draft"}
    f = fetch_map(r.ok("STORE 1 +FLAGS (\\Seen $Work)"))[1]
    assert imaptest.flags_of(f) >= {"\\Flagged", "\\Draft", "\\Seen", "$Work"}
    f = fetch_map(r.ok("STORE 1 -FLAGS (\\Draft $Work)"))[1]
    fl = imaptest.flags_of(f)
    assert "\\Draft" not in fl and "$Work" not in fl and "\\Flagged" in fl
    assert fetch_map(r.ok("STORE 1:2 +FLAGS.SILENT (\\Answered)")) == {}
    fm = fetch_map(r.ok("FETCH 1:2 FLAGS"))
    assert all("\\Answered" in imaptest.flags_of(fm[i]) for i in (1, 2))
    fm = fetch_map(r.ok("UID STORE 2 FLAGS (\\Deleted)"))
    assert b"UID 2" in fm[2] and imaptest.flags_of(fm[2]) >= {"\\Deleted"}
    r.ok("NOOP")
    r.close()


def test_store_readonly_refused(seeded_server):
    r, _ = login_select(seeded_server, examine=True)
    _, t = r.cmd("STORE 1 +FLAGS (\\Seen)")
    assert t.split()[1] == "NO"
    _, t = r.cmd("EXPUNGE")
    assert t.split()[1] == "NO"
    r.close()


def test_copy_and_uid_copy(seeded_server):
    r, _ = login_select(seeded_server)
    r.ok("CREATE Archive")
    r.ok("STORE 2 +FLAGS (\\Flagged)")
    r.ok("COPY 2:3 Archive")
    r.ok("UID COPY 1 Archive")
    _, t = r.cmd("COPY 1 Nowhere")
    assert t.split()[1] == "NO" and "[TRYCREATE]" in t
    u = r.ok("SELECT Archive")
    assert b"* 3 EXISTS" in u
    fm = fetch_map(r.ok("FETCH 1:3 (UID FLAGS BODY.PEEK[])"))
    assert imaptest.literal(fm[1], "BODY[]") == MSG[1]
    assert "\\Flagged" in imaptest.flags_of(fm[1])
    assert imaptest.literal(fm[2], "BODY[]") == MSG[2]
    assert imaptest.literal(fm[3], "BODY[]") == MSG[0]
    r.close()


def test_expunge(seeded_server):
    r, _ = login_select(seeded_server)
    r.ok("STORE 1,3 +FLAGS.SILENT (\\Deleted)")
    u = r.ok("EXPUNGE")
    assert apply_expunges([1, 2, 3], u) == [2]
    fm = fetch_map(r.ok("FETCH 1 UID"))
    assert b"UID 2" in fm[1]
    u = r.ok("SELECT INBOX")
    assert b"* 1 EXISTS" in u
    assert re.search(rb"UIDNEXT 4", b" ".join(u))
    r.close()


def test_close_expunges_silently_and_check(seeded_server):
    r, _ = login_select(seeded_server)
    r.ok("CHECK")
    r.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    u = r.ok("CLOSE")
    assert not any(b"EXPUNGE" in x for x in u)
    _, t = r.cmd("FETCH 1 FLAGS")
    assert t.split()[1] == "BAD"            # authenticated state again
    u = r.ok("SELECT INBOX")
    assert b"* 2 EXISTS" in u
    r.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    r.ok("EXAMINE INBOX")                   # no expunge via EXAMINE/CLOSE...
    r.ok("CLOSE")
    u = r.ok("SELECT INBOX")
    assert b"* 2 EXISTS" in u
    r.close()


def test_append_flags_date(server):
    r = server.raw()
    r.ok("LOGIN alice secret")
    msg = b"Subject: appended\r\n\r\nhello\r\n"
    r.send(b'a APPEND INBOX (\\Seen $Label) "05-Mar-2024 17:04:05 +0130" {%d}\r\n'
           % len(msg))
    assert r.line().startswith(b"+")
    r.send(msg + b"\r\n")
    _, t = r.until("a")
    assert t.startswith("a OK")
    r.ok("SELECT INBOX")
    f = fetch_map(r.ok("FETCH 1 (FLAGS INTERNALDATE BODY.PEEK[])"))[1]
    assert imaptest.flags_of(f) >= {"\\Seen", "$Label"}
    assert b'INTERNALDATE " 5-Mar-2024 17:04:05 +0130"' in f   # date-day-fixed
    assert imaptest.literal(f, "BODY[]") == msg
    _, t = r.cmd('APPEND Nowhere {1+}\r\nx')
    assert t.split()[1] == "NO" and "[TRYCREATE]" in t
    _, t = r.cmd('APPEND INBOX "bad date" {1+}\r\nx')
    assert t.split()[1] == "BAD"
    r.close()


def test_append_with_imaplib(server):
    c = server.login()
    typ, _ = c.append("INBOX", "(\\Flagged)", None, b"Subject: a\r\n\r\nb\r\n")
    assert typ == "OK"
    typ, data = c.select("INBOX")
    assert data == [b"1"]
    typ, data = c.fetch("1", "(FLAGS)")
    assert b"\\Flagged" in data[0]
    c.logout()


SEARCHES = [
    ("ALL", [1, 2, 3]),
    ("1:2", [1, 2]),
    ("UID 2:*", [2, 3]),
    ("SEEN", [1]),
    ("UNSEEN", [2, 3]),
    ("FLAGGED", [2]),
    ("UNFLAGGED", [1, 3]),
    ("KEYWORD $Todo", [3]),
    ("UNKEYWORD $Todo", [1, 2]),
    ("LARGER 1000", [3]),
    ("SMALLER 1000", [1, 2]),
    ("SINCE 24-Nov-2026", [2, 3]),
    ("BEFORE 24-Nov-2026", [1]),
    ("ON 24-Nov-2026", [2]),
    ('SUBJECT "lunch"', [2]),
    ("SUBJECT REPORT", [3]),
    ("FROM carol", [2]),
    ("TO bob@example.org", [1]),
    ('HEADER X-Priority "1"', [2]),
    ('HEADER Message-ID ""', [1]),
    ("OR SEEN FLAGGED", [1, 2]),
    ("NOT SEEN", [2, 3]),
    ("NOT (SEEN OR FLAGGED LARGER 1000)", [1, 2, 3]),   # SEEN AND (OR ..)
    ("NOT (OR SEEN FLAGGED)", [3]),
    ("(SEEN) (SMALLER 1000)", [1]),
    ("UNSEEN SMALLER 1000 NOT FROM dave", [2]),
    ("OR OR SEEN FLAGGED KEYWORD $Todo", [1, 2, 3]),
    ("DELETED", []),
    ("UNDELETED", [1, 2, 3]),
    ("NEW", [2, 3]),
    ("OLD", []),
    ("RECENT", [1, 2, 3]),
    ("ANSWERED", []),
    ("CHARSET US-ASCII SUBJECT first", [1]),
]


@pytest.fixture
def search_session(seeded_server):
    r, _ = login_select(seeded_server)
    r.ok("STORE 1 +FLAGS.SILENT (\\Seen)")
    r.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
    r.ok("STORE 3 +FLAGS.SILENT ($Todo)")
    yield r
    r.close()


@pytest.mark.parametrize("crit,expect", SEARCHES)
def test_search(search_session, crit, expect):
    assert search_result(search_session.ok("SEARCH " + crit)) == expect


def test_uid_search(search_session):
    r = search_session
    r.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    r.ok("EXPUNGE")
    assert search_result(r.ok("SEARCH ALL")) == [1, 2]
    assert search_result(r.ok("UID SEARCH ALL")) == [2, 3]
    assert search_result(r.ok("UID SEARCH UID 3")) == [3]
    assert search_result(r.ok("SEARCH UID 3")) == [2]
    _, t = r.cmd("SEARCH CHARSET KOI8-NOPE ALL")
    assert t.split()[1] == "NO"


def test_rfc822_items_and_seen(seeded_server):
    r, _ = login_select(seeded_server)
    r.ok("FETCH 1 RFC822.HEADER")                 # like BODY.PEEK[HEADER]
    assert "\\Seen" not in imaptest.flags_of(fetch_map(r.ok("FETCH 1 FLAGS"))[1])
    r.ok("FETCH 1 RFC822.TEXT")                   # like BODY[TEXT]
    assert "\\Seen" in imaptest.flags_of(fetch_map(r.ok("FETCH 1 FLAGS"))[1])
    r.ok("FETCH 2 RFC822")                        # like BODY[]
    assert "\\Seen" in imaptest.flags_of(fetch_map(r.ok("FETCH 2 FLAGS"))[2])
    r.ok("FETCH 3 BODY[HEADER]")                  # BODY[...] sets \Seen too
    assert "\\Seen" in imaptest.flags_of(fetch_map(r.ok("FETCH 3 FLAGS"))[3])
    r.close()
