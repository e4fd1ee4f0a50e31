/*
 * auth.h - password hashes: PBKDF2-HMAC-SHA256 with a per-user salt.
 *
 * The store keeps only (salt, iterations, hash); no password is ever kept,
 * logged or compared in clear.  Salts come from the caller (the port's
 * entropy source): the core has none of its own.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Fills u's salt, iterations and hash for password; u->name is untouched. */
int auth_set_password(store_user_t *u, const char *password, size_t len,
                      const uint8_t salt[16], uint32_t iterations);

/* True when password matches u's hash (constant-time comparison). */
bool auth_check_password(const store_user_t *u, const char *password,
                         size_t len);

/* Decodes an AUTHENTICATE PLAIN response (RFC 4616, already base64-decoded):
 * authzid NUL authcid NUL passwd.  Points into msg; false if malformed. */
bool auth_parse_plain(const uint8_t *msg, size_t len,
                      const char **authzid, size_t *authzid_len,
                      const char **authcid, size_t *authcid_len,
                      const char **passwd, size_t *passwd_len);

/* Base64 (RFC 4648) decode; returns the length or -1 on bad input. */
long auth_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
