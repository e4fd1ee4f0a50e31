/* Options for the lwIP build of the daemon (preset host-lwip): as many
 * sessions as lwipopts.h sizes its pools for. */
#define IMAP_MAX_SESSIONS 16
