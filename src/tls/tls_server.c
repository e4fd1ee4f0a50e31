/*
 * tls_server.c - the server's certificate, key, DRBG and mbedTLS config.
 *
 * TLS 1.2 only (the build has no older protocol and no TLS 1.3 in 2.28's
 * server), the AEAD ECDHE suites of the config header, no renegotiation,
 * no client certificates.  Randomness: CTR_DRBG seeded from mbedTLS's
 * entropy accumulator, whose strong source is the port's entropy callback
 * (without one, TLS is refused) and, on a board built with
 * MBEDTLS_ENTROPY_NV_SEED, the seed the board keeps in flash.
 */
#include <string.h>

#include "tls/tls_int.h"

#include "mbedtls/asn1.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/error.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/pk.h"
#include "mbedtls/x509_crt.h"

static struct {
    bool ready;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_context accu;
    tls_entropy_fn entropy;
    void *entropy_ctx;
} tls_srv;

const mbedtls_ssl_config *tls_server_conf(void) { return &tls_srv.conf; }

bool tls_server_ready(void) { return tls_srv.ready; }

/* The Certificate handshake message goes out as one record: the chain must
 * fit IMAP_TLS_OUT_CONTENT_LEN (a board build keeps that small). */
static bool chain_fits(const mbedtls_x509_crt *chain)
{
    size_t n = 4 + 3;   /* handshake header, list length */
    for (const mbedtls_x509_crt *c = chain; c != NULL && c->raw.p; c = c->next)
        n += 3 + c->raw.len;
    return n <= IMAP_TLS_OUT_CONTENT_LEN;
}

static int set_err(char *err, size_t cap, const char *what, int rc)
{
    if (err != NULL && cap > 0) {
        size_t n = strlen(what);
        if (n >= cap)
            n = cap - 1;
        memcpy(err, what, n);
        err[n] = 0;
        if (rc != 0 && n + 3 < cap) {
            err[n++] = ':';
            err[n++] = ' ';
            mbedtls_strerror(rc, err + n, cap - n);
        }
    }
    return TLS_CONFIG;
}

static bool is_pem(const uint8_t *p, size_t n)
{
    static const char tag[] = "-----BEGIN ";
    for (size_t i = 0; i + sizeof tag - 1 <= n; i++)
        if (memcmp(p + i, tag, sizeof tag - 1) == 0)
            return true;
    return false;
}

/* A DER chain is certificates back to back: one SEQUENCE each. */
static int parse_der_chain(mbedtls_x509_crt *chain, const uint8_t *p,
                           size_t n)
{
    int rc = MBEDTLS_ERR_X509_INVALID_FORMAT;
    while (n > 0) {
        unsigned char *q = (unsigned char *)(uintptr_t)p, *body;
        size_t len;
        body = q;
        if (mbedtls_asn1_get_tag(&body, q + n, &len,
                                 MBEDTLS_ASN1_CONSTRUCTED |
                                 MBEDTLS_ASN1_SEQUENCE) != 0)
            return MBEDTLS_ERR_X509_INVALID_FORMAT;
        len += (size_t)(body - q);
        rc = mbedtls_x509_crt_parse_der(chain, p, len);
        if (rc != 0)
            return rc;
        p += len;
        n -= len;
    }
    return rc;
}

/* PEM parsers want a NUL terminated buffer (its length counting the NUL);
 * caller memory need not have one, so parse from a heap copy. */
static int parse_blob(mbedtls_x509_crt *chain, mbedtls_pk_context *key,
                      const uint8_t *p, size_t n)
{
    unsigned char *copy = NULL;
    const unsigned char *q = p;
    size_t len = n;
    int rc;

    if (is_pem(p, n) && (n == 0 || p[n - 1] != 0)) {
        copy = mbedtls_calloc(1, n + 1);
        if (copy == NULL)
            return MBEDTLS_ERR_X509_ALLOC_FAILED;
        memcpy(copy, p, n);
        q = copy;
        len = n + 1;
    }
    if (chain != NULL && !is_pem(p, n))
        rc = parse_der_chain(chain, q, len);
    else if (chain != NULL)
        rc = mbedtls_x509_crt_parse(chain, q, len);
    else
        rc = mbedtls_pk_parse_key(key, q, len, NULL, 0);
    if (copy != NULL) {
        mbedtls_platform_zeroize(copy, n + 1);
        mbedtls_free(copy);
    }
    return rc;
}

/* The port's source, as an mbedTLS entropy source. */
static int port_source(void *ctx, unsigned char *buf, size_t len, size_t *olen)
{
    (void)ctx;
    if (tls_srv.entropy(tls_srv.entropy_ctx, buf, len) != 0)
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    *olen = len;
    return 0;
}

int tls_server_init(const tls_config_t *cfg, char *err, size_t errcap)
{
    static const char pers[] = "imapd tls";
    int rc;

    tls_heap_init();
    tls_server_free();
    if (!tls_heap_is_ready())
        return set_err(err, errcap, "no heap for TLS: TLS refused", 0);
    if (cfg == NULL || cfg->entropy == NULL)
        return set_err(err, errcap, "no entropy source: TLS refused", 0);
    if (cfg->cert == NULL || cfg->cert_len == 0 || cfg->key == NULL ||
        cfg->key_len == 0)
        return set_err(err, errcap, "no certificate or key", 0);
    tls_srv.entropy = cfg->entropy;
    tls_srv.entropy_ctx = cfg->entropy_ctx;

    mbedtls_ssl_config_init(&tls_srv.conf);
    mbedtls_x509_crt_init(&tls_srv.chain);
    mbedtls_pk_init(&tls_srv.key);
    mbedtls_ctr_drbg_init(&tls_srv.drbg);
    mbedtls_entropy_init(&tls_srv.accu);

    rc = mbedtls_entropy_add_source(&tls_srv.accu, port_source, NULL, 32,
                                    MBEDTLS_ENTROPY_SOURCE_STRONG);
    if (rc == 0)
        rc = mbedtls_ctr_drbg_seed(&tls_srv.drbg, mbedtls_entropy_func,
                                   &tls_srv.accu, (const unsigned char *)pers,
                                   sizeof pers - 1);
    /* (with MBEDTLS_ENTROPY_NV_SEED the accumulator's first run has
     * already replaced the NV seed with a fresh one for the next boot) */
    if (rc != 0)
        goto fail_rng;
    rc = parse_blob(&tls_srv.chain, NULL, cfg->cert, cfg->cert_len);
    if (rc != 0)
        goto fail_cert;
    if (!chain_fits(&tls_srv.chain)) {
        rc = 0;
        goto fail_size;
    }
    rc = parse_blob(NULL, &tls_srv.key, cfg->key, cfg->key_len);
    if (rc != 0)
        goto fail_key;
    rc = mbedtls_pk_check_pair(&tls_srv.chain.pk, &tls_srv.key);
    if (rc != 0)
        goto fail_pair;

    rc = mbedtls_ssl_config_defaults(&tls_srv.conf, MBEDTLS_SSL_IS_SERVER,
                                     MBEDTLS_SSL_TRANSPORT_STREAM,
                                     MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc != 0)
        goto fail_conf;
    /* TLS 1.2 at least (the build has nothing older anyway) */
    mbedtls_ssl_conf_min_version(&tls_srv.conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_authmode(&tls_srv.conf, MBEDTLS_SSL_VERIFY_NONE);
    mbedtls_ssl_conf_rng(&tls_srv.conf, mbedtls_ctr_drbg_random, &tls_srv.drbg);
    rc = mbedtls_ssl_conf_own_cert(&tls_srv.conf, &tls_srv.chain, &tls_srv.key);
    if (rc != 0)
        goto fail_conf;
    tls_srv.ready = true;
    return TLS_OK;

fail_rng:
    set_err(err, errcap, "entropy source failed", rc);
    goto out;
fail_cert:
    set_err(err, errcap, "bad certificate", rc);
    goto out;
fail_key:
    set_err(err, errcap, "bad private key", rc);
    goto out;
fail_size:
    set_err(err, errcap, "certificate chain too long for one "
            "IMAP_TLS_OUT_CONTENT_LEN record (leave out the root, or build "
            "with a larger one)", 0);
    goto out;
fail_pair:
    set_err(err, errcap, "key does not match the certificate", rc);
    goto out;
fail_conf:
    set_err(err, errcap, "TLS configuration", rc);
out:
    tls_srv.ready = true;   /* so that free releases what was parsed */
    tls_server_free();
    return TLS_CONFIG;
}

int tls_check_pair(const uint8_t *cert, size_t cert_len, const uint8_t *key,
                   size_t key_len, char *err, size_t errcap)
{
    mbedtls_x509_crt chain;
    mbedtls_pk_context pk;
    int rc, out = TLS_CONFIG;

    mbedtls_x509_crt_init(&chain);
    mbedtls_pk_init(&pk);
    if ((rc = parse_blob(&chain, NULL, cert, cert_len)) != 0)
        set_err(err, errcap, "bad certificate", rc);
    else if (!chain_fits(&chain))
        set_err(err, errcap, "certificate chain too long for one "
                "IMAP_TLS_OUT_CONTENT_LEN record (leave out the root, or "
                "build with a larger one)", 0);
    else if ((rc = parse_blob(NULL, &pk, key, key_len)) != 0)
        set_err(err, errcap, "bad private key", rc);
    else if ((rc = mbedtls_pk_check_pair(&chain.pk, &pk)) != 0)
        set_err(err, errcap, "key does not match the certificate", 0);
    else
        out = TLS_OK;
    mbedtls_x509_crt_free(&chain);
    mbedtls_pk_free(&pk);
    return out;
}

void tls_server_free(void)
{
    if (!tls_srv.ready)
        return;
    mbedtls_ssl_config_free(&tls_srv.conf);
    mbedtls_x509_crt_free(&tls_srv.chain);
    mbedtls_pk_free(&tls_srv.key);
    mbedtls_ctr_drbg_free(&tls_srv.drbg);
    mbedtls_entropy_free(&tls_srv.accu);
    tls_srv.ready = false;
}
