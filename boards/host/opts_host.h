/* Options for the host daemon (Linux NAS/router): more sessions than the
 * embedded default; everything else as documented in src/imap_opts.h. */
#define IMAP_MAX_SESSIONS 64

/* Message structure (src/mime/mime.h): a 1,000-part message and 10,000-
 * character header fields keep their full structure on the host. */
#define IMAP_MIME_SUMMARY_MAX (96 * 1024)
#define IMAP_MIME_FIELD_MAX 12288
#define IMAP_MIME_DEPTH 100

/* CRC-32 by slicing-by-8 (8 KiB of tables): every index node read is
 * checked, and the nibble version dominated FETCH of many messages. */
#define IMAP_CRC32_SLICE8 1

/* 96 clean index nodes (96 KiB, shared): FETCH and SEARCH over a 10,000-
 * message mailbox walk the message records and their summaries together,
 * which 8 slots cannot hold. */
#ifndef STORE_NODE_CACHE   /* a test may pin its own */
#define STORE_NODE_CACHE 96
#endif
