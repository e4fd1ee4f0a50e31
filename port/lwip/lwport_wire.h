/*
 * lwport_wire.h - the host side of lwIP's Ethernet: an in-process libslirp.
 *
 * libslirp plays the cable and everything beyond it: it answers lwIP's
 * DHCP, and forwards host loopback ports to lwIP's listening ports the way
 * QEMU's user networking does.  It runs in its own thread, standing in for
 * the Ethernet hardware (on a board: the MAC and its interrupt).  This file
 * knows nothing of lwIP: frames go out by wire_tx and come in through the
 * callback given to wire_start.
 */
#ifndef LWPORT_WIRE_H
#define LWPORT_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* The virtual network (QEMU's defaults): lwIP gets WIRE_GUEST_IP by DHCP. */
#define WIRE_NET        "10.0.2.0"
#define WIRE_GATEWAY    "10.0.2.2"
#define WIRE_GUEST_IP   "10.0.2.15"

/* A frame for lwIP.  Called from the wire thread, or from inside wire_tx
 * (an ARP or DHCP answer): it must not block. */
typedef void (*wire_rx_fn)(const uint8_t *frame, size_t len, void *ctx);

/* Creates the slirp instance and starts the wire thread; 0, or -1 with a
 * reason in err. */
int wire_start(wire_rx_fn rx, void *ctx, char *err, size_t cap);

/* A frame from lwIP (its linkoutput; the tcpip thread). */
void wire_tx(const uint8_t *frame, size_t len);

/* Forwards spec ("127.0.0.1:1143", "[::1]:0", "*:143"; port 0 picks a free
 * one) to WIRE_GUEST_IP:guest_port.  On success returns 0 and writes the
 * host address with the real port to name; else -1 and a reason. */
int wire_forward(const char *spec, uint16_t guest_port, char *name, size_t cap);

/* The port of a --listen spec (0: any), or -1 with a reason in err. */
int wire_spec_port(const char *spec, char *err, size_t cap);

/* Stops the wire thread and frees the slirp instance. */
void wire_stop(void);

#endif
