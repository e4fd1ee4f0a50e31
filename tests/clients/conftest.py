"""Fixtures of the real-client suite: a seeded image and a running imapd."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import imaptest  # noqa: E402

SEED = imaptest.SEED
WORK = imaptest.WORK


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
