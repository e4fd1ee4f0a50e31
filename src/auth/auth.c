#include "auth/auth.h"

#include <string.h>

#include "mbedtls/md.h"
#include "mbedtls/pkcs5.h"

static int pbkdf2(const char *pw, size_t len, const uint8_t salt[16],
                  uint32_t iterations, uint8_t out[32])
{
    mbedtls_md_context_t md;
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    int rc;

    if (info == NULL || iterations == 0)
        return -1;
    mbedtls_md_init(&md);
    rc = mbedtls_md_setup(&md, info, 1);
    if (rc == 0)
        rc = mbedtls_pkcs5_pbkdf2_hmac(&md, (const unsigned char *)pw, len,
                                       salt, 16, iterations, 32, out);
    mbedtls_md_free(&md);
    return rc == 0 ? 0 : -1;
}

int auth_set_password(store_user_t *u, const char *password, size_t len,
                      const uint8_t salt[16], uint32_t iterations)
{
    memcpy(u->salt, salt, 16);
    u->iterations = iterations;
    return pbkdf2(password, len, u->salt, iterations, u->hash);
}

bool auth_check_password(const store_user_t *u, const char *password,
                         size_t len)
{
    uint8_t h[32];
    uint8_t diff = 0;

    if (pbkdf2(password, len, u->salt, u->iterations, h) != 0)
        return false;
    for (size_t i = 0; i < sizeof h; i++)
        diff |= (uint8_t)(h[i] ^ u->hash[i]);
    memset(h, 0, sizeof h);
    return diff == 0;
}

bool auth_parse_plain(const uint8_t *msg, size_t len,
                      const char **authzid, size_t *authzid_len,
                      const char **authcid, size_t *authcid_len,
                      const char **passwd, size_t *passwd_len)
{
    const uint8_t *nul1 = memchr(msg, 0, len);
    const uint8_t *nul2;

    if (nul1 == NULL)
        return false;
    nul2 = memchr(nul1 + 1, 0, len - (size_t)(nul1 + 1 - msg));
    if (nul2 == NULL)
        return false;
    *authzid = (const char *)msg;
    *authzid_len = (size_t)(nul1 - msg);
    *authcid = (const char *)nul1 + 1;
    *authcid_len = (size_t)(nul2 - nul1 - 1);
    *passwd = (const char *)nul2 + 1;
    *passwd_len = len - (size_t)(nul2 + 1 - msg);
    if (*authcid_len == 0 || memchr(*passwd, 0, *passwd_len) != NULL)
        return false;
    return true;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

long auth_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    size_t n = 0, pad = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    if (len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v;
        if (in[i] == '=') {
            /* padding only in the last two places of the last group */
            if (i < len - 2)
                return -1;
            pad++;
            continue;
        }
        if (pad)
            return -1;
        v = b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap)
                return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)n;
}
