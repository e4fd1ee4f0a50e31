/*
 * memsizes.c - never linked into anything: compiled only so that the
 * memory report can read, with nm, the size of each of these symbols.
 * That works the same for the host and for a cross build that cannot run.
 */
#include "imap/imap.h"
#include "store/store.h"
#include "tls/tls_int.h"

#define MEMSIZE(name, expr) char memsize_##name[(expr)]; \
    char *memsize_ref_##name(void); char *memsize_ref_##name(void) { return memsize_##name; }

MEMSIZE(session, sizeof(imap_session_t))
MEMSIZE(session_inbuf, IMAP_INBUF_SIZE)
MEMSIZE(session_outbuf, IMAP_OUTBUF_SIZE)
MEMSIZE(server, sizeof(imap_server_t))
MEMSIZE(store, sizeof(store_t))
MEMSIZE(node_cache, STORE_NODE_CACHE * STORE_NODE_SIZE)
MEMSIZE(max_sessions, IMAP_MAX_SESSIONS)
MEMSIZE(all_sessions, IMAP_MAX_SESSIONS * sizeof(imap_session_t))
MEMSIZE(tls_conn, sizeof(tls_conn_t))
MEMSIZE(tls_sessions, IMAP_TLS_SESSIONS)
MEMSIZE(tls_pool, IMAP_TLS_SESSIONS * sizeof(tls_conn_t))
MEMSIZE(tls_heap, IMAP_TLS_HEAP_SIZE)
MEMSIZE(tls_in_record, IMAP_TLS_IN_CONTENT_LEN)
MEMSIZE(tls_out_record, IMAP_TLS_OUT_CONTENT_LEN)
