/*
 * board_entropy.c - the entropy source of the QEMU board.
 *
 * mps2-an385 has no TRNG.  The seed comes from the host's /dev/urandom
 * through semihosting at boot and is stretched by a xorshift generator for
 * lwIP's ports and sequence numbers only.  Key material must come from a
 * true source: board_entropy() reads the host file each time and fails if
 * it cannot, and TLS refuses to start without it (docs/BOARD.md).  A real
 * board plugs its TRNG in here.
 */
#include "board.h"
#include "board_semihost.h"

static int entropy_fd = -1;
static uint32_t entropy_state = 0x9E3779B9u;

int board_entropy(void *buf, size_t len)
{
    if (entropy_fd < 0)
        entropy_fd = sh_open("/dev/urandom", SH_MODE_RB);
    if (entropy_fd < 0)
        return -1;
    /* A character device: the offset is ignored by the host's read(). */
    return sh_read_some(entropy_fd, buf, len, 0) == (long)len ? 0 : -1;
}

int board_entropy_ok(void)
{
    uint32_t seed;
    if (board_entropy(&seed, sizeof(seed)) != 0)
        return 0;
    entropy_state ^= seed | 1u;
    return 1;
}

uint32_t board_rand32(void)
{
    uint32_t x = entropy_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    entropy_state = x;
    return x;
}
