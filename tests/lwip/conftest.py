"""Fixtures of the lwIP suite: a seeded image."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import imaptest  # noqa: E402


@pytest.fixture
def seeded(tmp_path):
    img = imaptest.make_image(tmp_path)
    mbox = imaptest.write_mbox(os.path.join(tmp_path, "in.mbox"), imaptest.SAMPLE)
    imaptest.imapctl("import", img, "alice", "INBOX", mbox)
    return img
