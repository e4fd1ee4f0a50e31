/*
 * board_mbedtls.c - the platform hooks named by this board's
 * mbedtls_config.h: no libc heap, diagnostics on the console.
 */
#include <stdarg.h>

#include "board.h"

void *board_mbedtls_calloc_unset(size_t n, size_t size);
void board_mbedtls_free_unset(void *p);
int board_mbedtls_fprintf(void *stream, const char *fmt, ...);
void board_mbedtls_exit(int status);
int board_mbedtls_snprintf(char *buf, size_t cap, const char *fmt, ...);

void *board_mbedtls_calloc_unset(size_t n, size_t size)
{
    (void)n;
    (void)size;
    return NULL;          /* before the static allocator is installed */
}

void board_mbedtls_free_unset(void *p)
{
    (void)p;
}

int board_mbedtls_fprintf(void *stream, const char *fmt, ...)
{
    char line[160];
    va_list ap;
    (void)stream;
    va_start(ap, fmt);
    size_t n = board_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    board_puts(line);
    return (int)n;
}

void board_mbedtls_exit(int status)
{
    board_panic("mbedTLS exit(%d): allocator found its heap corrupted", status);
}

int board_mbedtls_snprintf(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = board_vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return (int)n;
}
