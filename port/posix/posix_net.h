/*
 * posix_net.h - listening sockets and printable addresses for the port.
 */
#ifndef POSIX_NET_H
#define POSIX_NET_H

#include <stddef.h>
#include <sys/socket.h>

/* Longest printable "[addr]:port". */
#define POSIX_ADDR_STR 64

/* Opens a non-blocking listening socket on spec: "1.2.3.4:143",
 * "[::1]:1143", "*:143" (every IPv4 address) or "[::]:143".  Port 0 picks a
 * free port.  On success returns the fd and writes the bound address
 * (the real port) to name; on failure returns -1 and writes a reason. */
int posix_listen(const char *spec, char *name, size_t cap);

/* Splits spec (the forms posix_listen takes) into a socket address; 0, or
 * -1 with a reason in err.  The lwIP port parses --listen with it too. */
int posix_parse_addr(const char *spec, struct sockaddr_storage *ss,
                     socklen_t *len, char *err, size_t cap);

/* "1.2.3.4:5678" or "[::1]:5678" for a socket address. */
void posix_addr_str(const struct sockaddr *sa, char *buf, size_t cap);

#endif
