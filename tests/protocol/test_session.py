"""Greeting, CAPABILITY, NOOP, LOGOUT, LOGIN, AUTHENTICATE PLAIN, states."""
import base64
import time

import imaptest


def test_greeting_and_capability(server):
    r = server.raw()
    assert r.greeting.startswith(b"* OK")
    u = r.ok("CAPABILITY")
    caps = [x for x in u if x.startswith(b"* CAPABILITY ")]
    assert len(caps) == 1
    words = caps[0].split()[2:]
    assert b"IMAP4rev1" in words
    assert b"LOGINDISABLED" not in words       # --allow-plaintext
    assert b"AUTH=PLAIN" in words
    r.close()


def test_noop_and_logout(server):
    r = server.raw()
    r.ok("NOOP")
    u, t = r.cmd("LOGOUT")
    assert any(x.startswith(b"* BYE") for x in u)
    assert " OK" in t
    assert r.closed()


def test_login_ok_and_logged(server):
    c = server.login()
    typ, _ = c.noop()
    assert typ == "OK"
    c.logout()
    server.wait_log(r"alice")
    assert imaptest.PASSWORD not in server.log_text()


def test_login_quoted_and_literal(server):
    r = server.raw()
    r.ok('LOGIN "alice" "secret"')
    r.close()
    r = server.raw()
    r.send("a LOGIN {5}\r\n")
    assert r.line().startswith(b"+")
    r.send("alice {6}\r\n")
    assert r.line().startswith(b"+")
    r.send("secret\r\n")
    _, t = r.until("a")
    assert t.startswith("a OK")
    r.close()


def test_login_failure_delay_and_code(server):
    r = server.raw()
    t0 = time.monotonic()
    _, t = r.cmd("LOGIN alice wrong")
    d1 = time.monotonic() - t0
    assert t.split()[1] == "NO" and "[AUTHENTICATIONFAILED]" in t
    assert d1 >= 0.3
    t0 = time.monotonic()
    _, t = r.cmd("LOGIN alice wrong2")
    d2 = time.monotonic() - t0
    assert "[AUTHENTICATIONFAILED]" in t
    assert d2 - d1 > 0.25, (d1, d2)              # grows with each failure
    t0 = time.monotonic()
    _, t = r.cmd("LOGIN nosuchuser wrong")       # unknown user: same answer
    assert "[AUTHENTICATIONFAILED]" in t and time.monotonic() - t0 > d1
    r.ok("LOGIN alice secret")                    # still possible afterwards
    assert imaptest.PASSWORD not in server.log_text()
    assert "wrong" not in server.log_text()
    r.close()


def test_failed_login_delay_does_not_block_others(server):
    a = server.raw()
    b = server.raw()
    a.send("x LOGIN alice wrong\r\n")
    time.sleep(0.05)
    t0 = time.monotonic()
    b.ok("NOOP")
    assert time.monotonic() - t0 < 0.3 * imaptest.SLOW
    _, t = a.until("x")
    assert "NO" in t
    a.close()
    b.close()


def test_authenticate_plain(server):
    c = server.imap()
    typ, _ = c.authenticate("PLAIN", lambda _: b"\0alice\0" + imaptest.PASSWORD.encode())
    assert typ == "OK"
    assert c.select("INBOX")[0] == "OK"
    c.logout()


def test_authenticate_plain_bad_and_cancel(server):
    r = server.raw()
    r.send("a AUTHENTICATE PLAIN\r\n")
    assert r.line().startswith(b"+")
    r.send("*\r\n")
    _, t = r.until("a")
    assert t.split()[1] == "BAD"
    r.send("b AUTHENTICATE PLAIN\r\n")
    assert r.line().startswith(b"+")
    r.send(base64.b64encode(b"\0alice\0nope").decode() + "\r\n")
    _, t = r.until("b")
    assert t.split()[1] == "NO" and "AUTHENTICATIONFAILED" in t
    r.send("c AUTHENTICATE PLAIN\r\n")
    assert r.line().startswith(b"+")
    r.send("!!!notbase64\r\n")
    _, t = r.until("c")
    assert t.split()[1] in ("BAD", "NO")
    r.send("d AUTHENTICATE PLAIN\r\n")
    assert r.line().startswith(b"+")
    r.send(base64.b64encode(b"\0alice\0secret").decode() + "\r\n")
    _, t = r.until("d")
    assert t.startswith("d OK")
    r.close()


def test_logindisabled_without_plaintext(image):
    with imaptest.Server(image, allow_plaintext=False) as srv:
        r = srv.raw()
        u = r.ok("CAPABILITY")
        assert b"LOGINDISABLED" in b" ".join(u)
        _, t = r.cmd("LOGIN alice secret")
        assert t.split()[1] in ("NO", "BAD")
        r.send("a AUTHENTICATE PLAIN " +
               base64.b64encode(b"\0alice\0secret").decode() + "\r\n")
        resp = r.response()
        while resp.startswith(b"*"):
            resp = r.response()
        if resp.startswith(b"+"):        # no SASL-IR: answer the challenge
            r.send(base64.b64encode(b"\0alice\0secret").decode() + "\r\n")
            _, t = r.until("a")
        else:
            t = resp.decode()
        assert t.split()[1] in ("NO", "BAD")
        # still not authenticated
        _, t = r.cmd("SELECT INBOX")
        assert t.split()[1] in ("NO", "BAD")
        r.close()


def test_wrong_state_is_bad(server):
    r = server.raw()
    for cmd in ("SELECT INBOX", "LIST \"\" *", "FETCH 1 FLAGS", "CLOSE",
                "STATUS INBOX (MESSAGES)", "CREATE foo"):
        _, t = r.cmd(cmd)
        assert t.split()[1] == "BAD", (cmd, t)
    r.ok("LOGIN alice secret")
    for cmd in ("FETCH 1 FLAGS", "STORE 1 +FLAGS \\Seen", "SEARCH ALL",
                "EXPUNGE", "CLOSE", "COPY 1 INBOX", "UID FETCH 1 FLAGS",
                "LOGIN alice secret"):
        _, t = r.cmd(cmd)
        assert t.split()[1] == "BAD", (cmd, t)
    r.ok("NOOP")
    r.close()


def test_unknown_and_malformed_commands(server):
    r = server.raw()
    for cmd in ("FOO", "NOOP extra", "LOGIN", "LOGIN alice", "CAPABILITY("):
        _, t = r.cmd(cmd)
        assert t.split()[1] == "BAD", (cmd, t)
    r.ok("LOGIN alice secret")
    for cmd in ("SELECT", "FETCH", "SELECT \"unterminated", "STATUS INBOX",
                "STATUS INBOX (BOGUS)", "LIST", "CREATE"):
        _, t = r.cmd(cmd)
        assert t.split()[1] == "BAD", (cmd, t)
    r.ok("SELECT INBOX")
    for cmd in ("FETCH 0 FLAGS", "FETCH x FLAGS", "FETCH 1 (FLAGS", "FETCH 1 BOGUS",
                "STORE 1 FLAGS", "STORE 1 +FLAGZ \\Seen", "SEARCH BOGUS",
                "SEARCH (ALL", "UID BOGUS", "COPY 1"):
        _, t = r.cmd(cmd)
        assert t.split()[1] == "BAD", (cmd, t)
    r.ok("NOOP")
    r.close()
