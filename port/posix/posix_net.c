/*
 * posix_net.c - parse "ADDR:PORT", open a listening socket, name addresses.
 */
#include "posix_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void posix_addr_str(const struct sockaddr *sa, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(buf, cap, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(buf, cap, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(buf, cap, "?");
    }
}

int posix_parse_addr(const char *spec, struct sockaddr_storage *ss,
                     socklen_t *len, char *err, size_t cap)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port_str;
    size_t hlen;

    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');
        if (!end || end[1] != ':') {
            snprintf(err, cap, "bad listen address '%s' (want [ADDR]:PORT)", spec);
            return -1;
        }
        hlen = (size_t)(end - spec - 1);
        if (hlen >= sizeof(host))
            goto bad;
        memcpy(host, spec + 1, hlen);
        host[hlen] = '\0';
        port_str = end + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (!colon || strchr(spec, ':') != colon) {
            snprintf(err, cap, "bad listen address '%s' (want ADDR:PORT)", spec);
            return -1;
        }
        hlen = (size_t)(colon - spec);
        if (hlen >= sizeof(host))
            goto bad;
        memcpy(host, spec, hlen);
        host[hlen] = '\0';
        port_str = colon + 1;
    }

    char *endp;
    errno = 0;
    long port = strtol(port_str, &endp, 10);
    if (port_str[0] == '\0' || *endp != '\0' || errno || port < 0 || port > 65535) {
        snprintf(err, cap, "bad port in listen address '%s'", spec);
        return -1;
    }

    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (strcmp(host, "*") == 0 || host[0] == '\0') {
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_ANY);
        in->sin_port = htons((uint16_t)port);
        *len = sizeof(*in);
    } else if (spec[0] != '[' && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        *len = sizeof(*in);
    } else if (spec[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
    } else {
        goto bad;
    }
    return 0;
bad:
    snprintf(err, cap, "bad listen address '%s' (numeric IPv4 or [IPv6] only)", spec);
    return -1;
}

int posix_listen(const char *spec, char *name, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;

    if (posix_parse_addr(spec, &ss, &len, name, cap) != 0)
        return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(name, cap, "cannot listen on %s: %s", spec, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)   /* [::] means IPv6 only; add *:P for v4 */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
        snprintf(name, cap, "cannot listen on %s: %s", spec, strerror(errno));
        close(fd);
        return -1;
    }
    len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    posix_addr_str((struct sockaddr *)&ss, name, cap);
    return fd;
}
