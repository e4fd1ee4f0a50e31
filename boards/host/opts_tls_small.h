/* Host build with a board's TLS record sizes: 4 KiB incoming records (a
 * client must negotiate max_fragment_length 4096 or less, or keep its
 * records small) and 2 KiB outgoing ones.  tests/protocol/test_tls.py
 * checks that a full-size record closes the session cleanly here. */
#include "opts_host.h"
#define IMAP_TLS_IN_CONTENT_LEN  4096
#define IMAP_TLS_OUT_CONTENT_LEN 2048
