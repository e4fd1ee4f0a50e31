/*
 * lwport_stack.h - lwIP brought up on the host: the tcpip thread, an
 * Ethernet netif on the libslirp wire, DHCP, listening sockets reached
 * through host port forwards, and lwIP's statistics at the end.
 */
#ifndef LWPORT_STACK_H
#define LWPORT_STACK_H

#include <stddef.h>

/* Starts lwIP (tcpip thread), the wire and the netif, and waits for a DHCP
 * lease (a few seconds at most).  0, or -1 with a reason in err. */
int lwport_stack_start(char *err, size_t cap);

/* Opens a non-blocking lwIP listening socket and forwards the host address
 * spec ("127.0.0.1:1143", port 0: any free one) to it.  Returns the lwIP
 * socket and writes the host address with its real port to name; or -1
 * and a reason in name. */
int lwport_stack_listen(const char *spec, char *name, size_t cap);

/* Remembers what lwIP holds while idle (DHCP's state, timers): the
 * baseline the exit check compares with.  Call it before listening. */
void lwport_stats_baseline(void);

/* After every socket is closed: waits (a few seconds at most) for the
 * closing PCBs to finish, logs the pools' high-water marks and errors, and
 * returns 0, or -1 when something leaked (a pool or the heap above the
 * baseline, a PCB other than TIME_WAIT left) or, in a build whose pools are
 * sized not to run dry, a pool ran dry. */
int lwport_stats_check(void);

/* Stops the wire (lwIP's thread ends with the process). */
void lwport_stack_stop(void);

#endif
