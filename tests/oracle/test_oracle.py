"""The Dovecot oracle: the same generated corpus APPENDed to imapd and to
Debian's Dovecot, then ENVELOPE, BODYSTRUCTURE, BODY, BODY[section],
BINARY and SEARCH compared byte for byte.  Every difference left is listed
in KNOWN with the docs/MIME.md section that explains why ours is right."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
import dovecot  # noqa: E402
import oracle  # noqa: E402

pytestmark = pytest.mark.skipif(not dovecot.available(),
                                reason="dovecot-imapd is not installed (tools/setup)")

# (message number, item) -> docs/MIME.md section
KNOWN = {
    # BINARY of a multipart: Dovecot rewrites every nested part decoded
    # (new Content-Transfer-Encoding headers); RFC 3516 defines BINARY on a
    # part's content-transfer-encoding, which a multipart does not decode.
    (7, "BINARY.PEEK[1]"): "binary-multipart",
    (7, "BINARY.PEEK[1]<3.7>"): "binary-multipart",
    (7, "BINARY.SIZE[1]"): "binary-multipart",
    # Unknown Content-Transfer-Encoding: both answer NO [UNKNOWN-CTE];
    # Dovecot leaves the item out, we send it as NIL.
    (19, "BINARY.PEEK[1]"): "unknown-cte",
    (19, "BINARY.PEEK[1]<3.7>"): "unknown-cte",
    (19, "BINARY.SIZE[1]"): "unknown-cte",
    # SEARCH CHARSET other than UTF-8/US-ASCII: NO [BADCHARSET] (RFC 3501
    # 6.4.4); Dovecot converts KOI8-R.
    (0, "SEARCH CHARSET KOI8-R SUBJECT x"): "badcharset",
}
# a digest part without its own MIME header block (malformed): the blank
# line before the boundary belongs to the header for us, to the boundary
# for Dovecot.
KNOWN_MSGS = {14: "digest-no-mime-header"}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("oracle")
    os.chmod(d, 0o755)
    p = oracle.Pair(corpus.corpus(), str(d))
    yield p
    p.close()


def _unexpected(diffs):
    return [x for x in diffs
            if (x[0], x[1]) not in KNOWN and x[0] not in KNOWN_MSGS]


def test_fetch_structure_and_sections(pair):
    diffs = oracle.compare_fetch(pair)
    bad = _unexpected(diffs)
    assert not bad, oracle.show(bad)


def test_search(pair):
    diffs = oracle.compare_search(pair)
    bad = _unexpected(diffs)
    assert not bad, oracle.show(bad)


def test_known_differences_still_differ(pair):
    """A known difference that went away must leave KNOWN too."""
    diffs = oracle.compare_fetch(pair) + oracle.compare_search(pair)
    seen = {(x[0], x[1]) for x in diffs}
    gone = [k for k in KNOWN if k not in seen]
    assert not gone, gone


def test_bulk_envelope_bodystructure(tmp_path):
    """200 ordinary messages: FETCH 1:* ENVELOPE and BODYSTRUCTURE agree."""
    os.chmod(tmp_path, 0o755)
    p = oracle.Pair(corpus.bulk(200), str(tmp_path))
    try:
        for it in ("(UID FLAGS RFC822.SIZE ENVELOPE)", "BODYSTRUCTURE"):
            a = oracle.ask(p.a, "FETCH 1:* " + it)
            b = oracle.ask(p.b, "FETCH 1:* " + it)
            assert a == b
        for q in ("TEXT meeting", "BODY invoice", "SUBJECT budget",
                  "FROM alpha", "SENTSINCE 15-Feb-2023"):
            assert oracle.ask(p.a, "SEARCH " + q) == oracle.ask(p.b, "SEARCH " + q), q
    finally:
        p.close()
