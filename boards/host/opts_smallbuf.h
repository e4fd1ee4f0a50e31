/* Host build with the small session buffers of a board: proves that APPEND
 * and FETCH literals stream instead of being held in RAM. */
#include "opts_host.h"
#define IMAP_INBUF_SIZE  4096
#define IMAP_OUTBUF_SIZE 4096
