/*
 * board_libc.c - the one system call newlib may need on this board.
 *
 * Nothing calls exit() in normal operation; mbedTLS's allocator does when
 * it finds its heap corrupted.  That is a fault: it reports and stops.
 * There is deliberately no _sbrk: no malloc() can link.
 */
#include "board.h"

void _exit(int status);
void _exit(int status)
{
    board_panic("exit(%d) called (mbedTLS heap check?)", status);
}
