"""Two sessions on one mailbox: changes reach the other as EXISTS, FETCH and
EXPUNGE at the moments RFC 3501 allows (never during FETCH, STORE or
SEARCH; EXPUNGE not during UID-less FETCH/STORE/SEARCH), and message
numbers never shift under a client unannounced."""
import re

import imaptest
from imaptest import apply_expunges, fetch_map, login_select, search_result


def unsolicited(untagged, cmd_word=None):
    """EXISTS / EXPUNGE / RECENT and FETCH responses not asked for."""
    out = []
    for u in untagged:
        if re.match(rb"\* \d+ (EXISTS|EXPUNGE|RECENT)$", u):
            out.append(u)
    return out


def test_flag_change_reaches_other(seeded_server):
    a, _ = login_select(seeded_server)
    b, _ = login_select(seeded_server)
    b.ok("STORE 2 +FLAGS (\\Flagged)")
    u = a.ok("NOOP")
    fm = fetch_map(u)
    assert 2 in fm and "\\Flagged" in imaptest.flags_of(fm[2])
    assert fetch_map(a.ok("NOOP")) == {}       # told once
    a.close()
    b.close()


def test_append_reaches_other_at_noop_not_during_fetch(seeded_server):
    a, _ = login_select(seeded_server)
    c = seeded_server.login()
    c.append("INBOX", None, None, b"Subject: n\r\n\r\nn\r\n")
    u = a.ok("FETCH 1 FLAGS")
    assert not any(re.match(rb"\* \d+ EXISTS", x) for x in u), u
    u = a.ok("STORE 1 +FLAGS (\\Seen)")
    assert not any(re.match(rb"\* \d+ EXISTS", x) for x in u), u
    u = a.ok("SEARCH ALL")
    assert search_result(u) == [1, 2, 3]
    assert not any(re.match(rb"\* \d+ EXISTS", x) for x in u), u
    u = a.ok("NOOP")
    assert b"* 4 EXISTS" in u
    assert b"UID 4" in fetch_map(a.ok("FETCH 4 UID"))[4]
    c.logout()
    a.close()


def test_expunge_held_back_during_fetch_store_search(seeded_server):
    a, _ = login_select(seeded_server)
    b, _ = login_select(seeded_server)
    b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    u = b.ok("EXPUNGE")
    assert b"* 1 EXPUNGE" in u
    for cmd in ("FETCH 1:* UID", "STORE 3 +FLAGS (\\Seen)", "SEARCH ALL"):
        u = a.ok(cmd)
        assert not any(b"EXPUNGE" in x for x in u), (cmd, u)
    # numbers did not shift: seq 2 is still uid 2, seq 3 uid 3
    fm = fetch_map(a.ok("FETCH 2:3 UID"))
    assert b"UID 2" in fm[2] and b"UID 3" in fm[3]
    u = a.ok("NOOP")
    assert apply_expunges([1, 2, 3], u) == [2, 3]
    fm = fetch_map(a.ok("FETCH 1:* UID"))
    assert sorted(fm) == [1, 2] and b"UID 2" in fm[1] and b"UID 3" in fm[2]
    a.close()
    b.close()


def test_expunge_and_exists_together(seeded_server):
    a, _ = login_select(seeded_server)
    b, _ = login_select(seeded_server)
    b.ok("STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    c = seeded_server.login()
    c.append("INBOX", None, None, b"Subject: n\r\n\r\nn\r\n")
    c.logout()
    u = a.ok("NOOP")
    view = [1, 2, 3]                 # uids by sequence number, as A sees them
    for x in u:
        m = re.match(rb"\* (\d+) (EXPUNGE|EXISTS)$", x)
        if m and m.group(2) == b"EXPUNGE":
            del view[int(m.group(1)) - 1]
        elif m:
            assert int(m.group(1)) >= len(view)
            view += ["new"] * (int(m.group(1)) - len(view))
    assert view == [3, "new"], u
    fm = fetch_map(a.ok("FETCH 1:* UID"))
    assert b"UID 3" in fm[1] and b"UID 4" in fm[2]
    a.close()
    b.close()


def test_copy_into_selected_mailbox(seeded_server):
    a, _ = login_select(seeded_server, "INBOX")
    b = seeded_server.raw()
    b.ok("LOGIN alice secret")
    b.ok("CREATE Other")
    b.ok("SELECT INBOX")
    b.ok("COPY 1 Other")
    a.ok("SELECT Other")
    b.ok("COPY 2:3 Other")
    u = a.ok("NOOP")
    assert b"* 3 EXISTS" in u
    a.close()
    b.close()


def test_other_user_isolated(seeded_server):
    b = seeded_server.raw()
    b.ok("LOGIN bob secret")
    u = b.ok("SELECT INBOX")
    assert b"* 0 EXISTS" in u
    b.close()
