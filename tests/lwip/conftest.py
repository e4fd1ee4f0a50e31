"""Fixtures of the lwIP suite: the tiny-pools daemon ($IMAPD_TINY_BIN)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import imaptest  # noqa: E402

TINY = os.environ.get("IMAPD_TINY_BIN") or os.path.join(
    imaptest.ROOT, "build/host-lwip/bin/imapd-tiny")


@pytest.fixture
def seeded(tmp_path):
    img = imaptest.make_image(tmp_path)
    mbox = imaptest.write_mbox(os.path.join(tmp_path, "in.mbox"), imaptest.SAMPLE)
    imaptest.imapctl("import", img, "alice", "INBOX", mbox)
    return img
