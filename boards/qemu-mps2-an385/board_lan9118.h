/*
 * board_lan9118.h - the SMSC LAN9118 Ethernet controller (QEMU's model),
 * driven by polling from the main loop, as an lwIP netif.
 */
#ifndef BOARD_LAN9118_H
#define BOARD_LAN9118_H

#include "lwip/netif.h"

/* netif_add() init function: resets the chip, reads its MAC address,
 * enables RX and TX. */
err_t board_lan9118_netif_init(struct netif *nif);
/* Hands every received frame to nif->input; returns frames delivered. */
int board_lan9118_poll(struct netif *nif);
/* Times a frame waited in the chip because no pbuf was free. */
uint32_t board_lan9118_rx_deferred(void);

#endif
