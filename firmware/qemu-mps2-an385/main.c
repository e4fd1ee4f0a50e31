/*
 * main.c - the IMAP server as bare-metal firmware for QEMU's mps2-an385.
 *
 * Composition: the portable core (src/), lwIP's raw API through
 * port/lwip-raw, and the board (boards/qemu-mps2-an385): UART console,
 * SysTick clock, LAN9118, the flash image through semihosting.
 *
 * The command line comes from semihosting (tools/qemu-run passes it):
 *     --image PATH  [--allow-plaintext]  [--tls]  [--log-level N]
 * STARTTLS is offered when the image holds a certificate (imapctl cert
 * gen); --tls also listens on 993 for implicit TLS.
 * Console: 'q' (or Ctrl-C) is a clean stop: BYE to every session, flush,
 * unmount, print the high-water marks, exit 0.  's' prints the marks;
 * '!' and '#' are fault drills (stack overflow, bus fault) for the tests.
 */
#include <string.h>

#include "board.h"
#include "board_flash.h"
#include "board_lan9118.h"
#include "board_semihost.h"
#include "firmware_log.h"
#include "firmware_stats.h"
#include "firmware_tls.h"
#include "imap/imap.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "lwip_raw_loop.h"
#include "netif/ethernet.h"
#include "store/store.h"

#define FW_IMAP_PORT 143
#define FW_IMAPS_PORT 993
#define FW_STOP_LINGER_MS 3000
#define FW_CMDLINE_MAX 512
#define FW_ARGS_MAX 16

static board_flash_t fw_flash;
static store_t fw_store;
static imap_server_t fw_server;
static struct netif fw_netif;
static char fw_cmdline[FW_CMDLINE_MAX];

u32_t sys_now(void)
{
    return board_ticks_ms();
}

typedef struct fw_args {
    const char *image;
    bool allow_plaintext;
    bool tls;             /* --tls: listen on 993 too (needs a certificate) */
} fw_args_t;

/* "error", "warning", "info", "debug" (as imapd) or a digit. */
static int fw_parse_level(const char *v)
{
    switch (v[0]) {
    case 'e': return IMAP_LOG_ERR;
    case 'w': return IMAP_LOG_WARN;
    case 'd': return IMAP_LOG_DEBUG;
    case '0': case '1': case '2': case '3': return v[0] - '0';
    default: return IMAP_LOG_INFO;
    }
}

/* Splits the semihosting command line at spaces (paths have none). */
static int fw_parse_args(fw_args_t *a)
{
    char *argv[FW_ARGS_MAX];
    int argc = 0;
    memset(a, 0, sizeof(*a));
    if (sh_cmdline(fw_cmdline, sizeof(fw_cmdline)) != 0)
        return -1;
    for (char *p = fw_cmdline; *p && argc < FW_ARGS_MAX;) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p)
            argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--image") && i + 1 < argc)
            a->image = argv[++i];
        else if (!strcmp(argv[i], "--allow-plaintext"))
            a->allow_plaintext = true;
        else if (!strcmp(argv[i], "--tls"))
            a->tls = true;
        else if (!strcmp(argv[i], "--log-level") && i + 1 < argc)
            fw_log_set_level(fw_parse_level(argv[++i]));
    }
    return a->image ? 0 : -1;
}

static void fw_net_init(void)
{
    ip4_addr_t ip, mask, gw;
    IP4_ADDR(&ip, 10, 0, 2, 15);      /* QEMU user networking's guest */
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 0, 2, 2);
    lwip_init();
    if (!netif_add(&fw_netif, &ip, &mask, &gw, NULL, board_lan9118_netif_init,
                   ethernet_input))
        board_panic("netif_add failed");
    netif_set_default(&fw_netif);
    netif_set_up(&fw_netif);
    netif_set_link_up(&fw_netif);
}

int main(void)
{
    fw_args_t args;

    board_uart_init();
    board_clock_init();
    if (fw_parse_args(&args) != 0) {
        board_puts("imapd: usage: --image IMAGE [--allow-plaintext]\n");
        return 2;
    }
    fw_logf(IMAP_LOG_DEBUG, "firmware for qemu-mps2-an385 booting");
    fw_heap_init();

    if (board_flash_open(&fw_flash, args.image) != FLASH_OK)
        return 1;
    int rc = store_mount(&fw_store, &fw_flash.dev);
    if (rc != STORE_OK) {
        board_printf("imapd: cannot mount %s: %s\n", args.image,
                     store_strerror(rc));
        return 1;
    }

    bool tls = fw_tls_setup(&fw_store);
    if (args.tls && !tls) {
        board_puts("imapd: TLS listener needs a certificate and entropy: "
                   "none in the image (imapctl cert gen)\n");
        store_unmount(&fw_store);
        return 1;
    }
    if (!tls)
        fw_logf(IMAP_LOG_INFO, "no TLS (no certificate in the image): plain "
                "IMAP only");

    imap_config_t icfg = {
        .greeting_name = "imapd",
        .allow_plaintext = args.allow_plaintext,
        .log = fw_log,
        .log_ctx = NULL,
    };
    imap_server_init(&fw_server, &fw_store, &icfg);
    fw_net_init();
    if (lwip_raw_listen(&fw_server, FW_IMAP_PORT, false, board_now_ms()) != 0)
        board_panic("cannot listen on port %d", FW_IMAP_PORT);
    if (args.tls &&
        lwip_raw_listen(&fw_server, FW_IMAPS_PORT, true, board_now_ms()) != 0)
        board_panic("cannot listen on port %d", FW_IMAPS_PORT);
    /* tools/qemu-run turns these into the host's forwarded addresses. */
    board_printf("imapd: listening on 10.0.2.15:%d\n", FW_IMAP_PORT);
    if (args.tls)
        board_printf("imapd: listening on 10.0.2.15:%d (TLS)\n", FW_IMAPS_PORT);

    bool stopping = false;
    uint64_t stop_by = 0;
    bool maint_more = true;   /* idle-time store work (compaction) pending */
    for (;;) {
        board_lan9118_poll(&fw_netif);
        sys_check_timeouts();
        uint64_t now = board_now_ms();
        bool busy = lwip_raw_service(now);

        int ch = board_getc();
        if (ch == 's')
            fw_print_stats();
        if (ch == '!' || ch == '#')
            board_fault_drill((char)ch);
        if ((ch == 'q' || ch == 3) && !stopping) {
            fw_logf(IMAP_LOG_INFO, "stopping, %d session(s) open",
                    lwip_raw_live());
            stopping = true;
            stop_by = now + FW_STOP_LINGER_MS;
            lwip_raw_shutdown();
            busy = true;
        }
        if (stopping && (lwip_raw_live() == 0 || now >= stop_by))
            break;
        /* idle: a bounded step of store maintenance before sleeping;
         * after activity, look again once the loop is idle */
        if (busy)
            maint_more = true;
        else if (maint_more && !stopping)
            busy = maint_more = imap_server_maintain(&fw_server, 0) > 0;
        if (!busy)
            board_idle();
    }

    lwip_raw_close_all();
    fw_print_stats();
    rc = store_unmount(&fw_store);
    board_flash_close(&fw_flash);
    if (rc != STORE_OK) {
        board_printf("imapd: unmount failed: %s\n", store_strerror(rc));
        return 1;
    }
    fw_logf(IMAP_LOG_INFO, "stopped, image consistent");
    return 0;
}
