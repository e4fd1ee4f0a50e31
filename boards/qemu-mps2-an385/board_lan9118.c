/*
 * board_lan9118.c - a polled LAN9118 driver for lwIP (NO_SYS=1).
 *
 * Written from the LAN9118 data sheet's register map and QEMU's behaviour
 * (docs/BOARD.md): no checksum offload, the RX status length includes the
 * 4-byte FCS (stripped here), MAC CSRs are reached through MAC_CSR_CMD.
 * The main loop polls the RX status FIFO; no interrupt is needed (the
 * SysTick wakes the CPU from WFI every millisecond).
 */
#include "board_lan9118.h"

#include <string.h>

#include "board.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#define LAN_BASE 0x40200000u
#define LAN_REG(off) (*(volatile uint32_t *)(LAN_BASE + (off)))

#define RX_DATA_FIFO   0x00
#define TX_DATA_FIFO   0x20
#define RX_STATUS_FIFO 0x40
#define RX_STATUS_PEEK 0x44
#define TX_STATUS_FIFO 0x48
#define ID_REV         0x50
#define IRQ_CFG        0x54
#define INT_STS        0x58
#define INT_EN         0x5C
#define BYTE_TEST      0x64
#define RX_CFG         0x6C
#define TX_CFG         0x70
#define HW_CFG         0x74
#define RX_DP_CTRL     0x78
#define RX_FIFO_INF    0x7C
#define TX_FIFO_INF    0x80
#define PMT_CTRL       0x84
#define MAC_CSR_CMD    0xA4
#define MAC_CSR_DATA   0xA8
#define AFC_CFG        0xAC

#define MAC_CR    1
#define MAC_ADDRH 2
#define MAC_ADDRL 3

#define MAC_CR_RXEN (1u << 2)
#define MAC_CR_TXEN (1u << 3)
#define MAC_CR_FDPX (1u << 20)
#define CSR_BUSY (1u << 31)
#define CSR_READ (1u << 30)
#define HW_CFG_SRST 1u
#define PMT_READY 1u
#define TX_CFG_TX_ON (1u << 1)
#define RX_DP_FFWD (1u << 31)
#define TXA_FIRST (1u << 13)
#define TXA_LAST  (1u << 12)
#define RXS_ERROR (1u << 15)

#define LAN_SPIN_MAX 100000

static uint32_t lan_rx_deferred;

static uint32_t mac_read(uint32_t idx)
{
    LAN_REG(MAC_CSR_CMD) = CSR_BUSY | CSR_READ | idx;
    for (int i = 0; i < LAN_SPIN_MAX && (LAN_REG(MAC_CSR_CMD) & CSR_BUSY); i++)
        ;
    return LAN_REG(MAC_CSR_DATA);
}

static void mac_write(uint32_t idx, uint32_t v)
{
    LAN_REG(MAC_CSR_DATA) = v;
    LAN_REG(MAC_CSR_CMD) = CSR_BUSY | idx;
    for (int i = 0; i < LAN_SPIN_MAX && (LAN_REG(MAC_CSR_CMD) & CSR_BUSY); i++)
        ;
}

/* A frame to the wire: command A/B words, then the data words. */
static err_t lan_output(struct netif *nif, struct pbuf *p)
{
    (void)nif;
    uint32_t len = p->tot_len;
    if (len > 1514)
        return ERR_ARG;
    /* Wait for room in the TX data FIFO (QEMU drains it at once). */
    for (int i = 0; (LAN_REG(TX_FIFO_INF) & 0xFFFFu) < len + 8; i++)
        if (i > LAN_SPIN_MAX)
            return ERR_MEM;
    LAN_REG(TX_DATA_FIFO) = TXA_FIRST | TXA_LAST | len;
    LAN_REG(TX_DATA_FIFO) = (len << 16) | len;   /* tag = length */

    /* Words cross pbuf boundaries: gather bytes into one word at a time. */
    uint32_t word = 0;
    unsigned fill = 0;
    for (struct pbuf *q = p; q; q = q->next) {
        const uint8_t *b = q->payload;
        for (uint16_t i = 0; i < q->len; i++) {
            word |= (uint32_t)b[i] << (8 * fill);
            if (++fill == 4) {
                LAN_REG(TX_DATA_FIFO) = word;
                word = 0;
                fill = 0;
            }
        }
    }
    if (fill)
        LAN_REG(TX_DATA_FIFO) = word;
    /* Drop the TX status: nobody reads it, and the FIFO must not fill. */
    while ((LAN_REG(TX_FIFO_INF) >> 16) & 0xFFu)
        (void)LAN_REG(TX_STATUS_FIFO);
    return ERR_OK;
}

static void rx_discard(uint32_t words)
{
    if (words >= 4) {
        LAN_REG(RX_DP_CTRL) = RX_DP_FFWD;
        for (int i = 0; i < LAN_SPIN_MAX && (LAN_REG(RX_DP_CTRL) & RX_DP_FFWD); i++)
            ;
    } else {
        while (words--)
            (void)LAN_REG(RX_DATA_FIFO);
    }
}

int board_lan9118_poll(struct netif *nif)
{
    int frames = 0;
    while ((LAN_REG(RX_FIFO_INF) >> 16) & 0xFFu) {
        uint32_t st = LAN_REG(RX_STATUS_PEEK);
        uint32_t len = (st >> 16) & 0x3FFFu;       /* with the 4-byte FCS */
        uint32_t words = (len + 3) / 4;
        if ((st & RXS_ERROR) || len < 18 || len > 1522) {
            (void)LAN_REG(RX_STATUS_FIFO);
            rx_discard(words);
            continue;
        }
        uint16_t flen = (uint16_t)(len - 4);
        struct pbuf *p = pbuf_alloc(PBUF_RAW, flen, PBUF_POOL);
        if (!p) {
            /* No pbuf: leave the frame in the chip's FIFO and try again
             * next round; a full FIFO makes QEMU hold further frames
             * (back-pressure, not loss). */
            lan_rx_deferred++;
            break;
        }
        (void)LAN_REG(RX_STATUS_FIFO);
        /* Read whole words; bytes beyond the frame (the FCS) are dropped. */
        struct pbuf *q = p;
        uint16_t qoff = 0;
        uint32_t done = 0;
        for (uint32_t w = 0; w < words; w++) {
            uint32_t v = LAN_REG(RX_DATA_FIFO);
            for (int k = 0; k < 4 && done < flen; k++, done++) {
                while (qoff == q->len) {
                    q = q->next;
                    qoff = 0;
                }
                ((uint8_t *)q->payload)[qoff++] = (uint8_t)(v >> (8 * k));
            }
        }
        if (nif->input(p, nif) != ERR_OK)
            pbuf_free(p);
        frames++;
    }
    return frames;
}

uint32_t board_lan9118_rx_deferred(void)
{
    return lan_rx_deferred;
}

err_t board_lan9118_netif_init(struct netif *nif)
{
    LAN_REG(HW_CFG) = HW_CFG_SRST;
    for (int i = 0; i < LAN_SPIN_MAX && (LAN_REG(HW_CFG) & HW_CFG_SRST); i++)
        ;
    for (int i = 0; i < LAN_SPIN_MAX && !(LAN_REG(PMT_CTRL) & PMT_READY); i++)
        ;
    if (LAN_REG(BYTE_TEST) != 0x87654321u)
        board_panic("lan9118: no chip at %08x (BYTE_TEST %08lx)", LAN_BASE,
                    (unsigned long)LAN_REG(BYTE_TEST));

    uint32_t lo = mac_read(MAC_ADDRL), hi = mac_read(MAC_ADDRH);
    nif->hwaddr_len = 6;
    for (int i = 0; i < 4; i++)
        nif->hwaddr[i] = (uint8_t)(lo >> (8 * i));
    nif->hwaddr[4] = (uint8_t)hi;
    nif->hwaddr[5] = (uint8_t)(hi >> 8);

    LAN_REG(INT_EN) = 0;            /* polled */
    LAN_REG(INT_STS) = 0xFFFFFFFFu;
    LAN_REG(IRQ_CFG) = 0x111;       /* QEMU keeps IRQs pending otherwise */
    LAN_REG(RX_CFG) = 0;            /* no offset, no end padding */
    LAN_REG(TX_CFG) = TX_CFG_TX_ON;
    mac_write(MAC_CR, MAC_CR_RXEN | MAC_CR_TXEN | MAC_CR_FDPX);

    nif->name[0] = 'e';
    nif->name[1] = 'n';
    nif->mtu = 1500;
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
                 NETIF_FLAG_LINK_UP;
    nif->output = etharp_output;
    nif->linkoutput = lan_output;
    return ERR_OK;
}
