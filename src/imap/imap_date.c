/*
 * imap_date.c - IMAP date-time, date and RFC 5322 Date: header values.
 */
#include <string.h>

#include "imap/imap_int.h"

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* Howard Hinnant's days_from_civil: days since 1970-01-01. */
int64_t imap_days_from_civil(int y, unsigned m, unsigned d)
{
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = (unsigned)(yy - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static int month_of(const char *s)
{
    for (int i = 0; i < 12; i++) {
        const char *m = months + 3 * i;
        int ok = 1;
        for (int j = 0; j < 3; j++) {
            char c = s[j];
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 32);
            char e = m[j];
            if (e >= 'a' && e <= 'z')
                e = (char)(e - 32);
            if (c != e)
                ok = 0;
        }
        if (ok)
            return i + 1;
    }
    return 0;
}

static bool digits(const char *s, uint32_t len, uint32_t *i, unsigned min,
                   unsigned max, unsigned *v)
{
    unsigned n = 0, k = 0;
    while (*i < len && k < max && s[*i] >= '0' && s[*i] <= '9') {
        n = n * 10 + (unsigned)(s[*i] - '0');
        (*i)++;
        k++;
    }
    *v = n;
    return k >= min;
}

static bool valid_day(unsigned y, unsigned m, unsigned d)
{
    static const unsigned char mdays[] = {31,29,31,30,31,30,31,31,30,31,30,31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || y < 1)
        return false;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    return true;
}

/* d-Mon-yyyy at *i */
static bool date_part(const char *s, uint32_t len, uint32_t *i, int64_t *day)
{
    unsigned d, y;
    int m;
    if (*i < len && s[*i] == ' ')
        (*i)++;
    if (!digits(s, len, i, 1, 2, &d) || *i + 5 > len || s[*i] != '-')
        return false;
    m = month_of(s + *i + 1);
    if (m == 0 || s[*i + 4] != '-')
        return false;
    *i += 5;
    if (!digits(s, len, i, 4, 4, &y) || !valid_day(y, (unsigned)m, d))
        return false;
    *day = imap_days_from_civil((int)y, (unsigned)m, d);
    return true;
}

bool imap_parse_date(const char *s, uint32_t len, int64_t *day)
{
    uint32_t i = 0;
    return date_part(s, len, &i, day) && i == len;
}

bool imap_parse_datetime(const char *s, uint32_t len, int64_t *t, int16_t *tz)
{
    uint32_t i = 0;
    int64_t day;
    unsigned hh, mm, ss, z;
    int sign;

    if (!date_part(s, len, &i, &day) || i >= len || s[i++] != ' ')
        return false;
    if (!digits(s, len, &i, 2, 2, &hh) || i >= len || s[i++] != ':' ||
        !digits(s, len, &i, 2, 2, &mm) || i >= len || s[i++] != ':' ||
        !digits(s, len, &i, 2, 2, &ss) || i >= len || s[i++] != ' ')
        return false;
    if (i >= len || (s[i] != '+' && s[i] != '-'))
        return false;
    sign = s[i++] == '-' ? -1 : 1;
    if (!digits(s, len, &i, 4, 4, &z) || i != len)
        return false;
    if (hh > 23 || mm > 59 || ss > 60 || z % 100 > 59 || z > 2359)
        return false;
    int tzm = sign * (int)((z / 100) * 60 + z % 100);
    *tz = (int16_t)tzm;
    *t = day * 86400 + (int64_t)(hh * 3600 + mm * 60 + ss) - (int64_t)tzm * 60;
    return true;
}

bool imap_parse_rfc5322_day(const char *s, uint32_t len, int64_t *day)
{
    uint32_t i = 0;
    unsigned d, y;
    int m;

    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    /* optional day-of-week */
    if (i + 3 < len && !(s[i] >= '0' && s[i] <= '9')) {
        while (i < len && s[i] != ',')
            i++;
        if (i < len)
            i++;
    }
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (!digits(s, len, &i, 1, 2, &d))
        return false;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i + 3 > len || (m = month_of(s + i)) == 0)
        return false;
    i += 3;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (!digits(s, len, &i, 2, 4, &y))
        return false;
    if (y < 50)
        y += 2000;
    else if (y < 1000)
        y += 1900;
    if (!valid_day(y, (unsigned)m, d))
        return false;
    *day = imap_days_from_civil((int)y, (unsigned)m, d);
    return true;
}

static void two(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10 % 10);
    o[1] = (char)('0' + v % 10);
}

void imap_format_datetime(int64_t t, int16_t tz, char out[27])
{
    int64_t local = t + (int64_t)tz * 60;
    int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t sec = local - day * 86400;
    int y;
    unsigned m, d, a = (unsigned)(tz < 0 ? -tz : tz);

    civil_from_days(day, &y, &m, &d);
    if (y < 0)
        y = 0;
    if (d < 10) {
        out[0] = ' ';
        out[1] = (char)('0' + d);
    } else {
        two(out, d);
    }
    out[2] = '-';
    memcpy(out + 3, months + 3 * (m - 1), 3);
    out[6] = '-';
    two(out + 7, (unsigned)(y / 100));
    two(out + 9, (unsigned)(y % 100));
    out[11] = ' ';
    two(out + 12, (unsigned)(sec / 3600));
    out[14] = ':';
    two(out + 15, (unsigned)(sec / 60 % 60));
    out[17] = ':';
    two(out + 18, (unsigned)(sec % 60));
    out[20] = ' ';
    out[21] = tz < 0 ? '-' : '+';
    two(out + 22, a / 60);
    two(out + 24, a % 60);
    out[26] = 0;
}
