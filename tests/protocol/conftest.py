"""Fixtures of the protocol suite: a fresh image and a running imapd per
test; imapd must exit 0 on SIGTERM at the end of every test."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import imaptest  # noqa: E402

SAMPLE = imaptest.SAMPLE


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
