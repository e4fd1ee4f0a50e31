"""Fixtures of the protocol suite: a fresh image and a running imapd per
test; imapd must exit 0 on SIGTERM at the end of every test."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import imaptest  # noqa: E402

SAMPLE = [
    ("Mon Nov 23 09:15:00 2026",
     b"From: Alice <alice@example.org>\nTo: bob@example.org\n"
     b"Subject: first message\nDate: Mon, 23 Nov 2026 09:15:00 +0000\n"
     b"Message-ID: <m1@example.org>\n\nHello Bob,\nthis is the first one.\n"),
    ("Tue Nov 24 10:00:00 2026",
     b"From: Carol <carol@example.net>\nTo: alice@example.org\n"
     b"Subject: lunch on thursday\nDate: Tue, 24 Nov 2026 10:00:00 +0000\n"
     b"X-Priority: 1\n\nAre you free for lunch?\n"),
    ("Wed Nov 25 11:30:00 2026",
     b"From: Dave <dave@example.com>\nTo: alice@example.org\n"
     b"Subject: big report\nDate: Wed, 25 Nov 2026 11:30:00 +0000\n\n"
     + b"report line with some words\n" * 400),
]


@pytest.fixture
def image(tmp_path):
    return imaptest.make_image(tmp_path)


@pytest.fixture
def seeded(tmp_path, image):
    """alice's INBOX holds the SAMPLE messages (UIDs 1..3)."""
    mbox = imaptest.write_mbox(os.path.join(tmp_path, "in.mbox"), SAMPLE)
    imaptest.imapctl("import", image, "alice", "INBOX", mbox)
    return image


@pytest.fixture
def server(image):
    srv = imaptest.Server(image).start()
    yield srv
    srv.stop()


@pytest.fixture
def seeded_server(seeded):
    srv = imaptest.Server(seeded).start()
    yield srv
    srv.stop()
