/*
 * imapctl_cert.c - "imapctl cert gen|import|show|del IMAGE ...": the TLS
 * certificate and key kept in the image (blobs "tls.cert", "tls.key").
 *
 * gen makes a self-signed ECDSA P-256 certificate with mbedTLS's x509write
 * (subjectAltName = the name, valid for ten years), so a fresh image
 * serves TLS at once; import checks a real chain and key (PEM or DER, the
 * key must match the first certificate) before storing them.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "imap/imap.h"
#include "imapctl.h"
#include "posix_sys.h"
#include "tls/tls.h"

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/error.h"
#include "mbedtls/oid.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/pk.h"
#include "mbedtls/x509_crt.h"

#define CERT_BLOB IMAP_TLS_CERT_BLOB   /* what the servers read (imap.h) */
#define KEY_BLOB  IMAP_TLS_KEY_BLOB
#define CERT_FILE_MAX (60 * 1024)

static int rng_entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    return posix_entropy(buf, len) == 0 ? 0 : -1;
}

static int fail_tls(const char *what, int rc)
{
    char e[128];
    mbedtls_strerror(rc, e, sizeof e);
    return imapctl_fail("%s: %s", what, e);
}

static int store_pair(const char *image, const uint8_t *cert, size_t clen,
                      const uint8_t *key, size_t klen)
{
    if (imapctl_open(image))
        return 1;
    int rc = store_blob_set(&imapctl_store, CERT_BLOB, cert, clen);
    if (rc == STORE_OK)
        rc = store_blob_set(&imapctl_store, KEY_BLOB, key, klen);
    if (rc != STORE_OK) {
        imapctl_fail("storing the certificate: %s", store_strerror(rc));
        imapctl_close(false);
        return 1;
    }
    if (imapctl_commit("certificate"))
        return imapctl_close(false), 1;
    return imapctl_close(true);
}

/* Escapes nothing: the name must be a plain host name or address. */
static bool name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 200)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
              (n[i] >= '0' && n[i] <= '9') || n[i] == '.' || n[i] == '-' ||
              n[i] == '*' || n[i] == ':'))
            return false;
    return true;
}

/* subjectAltName = SEQUENCE { dNSName [2] name } */
static int add_san(mbedtls_x509write_cert *crt, const char *name)
{
    unsigned char der[220];
    size_t n = strlen(name);
    der[0] = 0x30;
    der[1] = (unsigned char)(n + 2);
    der[2] = 0x82;
    der[3] = (unsigned char)n;
    memcpy(der + 4, name, n);
    return mbedtls_x509write_crt_set_extension(
        crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
        MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, der, n + 4);
}

static int cert_gen(const char *image, const char *cn)
{
    static unsigned char cert_pem[4096], key_pem[1024];
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context key;
    mbedtls_x509write_cert crt;
    mbedtls_mpi serial;
    unsigned char sn[16];
    char subject[240], from[16], until[16];
    time_t now = time(NULL);
    struct tm tm;
    int rc, out = 1;

    if (!name_ok(cn))
        return imapctl_fail("--cn '%s': a host name or address, please", cn);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_pk_init(&key);
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi_init(&serial);

    rc = mbedtls_ctr_drbg_seed(&drbg, rng_entropy, NULL,
                               (const unsigned char *)"imapctl", 7);
    if (rc != 0) {
        fail_tls("entropy", rc);
        goto done;
    }
    if ((rc = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(
                                         MBEDTLS_PK_ECKEY))) != 0 ||
        (rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
                                  mbedtls_ctr_drbg_random, &drbg)) != 0) {
        fail_tls("key generation", rc);
        goto done;
    }
    /* a positive 127-bit serial */
    if ((rc = mbedtls_ctr_drbg_random(&drbg, sn, sizeof sn)) != 0 ||
        (sn[0] &= 0x7f, rc = mbedtls_mpi_read_binary(&serial, sn, sizeof sn)) != 0) {
        fail_tls("serial", rc);
        goto done;
    }
    gmtime_r(&now, &tm);
    strftime(from, sizeof from, "%Y%m%d%H%M%S", &tm);
    tm.tm_year += 10;
    strftime(until, sizeof until, "%Y%m%d%H%M%S", &tm);
    snprintf(subject, sizeof subject, "CN=%s", cn);

    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, &key);
    mbedtls_x509write_crt_set_issuer_key(&crt, &key);
    if ((rc = mbedtls_x509write_crt_set_subject_name(&crt, subject)) != 0 ||
        (rc = mbedtls_x509write_crt_set_issuer_name(&crt, subject)) != 0 ||
        (rc = mbedtls_x509write_crt_set_serial(&crt, &serial)) != 0 ||
        (rc = mbedtls_x509write_crt_set_validity(&crt, from, until)) != 0 ||
        (rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1)) != 0 ||
        (rc = mbedtls_x509write_crt_set_key_usage(
             &crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) != 0 ||
        (rc = add_san(&crt, cn)) != 0) {
        fail_tls("certificate fields", rc);
        goto done;
    }
    if ((rc = mbedtls_x509write_crt_pem(&crt, cert_pem, sizeof cert_pem,
                                        mbedtls_ctr_drbg_random, &drbg)) != 0) {
        fail_tls("certificate", rc);
        goto done;
    }
    if ((rc = mbedtls_pk_write_key_pem(&key, key_pem, sizeof key_pem)) != 0) {
        fail_tls("key", rc);
        goto done;
    }
    out = store_pair(image, cert_pem, strlen((char *)cert_pem), key_pem,
                     strlen((char *)key_pem));
    if (out == 0)
        printf("self-signed ECDSA P-256 certificate for %s stored in %s "
               "(valid until %.4s-%.2s-%.2s)\n", cn, image, until, until + 4,
               until + 6);
done:
    mbedtls_platform_zeroize(key_pem, sizeof key_pem);
    mbedtls_mpi_free(&serial);
    mbedtls_x509write_crt_free(&crt);
    mbedtls_pk_free(&key);
    mbedtls_ctr_drbg_free(&drbg);
    return out;
}

static int read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return imapctl_fail("cannot read %s: %m", path);
    *len = fread(buf, 1, cap - 1, f);
    bool big = *len == cap - 1 && fgetc(f) != EOF;
    fclose(f);
    if (big || *len == 0)
        return imapctl_fail("%s: empty or larger than %d bytes", path, (int)cap);
    buf[*len] = 0;
    return 0;
}

static int cert_import(const char *image, const char *cpath, const char *kpath)
{
    static uint8_t cert[CERT_FILE_MAX], key[CERT_FILE_MAX];
    size_t clen, klen;
    char err[160];
    int out = 1;

    if (read_file(cpath, cert, sizeof cert, &clen) ||
        read_file(kpath, key, sizeof key, &klen))
        return 1;
    /* the same parser imapd uses: what passes here loads there */
    if (tls_check_pair(cert, clen, key, klen, err, sizeof err) != TLS_OK)
        imapctl_fail("%s, %s: %s", cpath, kpath, err);
    else if (clen > STORE_BLOB_MAX || klen > STORE_BLOB_MAX)
        imapctl_fail("certificate or key larger than %u bytes",
                     (unsigned)STORE_BLOB_MAX);
    else if ((out = store_pair(image, cert, clen, key, klen)) == 0)
        printf("certificate %s and key stored in %s\n", cpath, image);
    mbedtls_platform_zeroize(key, sizeof key);
    return out;
}

static int cert_show(const char *image)
{
    static uint8_t cert[CERT_FILE_MAX + 1];
    size_t len = 0;
    if (imapctl_open(image))
        return 1;
    int rc = store_blob_get(&imapctl_store, CERT_BLOB, cert, CERT_FILE_MAX, &len);
    imapctl_close(false);
    if (rc == STORE_ENOENT)
        return imapctl_fail("%s has no certificate (imapctl cert gen)", image);
    if (rc != STORE_OK)
        return imapctl_fail("reading the certificate: %s", store_strerror(rc));
    fwrite(cert, 1, len, stdout);
    return 0;
}

static int cert_del(const char *image)
{
    if (imapctl_open(image))
        return 1;
    int rc = store_blob_del(&imapctl_store, CERT_BLOB);
    if (rc == STORE_OK || rc == STORE_ENOENT)
        rc = store_blob_del(&imapctl_store, KEY_BLOB);
    if (rc != STORE_OK && rc != STORE_ENOENT) {
        imapctl_fail("deleting the certificate: %s", store_strerror(rc));
        imapctl_close(false);
        return 1;
    }
    if (imapctl_commit("certificate"))
        return imapctl_close(false), 1;
    return imapctl_close(true);
}

int imapctl_cmd_cert(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "gen")) {
        const char *cn = "localhost";
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "--cn") && i + 1 < argc)
                cn = argv[++i];
            else
                return imapctl_fail("cert gen: unexpected '%s'", argv[i]);
        }
        return cert_gen(argv[2], cn);
    }
    if (argc == 5 && !strcmp(argv[1], "import"))
        return cert_import(argv[2], argv[3], argv[4]);
    if (argc == 3 && !strcmp(argv[1], "show"))
        return cert_show(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "del"))
        return cert_del(argv[2]);
    return imapctl_fail("usage: imapctl cert gen IMAGE [--cn NAME] | "
                        "import IMAGE CERT KEY | show IMAGE | del IMAGE");
}
