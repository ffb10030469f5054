/*
 * LD_PRELOAD shim for pcscd: sets TCP_NODELAY on every accepted socket.
 * Why: Debian's vpcd 3.3 driver (inside pcscd) writes each APDU as two small TCP segments;
 * Nagle plus the peer's delayed ACK then stalls ~44 ms per APDU. Built at test time by
 * test/harness/pcsc-environment.ts; never committed as a binary.
 * On non-TCP sockets (pcscd's own Unix socket) setsockopt fails harmlessly and is ignored.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void set_nodelay(int fd) {
    int one = 1;
    if (fd >= 0) (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
    static int (*real_accept)(int, struct sockaddr *, socklen_t *);
    if (!real_accept) real_accept = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
    int client = real_accept(fd, addr, len);
    set_nodelay(client);
    return client;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
    if (!real_accept4) real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
    int client = real_accept4(fd, addr, len, flags);
    set_nodelay(client);
    return client;
}
