/*
 * board_fmt.c - a small printf for the console and the log: newlib's
 * printf family would cost more flash than the whole of it is worth here.
 */
#include <stdbool.h>

#include "board.h"

typedef struct fmt_out {
    char *buf;
    size_t cap, len;     /* len counts every byte, even those cut off */
} fmt_out_t;

static void out_c(fmt_out_t *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static void out_num(fmt_out_t *o, unsigned long long v, unsigned base,
                    bool neg, bool upper, int width, char pad)
{
    char tmp[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (neg)
        tmp[n++] = '-';
    for (int w = n; w < width; w++)
        out_c(o, pad);
    while (n > 0)
        out_c(o, tmp[--n]);
}

size_t board_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
    fmt_out_t o = { buf, cap, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_c(&o, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l')
            lng++, fmt++;
        if (*fmt == 'z')
            lng = 1, fmt++;
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int n = 0;
            while (s[n])
                n++;
            for (int w = n; w < width; w++)
                out_c(&o, ' ');
            while (*s)
                out_c(&o, *s++);
            break;
        }
        case 'c':
            out_c(&o, (char)va_arg(ap, int));
            break;
        case 'd': {
            long long v = lng == 2 ? va_arg(ap, long long)
                        : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
            unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
                                         : (unsigned long long)v;
            out_num(&o, u, 10, v < 0, false, width, pad);
            break;
        }
        case 'u': case 'x': case 'X': {
            unsigned long long v = lng == 2 ? va_arg(ap, unsigned long long)
                                 : lng == 1 ? va_arg(ap, unsigned long)
                                            : va_arg(ap, unsigned);
            out_num(&o, v, *fmt == 'u' ? 10 : 16, false, *fmt == 'X', width, pad);
            break;
        }
        case 'p':
            out_c(&o, '0');
            out_c(&o, 'x');
            out_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, false, 8, '0');
            break;
        case '\0':
            fmt--;
            break;
        default:
            out_c(&o, *fmt);
            break;
        }
    }
    if (cap > 0)
        buf[o.len < cap ? o.len : cap - 1] = '\0';
    return o.len;
}

size_t board_snprintf(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = board_vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

void board_printf(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    board_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    board_puts(line);
}
