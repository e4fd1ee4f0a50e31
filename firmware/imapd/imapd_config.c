/*
 * imapd_config.c - command line and "key = value" config file.
 *
 * The file is read first, then the command line overrides it key by key;
 * listen addresses from the command line replace the file's list.
 */
#include "imapd_config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imap/imap.h"

#define CONFIG_LINE_MAX 1024
#define CONFIG_STRINGS 8192      /* all values of one config file */

/* Values from the file live here for the life of the process. */
static char config_strings[CONFIG_STRINGS];
static size_t config_strings_used;

static char *config_keep(const char *v)
{
    size_t n = strlen(v) + 1;
    if (n > CONFIG_STRINGS - config_strings_used)
        return NULL;
    char *p = config_strings + config_strings_used;
    memcpy(p, v, n);
    config_strings_used += n;
    return p;
}

static const char imapd_usage[] =
    "usage: imapd --image IMAGE --listen ADDR:PORT [--listen ...]\n"
    "             [--listen-tls ADDR:PORT ...] [--cert FILE --key FILE]\n"
    "             [--config FILE] [--allow-plaintext] [--log-level LEVEL]\n"
    "  ADDR:PORT  127.0.0.1:1143, [::1]:1143, *:143 (port 0: any free port)\n"
    "  --listen-tls  implicit TLS (the 993 convention); plain ports offer\n"
    "             STARTTLS whenever a certificate is configured\n"
    "  --cert, --key  certificate chain and key (PEM or DER); default: the\n"
    "             ones stored in the image (imapctl cert gen/import)\n"
    "  --allow-plaintext  accept LOGIN without TLS (else LOGINDISABLED)\n"
    "  LEVEL      error, warning, info (default) or debug\n"
    "config file: key = value lines, # comments; keys: image, listen,\n"
    "  listen_tls (repeatable), cert, key, allow_plaintext (yes/no),\n"
    "  greeting, log_level\n";

static int config_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "imapd: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return -1;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
        !strcasecmp(v, "on")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
        !strcasecmp(v, "off")) {
        *out = false;
        return 0;
    }
    return -1;
}

static int parse_level(const char *v, int *out)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(v, names[i])) {
            *out = i;   /* IMAP_LOG_ERR .. IMAP_LOG_DEBUG */
            return 0;
        }
    if (!strcasecmp(v, "err") || !strcasecmp(v, "warn")) {
        *out = v[0] == 'e' || v[0] == 'E' ? IMAP_LOG_ERR : IMAP_LOG_WARN;
        return 0;
    }
    return -1;
}

static int add_listen(imapd_config_t *c, const char *v)
{
    if (c->nlisten + c->nlisten_tls == POSIX_LISTEN_MAX)
        return config_error("too many listen addresses (at most %s)%s", "8", "");
    c->listen[c->nlisten++] = v;
    return 0;
}

static int add_listen_tls(imapd_config_t *c, const char *v)
{
    if (c->nlisten + c->nlisten_tls == POSIX_LISTEN_MAX)
        return config_error("too many listen addresses (at most %s)%s", "8", "");
    c->listen_tls[c->nlisten_tls++] = v;
    return 0;
}

/* One "key = value" setting, from the file (line > 0) or argv. */
static int config_set(imapd_config_t *c, const char *key, const char *val,
                      const char *where)
{
    if (!strcmp(key, "image")) {
        c->image = val;
    } else if (!strcmp(key, "listen")) {
        return add_listen(c, val);
    } else if (!strcmp(key, "allow_plaintext")) {
        if (parse_bool(val, &c->allow_plaintext))
            return config_error("%s: allow_plaintext wants yes or no, not '%s'",
                                where, val);
    } else if (!strcmp(key, "greeting")) {
        /* It goes into the greeting line and ID: printable ASCII only. */
        size_t n = strlen(val);
        for (size_t i = 0; i < n; i++)
            if (val[i] < ' ' || val[i] > '~' || val[i] == '"' || val[i] == '\\')
                n = 0;
        if (n == 0 || n > 64)
            return config_error("%s: greeting must be 1 to 64 printable "
                                "characters without quotes, not '%s'", where, val);
        c->greeting = val;
    } else if (!strcmp(key, "log_level")) {
        if (parse_level(val, &c->log_level))
            return config_error("%s: unknown log_level '%s'", where, val);
    } else if (!strcmp(key, "listen_tls")) {
        return add_listen_tls(c, val);
    } else if (!strcmp(key, "cert")) {
        c->cert = val;
    } else if (!strcmp(key, "key")) {
        c->key = val;
    } else {
        return config_error("%s: unknown key '%s'", where, key);
    }
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int config_file(imapd_config_t *c, const char *path)
{
    char line[CONFIG_LINE_MAX];
    char where[CONFIG_LINE_MAX + 32];
    FILE *f = fopen(path, "r");
    if (!f)
        return config_error("cannot read config %s: %m%s", path, "");
    for (unsigned no = 1; fgets(line, sizeof(line), f); no++) {
        snprintf(where, sizeof(where), "%s:%u", path, no);
        if (!strchr(line, '\n') && !feof(f)) {
            fclose(f);
            return config_error("%s: line too long%s", where, "");
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (*s == '\0')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            fclose(f);
            return config_error("%s: expected 'key = value', got '%s'", where, s);
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        char *copy = config_keep(val);
        if (!copy) {
            fclose(f);
            return config_error("%s: config file too big%s", where, "");
        }
        if (config_set(c, key, copy, where)) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static const char *arg_value(int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    if (eq)
        return eq + 1;          /* --opt=value */
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

int imapd_config_load(imapd_config_t *cfg, int argc, char **argv)
{
    imapd_config_t cli;
    const char *config_path = NULL;
    bool plaintext_set = false, level_set = false;

    memset(&cli, 0, sizeof(cli));
    memset(cfg, 0, sizeof(*cfg));
    cfg->log_level = IMAP_LOG_INFO;
    cfg->greeting = "imapd";

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        size_t n = strcspn(a, "=");
#define IS(opt) (n == strlen(opt) && !strncmp(a, opt, n))
        if (IS("--help") || IS("-h")) {
            fputs(imapd_usage, stdout);
            return 1;
        } else if (IS("--version")) {
            puts("imapd 0.1.0");
            return 1;
        } else if (IS("--allow-plaintext")) {
            cli.allow_plaintext = plaintext_set = true;
        } else if (IS("--image") || IS("--listen") || IS("--config") ||
                   IS("--log-level") || IS("--listen-tls") || IS("--cert") ||
                   IS("--key")) {
            const char *v = arg_value(argc, argv, &i);
            if (!v)
                return config_error("%s needs a value%s", a, "");
            if (IS("--image"))
                cli.image = v;
            else if (IS("--config"))
                config_path = v;
            else if (IS("--listen")) {
                if (add_listen(&cli, v))
                    return -1;
            } else if (IS("--listen-tls")) {
                if (add_listen_tls(&cli, v))
                    return -1;
            } else if (IS("--cert")) {
                cli.cert = v;
            } else if (IS("--key")) {
                cli.key = v;
            } else {
                if (parse_level(v, &cli.log_level))
                    return config_error("unknown log level '%s'%s", v, "");
                level_set = true;
            }
        } else {
            return config_error("unknown option '%s' (try --help)%s", a, "");
        }
#undef IS
    }

    if (config_path && config_file(cfg, config_path))
        return -1;
    if (cli.image)
        cfg->image = cli.image;
    if (cli.nlisten || cli.nlisten_tls) {
        /* addresses on the command line replace the file's, both kinds */
        memcpy(cfg->listen, cli.listen, sizeof(cli.listen));
        cfg->nlisten = cli.nlisten;
        memcpy(cfg->listen_tls, cli.listen_tls, sizeof(cli.listen_tls));
        cfg->nlisten_tls = cli.nlisten_tls;
    }
    if (cli.cert)
        cfg->cert = cli.cert;
    if (cli.key)
        cfg->key = cli.key;
    if (plaintext_set)
        cfg->allow_plaintext = true;
    if (level_set)
        cfg->log_level = cli.log_level;

    if (!cfg->image)
        return config_error("no image given (--image IMAGE, or image = in "
                            "the config file)%s%s", "", "");
    if (!cfg->nlisten && !cfg->nlisten_tls)
        return config_error("no listen address given (--listen ADDR:PORT)%s%s",
                            "", "");
    if (!cfg->cert != !cfg->key)
        return config_error("--cert and --key go together%s%s", "", "");
    return 0;
}
