"""CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS."""
import re

import imaptest


def list_names(untagged, kind=b"LIST"):
    """{name: attributes} from LIST/LSUB responses."""
    out = {}
    for u in untagged:
        m = re.match(rb"\* " + kind + rb" \(([^)]*)\) (\"/\"|NIL) (.*)$", u)
        assert m, u
        name = m.group(3)
        if name.startswith(b'"'):
            name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        out[name.decode()] = m.group(1).decode().split()
    return out


def login(server):
    r = server.raw()
    r.ok("LOGIN alice secret")
    return r


def test_list_delimiter_and_inbox(server):
    r = login(server)
    u = r.ok('LIST "" ""')
    assert len(u) == 1 and re.match(rb'\* LIST \(.*\\Noselect.*\) "/" ""', u[0]), u
    names = list_names(r.ok('LIST "" "*"'))
    assert "INBOX" in names
    names = list_names(r.ok('LIST "" "inbox"'))
    assert list(names) == ["INBOX"]
    r.close()


def test_create_list_wildcards(server):
    r = login(server)
    for n in ("Work", "Work/Projects", "Work/Projects/2026", "Private", "Drafts Box"):
        r.ok(f'CREATE "{n}"')
    _, t = r.cmd("CREATE Work")
    assert t.split()[1] == "NO"
    _, t = r.cmd("CREATE INBOX")
    assert t.split()[1] == "NO"
    every = list_names(r.ok('LIST "" "*"'))
    assert set(every) == {"INBOX", "Work", "Work/Projects", "Work/Projects/2026",
                          "Private", "Drafts Box"}
    top = list_names(r.ok('LIST "" "%"'))
    assert set(top) == {"INBOX", "Work", "Private", "Drafts Box"}
    lvl2 = list_names(r.ok('LIST "" "Work/%"'))
    assert set(lvl2) == {"Work/Projects"}
    deep = list_names(r.ok('LIST "Work/" "*"'))
    assert set(deep) == {"Work/Projects", "Work/Projects/2026"}
    r.ok('CREATE "Trailing/"')          # a trailing delimiter is dropped
    assert "Trailing" in list_names(r.ok('LIST "" "Trailing"'))
    r.close()


def test_create_implies_parents_or_noselect(server):
    r = login(server)
    r.ok("CREATE a/b/c")
    top = list_names(r.ok('LIST "" "%"'))
    assert "a" in top                    # mailbox or \Noselect placeholder
    assert "a/b/c" in list_names(r.ok('LIST "" "*"'))
    r.close()


def test_delete(server):
    r = login(server)
    r.ok("CREATE Trash")
    r.ok("DELETE Trash")
    assert "Trash" not in list_names(r.ok('LIST "" "*"'))
    _, t = r.cmd("SELECT Trash")
    assert t.split()[1] == "NO"
    _, t = r.cmd("DELETE Trash")
    assert t.split()[1] == "NO"
    _, t = r.cmd("DELETE INBOX")
    assert t.split()[1] == "NO"
    r.close()


def test_rename_keeps_messages_and_children(server):
    c = server.login()
    c.create("Old")
    c.create("Old/Child")
    c.append("Old", None, None, b"Subject: x\r\n\r\nbody\r\n")
    c.select("Old")
    uv = c.response("UIDVALIDITY")[1][0]
    c.close()
    assert c.rename("Old", "New")[0] == "OK"
    typ, lst = c.list("", "*")
    names = " ".join(x.decode() for x in lst)
    assert "New/Child" in names and "Old" not in names
    typ, data = c.select("New")
    assert typ == "OK" and data == [b"1"]
    assert c.response("UIDVALIDITY")[1][0] == uv
    c.close()
    assert c.rename("New", "INBOX")[0] == "NO"
    c.create("Other")
    assert c.rename("New", "Other")[0] == "NO"
    assert c.rename("Missing", "Whatever")[0] == "NO"
    c.logout()


def test_rename_inbox_moves_messages(server):
    c = server.login()
    for i in range(2):
        c.append("INBOX", None, None, b"Subject: m%d\r\n\r\nbody\r\n" % i)
    assert c.rename("INBOX", "Saved")[0] == "OK"
    typ, data = c.select("Saved")
    assert data == [b"2"]
    typ, data = c.select("INBOX")
    assert typ == "OK" and data == [b"0"]
    c.logout()


def test_subscribe_lsub(server):
    r = login(server)
    r.ok("CREATE Lists")
    r.ok("CREATE Lists/Dev")
    r.ok("SUBSCRIBE Lists/Dev")
    r.ok("SUBSCRIBE INBOX")
    names = list_names(r.ok('LSUB "" "*"'), b"LSUB")
    assert set(names) == {"Lists/Dev", "INBOX"}
    names = list_names(r.ok('LSUB "" "%"'), b"LSUB")
    assert "INBOX" in names and "Lists/Dev" not in names
    r.ok("UNSUBSCRIBE Lists/Dev")
    names = list_names(r.ok('LSUB "" "*"'), b"LSUB")
    assert set(names) == {"INBOX"}
    r.close()


def test_status(seeded_server):
    r = login(seeded_server)
    u = r.ok("STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
    assert len(u) == 1
    m = re.match(rb"\* STATUS (INBOX|\"INBOX\") \((.*)\)$", u[0])
    assert m, u
    items = m.group(2).split()
    st = dict(zip(items[::2], map(int, items[1::2])))
    assert st[b"MESSAGES"] == 3 and st[b"UIDNEXT"] == 4 and st[b"UNSEEN"] == 3
    assert st[b"UIDVALIDITY"] > 0 and st[b"RECENT"] == 3
    _, t = r.cmd("STATUS Nowhere (MESSAGES)")
    assert t.split()[1] == "NO"
    r.close()
