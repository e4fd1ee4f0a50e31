"""Fixtures of the real-client suite: a seeded image and a running imapd."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import imaptest  # noqa: E402

SEED = [
    ("Mon Nov 23 09:15:00 2026",
     b"From: Alice <alice@example.org>\nTo: alice@example.org\n"
     b"Subject: seed one\nMessage-ID: <s1@example.org>\n\nfirst body\n"),
    ("Tue Nov 24 10:00:00 2026",
     b"From: Bob <bob@example.net>\nTo: alice@example.org\n"
     b"Subject: seed two\nMessage-ID: <s2@example.org>\n\nsecond body\n"),
    ("Wed Nov 25 11:30:00 2026",
     b"From: Carol <carol@example.com>\nTo: alice@example.org\n"
     b"Subject: seed three\nMessage-ID: <s3@example.org>\n\nthird body\n"),
]
WORK = [
    ("Thu Nov 26 08:00:00 2026",
     b"From: Boss <boss@example.com>\nTo: alice@example.org\n"
     b"Subject: work item\nMessage-ID: <w1@example.org>\n\nplease do it\n"),
]


@pytest.fixture
def seeded_server(tmp_path):
    img = imaptest.make_image(tmp_path, users=("alice",))
    inbox = imaptest.write_mbox(str(tmp_path / "inbox.mbox"), SEED)
    work = imaptest.write_mbox(str(tmp_path / "work.mbox"), WORK)
    imaptest.imapctl("import", img, "alice", "INBOX", inbox)
    imaptest.imapctl("import", img, "alice", "Work", work)
    srv = imaptest.Server(img).start()
    yield srv
    srv.stop()
