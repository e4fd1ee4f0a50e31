/* Options for the host daemon (Linux NAS/router): more sessions than the
 * embedded default; everything else as documented in src/imap_opts.h. */
#define IMAP_MAX_SESSIONS 64
