/*
 * lwport_stack.c - lwIP's bring-up on the host: tcpip thread, the netif
 * on the libslirp wire, DHCP, listening sockets.
 *
 * The netif is plain Ethernet: linkoutput hands the frame to the wire,
 * frames from the wire are copied into pool pbufs and queued for the
 * tcpip thread (tcpip_input).  A frame that finds the pool empty is
 * dropped and counted, as a MAC without DMA descriptors would: TCP
 * retransmits it.
 */
#include "lwport_stack.h"

#include <stdio.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sockets.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#include "lwport_wire.h"

#define STACK_DHCP_WAIT_MS 10000
#define STACK_ETH_MTU 1500

static struct netif stack_netif;
static uint8_t stack_tx_frame[PBUF_POOL_BUFSIZE + 64];

/* ---- the netif ------------------------------------------------------------ */

/* Core lock held (tcpip thread or the socket caller): one frame at a time,
 * so one static buffer flattens a chained pbuf. */
static err_t stack_linkoutput(struct netif *nif, struct pbuf *p)
{
    (void)nif;
    if (p->tot_len > sizeof(stack_tx_frame)) {
        LINK_STATS_INC(link.lenerr);
        return ERR_BUF;
    }
    pbuf_copy_partial(p, stack_tx_frame, p->tot_len, 0);
    wire_tx(stack_tx_frame, p->tot_len);
    LINK_STATS_INC(link.xmit);
    return ERR_OK;
}

/* The wire thread (or wire_tx): never blocks, never takes the core lock. */
static void stack_rx(const uint8_t *frame, size_t len, void *ctx)
{
    struct netif *nif = ctx;
    SYS_ARCH_DECL_PROTECT(lev);
    if (len > 0xffff)
        return;
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (p == NULL) {
        SYS_ARCH_PROTECT(lev);
        LINK_STATS_INC(link.memerr);
        LINK_STATS_INC(link.drop);
        SYS_ARCH_UNPROTECT(lev);
        return;
    }
    pbuf_take(p, frame, (u16_t)len);
    if (nif->input(p, nif) != ERR_OK) {
        pbuf_free(p);
        SYS_ARCH_PROTECT(lev);
        LINK_STATS_INC(link.drop);
        SYS_ARCH_UNPROTECT(lev);
        return;
    }
    SYS_ARCH_PROTECT(lev);
    LINK_STATS_INC(link.recv);
    SYS_ARCH_UNPROTECT(lev);
}

static err_t stack_netif_init(struct netif *nif)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    nif->name[0] = 'e';
    nif->name[1] = 'n';
    nif->output = etharp_output;
    nif->linkoutput = stack_linkoutput;
    nif->mtu = STACK_ETH_MTU;
    nif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(nif->hwaddr, mac, sizeof(mac));
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

static void stack_tcpip_ready(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}

int lwport_stack_start(char *err, size_t cap)
{
    sys_sem_t ready;
    if (sys_sem_new(&ready, 0) != ERR_OK) {
        snprintf(err, cap, "lwIP: no semaphore");
        return -1;
    }
    tcpip_init(stack_tcpip_ready, &ready);
    sys_arch_sem_wait(&ready, 0);
    sys_sem_free(&ready);

    if (wire_start(stack_rx, &stack_netif, err, cap) != 0)
        return -1;

    LOCK_TCPIP_CORE();
    netif_add(&stack_netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4,
              NULL, stack_netif_init, tcpip_input);
    netif_set_default(&stack_netif);
    netif_set_up(&stack_netif);
    netif_set_link_up(&stack_netif);
    err_t e = dhcp_start(&stack_netif);
    UNLOCK_TCPIP_CORE();
    if (e != ERR_OK) {
        snprintf(err, cap, "lwIP: dhcp_start: %d", (int)e);
        return -1;
    }

    u32_t start = sys_now();
    for (;;) {
        LOCK_TCPIP_CORE();
        int bound = dhcp_supplied_address(&stack_netif);
        UNLOCK_TCPIP_CORE();
        if (bound)
            break;
        if ((u32_t)(sys_now() - start) > STACK_DHCP_WAIT_MS) {
            snprintf(err, cap, "lwIP: no DHCP lease from the wire");
            return -1;
        }
        sys_msleep(10);
    }
    return 0;
}

int lwport_stack_listen(const char *spec, char *name, size_t cap)
{
    int port = wire_spec_port(spec, name, cap);
    if (port < 0)
        return -1;
    int fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(name, cap, "cannot listen on %s: no lwIP socket (%d)", spec, errno);
        return -1;
    }
    /* Inside lwIP the server listens on the host's port number, or on an
     * ephemeral one when that is 0 or taken (two host addresses, one port). */
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_len = sizeof(sa);
    sa.sin_family = AF_INET;
    sa.sin_port = lwip_htons((u16_t)port);
    sa.sin_addr.s_addr = PP_HTONL(INADDR_ANY);
    if (lwip_bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        sa.sin_port = 0;
        if (port == 0 || lwip_bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            snprintf(name, cap, "cannot listen on %s: lwIP bind: %d", spec, errno);
            lwip_close(fd);
            return -1;
        }
    }
    socklen_t len = sizeof(sa);
    if (lwip_listen(fd, DEFAULT_ACCEPTMBOX_SIZE) != 0 ||
        lwip_getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        snprintf(name, cap, "cannot listen on %s: lwIP listen: %d", spec, errno);
        lwip_close(fd);
        return -1;
    }
    int on = 1;
    lwip_ioctl(fd, FIONBIO, &on);
    u16_t guest_port = lwip_ntohs(sa.sin_port);
    if (wire_forward(spec, guest_port, name, cap) != 0) {
        lwip_close(fd);
        return -1;
    }
    return fd;
}

void lwport_stack_stop(void)
{
    wire_stop();
}
