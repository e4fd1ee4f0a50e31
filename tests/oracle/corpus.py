"""Deterministic message corpus for the Dovecot oracle and tools/bench.

corpus() gives the hand-written cases (structure edge cases); bulk(n)
gives n varied ordinary messages (seeded, so every run is the same)."""
import random

CRLF = b"\r\n"


def msg(headers, body=b""):
    """headers: list of (name, value) or raw bytes lines; CRLF line ends."""
    out = []
    for h in headers:
        if isinstance(h, bytes):
            out.append(h)
        else:
            out.append(h[0].encode() + b": " + (h[1] if isinstance(h[1], bytes) else h[1].encode()))
    return CRLF.join(out) + CRLF + CRLF + body


def part(headers, body):
    return msg(headers, body)


def multipart(boundary, parts, preamble=b"", epilogue=b"", close=True):
    b = boundary.encode()
    out = preamble
    for p in parts:
        out += b"--" + b + CRLF + p + CRLF
    if close:
        out += b"--" + b + b"--" + CRLF
    return out + epilogue


STD = [("From", "Alice Example <alice@example.org>"),
       ("To", "Bob <bob@example.net>, carol@example.com"),
       ("Date", "Mon, 7 Feb 2022 21:52:25 -0800"),
       ("Message-ID", "<m1@example.org>")]


def corpus():
    c = []
    # 1 simple text
    c.append(msg(STD + [("Subject", "Hello there")], b"Hi Bob,\r\nhow are you?\r\n"))
    # 2 no headers at all (blank first line)
    c.append(b"\r\nbody without header\r\n")
    # 3 header only, no blank line
    c.append(b"Subject: header only\r\nFrom: a@b.example")
    # 4 missing From/Date, group syntax, odd addresses
    c.append(msg([("To", "undisclosed-recipients:;"),
                  ("Cc", "Group: a@b.example, \"Quoted, Name\" <q@x.example>;, plain@y.example"),
                  ("Bcc", "<@route1,@route2:user@z.example>"),
                  ("Reply-To", "\"Escaped \\\"q\\\"\" <e@x.example>"),
                  ("Subject", "odd addresses")], b"x\r\n"))
    # 5 RFC 2047 in subject and names, 8-bit header
    c.append(msg([("From", "=?UTF-8?Q?Ren=C3=A9e?= <renee@example.fr>"),
                  ("To", "=?ISO-8859-1?B?SvxyZ2Vu?= <j@example.de>"),
                  ("Subject", "=?UTF-8?B?w6l0w6kgY2hhdWQ=?= =?UTF-8?Q?_et_sec?="),
                  b"X-Raw: caf\xc3\xa9 8-bit header",
                  ("Date", "Tue, 1 Mar 2022 10:00:00 +0100")],
                 b"Un \xc3\xa9t\xc3\xa9 chaud.\r\n"))
    # 6 multipart/mixed with text, QP, base64 attachment, RFC 2231 params
    att = part([("Content-Type", "application/octet-stream; name=\"report.bin\""),
                ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition", "attachment; filename*0=\"long\"; filename*1=\"name.bin\""),
                ("Content-Language", "en, de"),
                ("Content-Location", "http://example.org/r.bin"),
                ("Content-MD5", "Q2hlY2sgSW50ZWdyaXR5IQ==")],
               b"aGVsbG8gd29ybGQhIFRoaXMgaXMgYmluYXJ5IGRhdGEu\r\nAAEC/w==")
    qp = part([("Content-Type", "text/plain; charset=utf-8"),
               ("Content-Transfer-Encoding", "quoted-printable"),
               ("Content-ID", "<qp@example.org>"),
               ("Content-Description", "a QP part")],
              b"caf=C3=A9 cr=C3=A8me br=C3=BBl=C3=A9e, soft=\r\nbreak and a search=\r\nword\r\n")
    u8 = part([("Content-Type", "text/plain; charset*=utf-8''%C3%A9t%C3%A9; format=flowed")],
              b"plain part\r\n")
    c.append(msg(STD + [("Subject", "mixed"), ("MIME-Version", "1.0"),
                        ("Content-Type", "multipart/mixed; boundary=\"=_outer\"")],
                 multipart("=_outer", [u8, qp, att], preamble=b"This is MIME.\r\n",
                           epilogue=b"epilogue\r\n")))
    # 7 nested: mixed > alternative > related, and message/rfc822 attachment
    alt = part([("Content-Type", "multipart/alternative; boundary=alt")],
               multipart("alt", [
                   part([("Content-Type", "text/plain")], b"plain\r\n"),
                   part([("Content-Type", "multipart/related; boundary=rel; type=\"text/html\"")],
                        multipart("rel", [
                            part([("Content-Type", "text/html; charset=us-ascii")], b"<p>html</p>\r\n"),
                            part([("Content-Type", "image/png"), ("Content-Transfer-Encoding", "base64"),
                                  ("Content-ID", "<img1>")], b"iVBORw0KGgo=\r\n")]))]))
    inner = msg([("From", "Inner <inner@example.org>"), ("Subject", "inner message"),
                 ("Date", "Wed, 2 Mar 2022 11:00:00 +0000"),
                 ("Content-Type", "multipart/mixed; boundary=in")],
                multipart("in", [part([], b"inner text\r\n"),
                                 part([("Content-Type", "text/x-patch")], b"--- a\r\n+++ b\r\n")]))
    fwd = part([("Content-Type", "message/rfc822"), ("Content-Disposition", "inline")], inner)
    c.append(msg(STD + [("Subject", "nested"), ("Content-Type", "multipart/mixed; boundary=top")],
                 multipart("top", [alt, fwd])))
    # 8 top-level message/rfc822
    c.append(msg([("From", "x@y.example"), ("Subject", "wrapper"), ("Content-Type", "message/rfc822")],
                 msg([("Subject", "wrapped"), ("From", "w@y.example")], b"wrapped body\r\n")))
    # 9 missing close boundary
    c.append(msg([("Subject", "no close"), ("Content-Type", "multipart/mixed; boundary=nc")],
                 multipart("nc", [part([], b"one\r\n"), part([], b"two\r\n")], close=False)))
    # 10 boundary never appears
    c.append(msg([("Subject", "no parts"), ("Content-Type", "multipart/mixed; boundary=never")],
                 b"just text\r\n--other\r\n"))
    # 11 multipart without boundary parameter
    c.append(msg([("Subject", "no boundary"), ("Content-Type", "multipart/mixed")], b"text\r\n"))
    # 12 boundary with trailing junk, prefix confusion, empty parts
    c.append(msg([("Subject", "confusing"), ("Content-Type", "multipart/mixed; boundary=ab")],
                 b"--ab  \r\n\r\nfirst\r\n--abc\r\nnot a boundary\r\n--ab\r\n--ab\r\n"
                 b"Content-Type: text/plain\r\n\r\nlast\r\n--ab--\r\n"))
    # 13 duplicate boundaries in nested parts (inner reuses the outer's)
    c.append(msg([("Subject", "dup"), ("Content-Type", "multipart/mixed; boundary=d")],
                 multipart("d", [part([("Content-Type", "multipart/mixed; boundary=d")],
                                      b"--d\r\n\r\ninner?\r\n"), part([], b"after\r\n")])))
    # 14 multipart/digest
    c.append(msg([("Subject", "digest"), ("Content-Type", "multipart/digest; boundary=dg")],
                 multipart("dg", [msg([("Subject", "d1")], b"first\r\n"),
                                  msg([("Subject", "d2")], b"second\r\n")])))
    # 15 long header lines (10,000 characters)
    c.append(msg(STD + [("Subject", "long " + "x" * 9990), ("X-Long", "y" * 10000)], b"long\r\n"))
    # 16 folded headers
    c.append(msg([b"Subject: folded\r\n  across\r\n\tlines", b"From: Folded\r\n <f@x.example>",
                  b"To: a@x.example,\r\n b@x.example"], b"body\r\n"))
    # 17 Content-Type oddities: uppercase, comments, no subtype
    c.append(msg([("Subject", "ctype"), ("Content-Type", "TEXT/HTML (comment); CHARSET=\"ISO-8859-1\""),
                  ("Content-Transfer-Encoding", "8BIT")], b"<b>caf\xe9</b>\r\n"))
    c.append(msg([("Subject", "ctype2"), ("Content-Type", "text")], b"no subtype\r\n"))
    # 19 unknown transfer encoding
    c.append(msg([("Subject", "uue"), ("Content-Type", "multipart/mixed; boundary=u")],
                 multipart("u", [part([("Content-Transfer-Encoding", "x-uuencode")], b"begin 644 a\r\n")])))
    # 20 empty body, empty message handled separately (IMAP APPEND of 0 bytes)
    c.append(msg([("Subject", "empty body")], b""))
    # 21 1,000 parts
    c.append(msg([("Subject", "thousand"), ("Content-Type", "multipart/mixed; boundary=k")],
                 multipart("k", [part([("Content-Type", "text/plain")], b"part %d\r\n" % i)
                                 for i in range(1000)])))
    # 22 deep nesting (30 levels)
    body = part([], b"deepest\r\n")
    for i in range(30):
        body = part([("Content-Type", "multipart/mixed; boundary=n%d" % i)],
                    multipart("n%d" % i, [body]))
    c.append(msg([("Subject", "deep")], b"") [:-2] + body)
    # 23 search material: dates with zones
    c.append(msg([("From", "tz@example.org"), ("Subject", "late"),
                  ("Date", "Sun, 31 Dec 2023 23:30:00 -1000")], b"zone test\r\n"))
    c.append(msg([("From", "tz@example.org"), ("Subject", "early"),
                  ("Date", "Mon, 1 Jan 2024 00:30:00 +1400")], b"zone test\r\n"))
    # 25 base64 text for BODY search
    c.append(msg([("Subject", "b64"), ("Content-Type", "text/plain; charset=utf-8"),
                  ("Content-Transfer-Encoding", "base64")],
                 b"U2VjcmV0IHdvcmQ6IHBpbmVhcHBsZSwgZXQgw6l0w6k=\r\n"))
    return c


WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo "
         "lima mike november oscar papa quebec romeo sierra tango uniform "
         "victor whiskey xray yankee zulu meeting report invoice budget").split()


def bulk(n, seed=5):
    """n ordinary messages: text, some multipart with an attachment."""
    r = random.Random(seed)
    out = []
    for i in range(n):
        subj = " ".join(r.choice(WORDS) for _ in range(r.randint(2, 7)))
        hdr = [("From", "%s <%s@example.org>" % (r.choice(WORDS).title(), r.choice(WORDS))),
               ("To", "%s@example.net" % r.choice(WORDS)),
               ("Subject", subj),
               ("Date", "%s, %d %s 2023 %02d:%02d:00 +0000" % (
                   r.choice(["Mon", "Tue", "Wed"]), r.randint(1, 28),
                   r.choice(["Jan", "Feb", "Mar"]), r.randint(0, 23), r.randint(0, 59))),
               ("Message-ID", "<bulk%d@example.org>" % i)]
        text = CRLF.join(b" ".join(r.choice(WORDS).encode() for _ in range(12))
                         for _ in range(r.randint(3, 40))) + CRLF
        if i % 3 == 0:
            b64 = __import__("base64").encodebytes(bytes(r.getrandbits(8) for _ in range(600))).replace(b"\n", CRLF)
            body = multipart("b%d" % i, [part([("Content-Type", "text/plain; charset=us-ascii")], text),
                                         part([("Content-Type", "application/pdf; name=a.pdf"),
                                               ("Content-Transfer-Encoding", "base64")], b64)])
            hdr.append(("Content-Type", "multipart/mixed; boundary=\"b%d\"" % i))
            out.append(msg(hdr, body))
        else:
            out.append(msg(hdr, text))
    return out
