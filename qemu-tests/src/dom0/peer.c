/*
 * domu-peer: dom0's side of the domu-tests cases that need a real peer
 * (qemu-tests/src/dom0/peer.c, built by `cargo qemu` against Debian's
 * libxenevtchn, libxengnttab and libxenstore, run by the case's dom0
 * script as `./domu-peer DOMID`).
 *
 * The guest publishes under /local/domain/DOMID/data/peer/<channel>/ a
 * port (and, for the grant handshake, a grant reference); this program
 * binds the port, says so in `bound`, then answers each step the guest
 * names in `ping` with `pong` = "<step>:<result>" and a notification.
 * Every step begins with the guest's notification, waited for on the
 * event channel device (blocking), never by polling a key.
 *
 * It prints one line per check, `check NAME ok` or `check NAME FAILED:
 * why`, which the runner reads, and exits 0 only if all passed.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

/* How long any one wait for the guest may take (seconds). */
#define WAIT_SECS 60

static struct xs_handle *xs;
static xenevtchn_handle *xce;
static xengnttab_handle *xgt;
static unsigned domid;
static int failures;

static void check(const char *name, int ok, const char *fmt, ...)
{
    if (ok) {
        printf("check %s ok\n", name);
    } else {
        va_list ap;
        printf("check %s FAILED: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        failures++;
    }
    fflush(stdout);
}

static void die(const char *fmt, ...)
{
    va_list ap;
    printf("domu-peer: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(2);
}

/* /local/domain/DOMID/data/peer/<rest> */
static const char *key(const char *channel, const char *leaf)
{
    static char path[256];
    snprintf(path, sizeof(path), "/local/domain/%u/data/peer/%s/%s", domid, channel, leaf);
    return path;
}

/* The value at `path`, or NULL; the caller frees it. */
static char *xs_get(const char *path)
{
    unsigned len;
    return xs_read(xs, XBT_NULL, path, &len);
}

static void xs_put(const char *path, const char *value)
{
    if (!xs_write(xs, XBT_NULL, path, value, strlen(value)))
        die("xenstore write %s failed: %s", path, strerror(errno));
}

/* Wait for the guest to create `path` (the guest's side of the set-up,
 * before any channel exists); its value. */
static char *wait_for_key(const char *path)
{
    for (int i = 0; i < WAIT_SECS * 20; i++) {
        char *v = xs_get(path);
        if (v)
            return v;
        usleep(50 * 1000);
    }
    die("%s never appeared", path);
    return NULL;
}

/* One pending port from the event channel device within `ms`, unmasked
 * again; -1 on timeout. */
static int next_event(int ms)
{
    struct pollfd p = { .fd = xenevtchn_fd(xce), .events = POLLIN };
    int n = poll(&p, 1, ms);
    if (n < 0)
        die("poll: %s", strerror(errno));
    if (n == 0)
        return -1;
    xenevtchn_port_or_error_t port = xenevtchn_pending(xce);
    if (port < 0)
        die("xenevtchn_pending: %s", strerror(errno));
    xenevtchn_unmask(xce, port);
    return port;
}

struct channel {
    const char *name;
    evtchn_port_t local;
    int events;
};

/* Bind the port the guest published under `name`. Binding marks our new
 * port pending once (Xen's guard against lost notifications): that event
 * is taken here, before `bound` tells the guest to start, so every later
 * one is the guest's. */
static struct channel bind_channel(const char *name)
{
    struct channel c = { .name = name };
    char *port = wait_for_key(key(name, "port"));
    xenevtchn_port_or_error_t local = xenevtchn_bind_interdomain(xce, domid, atoi(port));
    if (local < 0)
        die("bind_interdomain(%u, %s): %s", domid, port, strerror(errno));
    c.local = local;
    int drained = 0;
    while (next_event(500) == (int)c.local)
        drained++;
    char text[16];
    snprintf(text, sizeof(text), "%d", c.local);
    xs_put(key(name, "bound"), text);
    printf("domu-peer: %s: guest port %s bound as %d (%d bind-time event(s) taken)\n", name, port,
           c.local, drained);
    free(port);
    return c;
}

/* Wait for the guest's notification naming `step` in `ping`. */
static void wait_step(struct channel *c, const char *step)
{
    time_t until = time(NULL) + WAIT_SECS;
    while (time(NULL) < until) {
        int port = next_event(1000);
        if (port < 0)
            continue;
        if (port != (int)c->local)
            continue;
        c->events++;
        char *ping = xs_get(key(c->name, "ping"));
        int match = ping && strcmp(ping, step) == 0;
        free(ping);
        if (match)
            return;
    }
    die("%s: no notification for step %s within %d s", c->name, step, WAIT_SECS);
}

/* Answer `step` with `result` and notify the guest. */
static void answer(struct channel *c, const char *step, const char *result)
{
    char text[128];
    snprintf(text, sizeof(text), "%s:%s", step, result);
    xs_put(key(c->name, "pong"), text);
    if (xenevtchn_notify(xce, c->local) < 0)
        die("notify %d: %s", c->local, strerror(errno));
}

static void event_channel_and_transaction(void)
{
    struct channel c = bind_channel("evtchn");
    for (int i = 1; i <= 3; i++) {
        char step[16], result[16];
        snprintf(step, sizeof(step), "ping%d", i);
        snprintf(result, sizeof(result), "pong%d", i);
        wait_step(&c, step);
        answer(&c, step, result);
    }
    /* Each step waited for an event of the guest's: at least three. (A
     * bind-time event later than the drain above would make one more.) */
    printf("domu-peer: evtchn: %d event(s) for 3 pings\n", c.events);
    check("event_channel_both_ways", c.events >= 3, "%d events for 3 pings", c.events);

    /* The guest is inside its transaction's first attempt, having read
     * and written the key: change it outside any transaction. */
    wait_step(&c, "tx");
    xs_put(key("tx", "value"), "dom0");
    answer(&c, "tx", "changed");
    free(wait_for_key(key("tx", "done")));
    char *value = xs_get(key("tx", "value"));
    check("transaction_retried_and_committed", value && strcmp(value, "dom0+guest") == 0,
          "after the guest's transaction the key is \"%s\"", value ? value : "(none)");
    free(value);
}

static void grant_handshake(void)
{
    char *gref_text = wait_for_key(key("grant", "gref"));
    uint32_t gref = strtoul(gref_text, NULL, 10);
    free(gref_text);
    struct channel c = bind_channel("grant");

    wait_step(&c, "check");
    unsigned char *page = xengnttab_map_grant_ref(xgt, domid, gref, PROT_READ | PROT_WRITE);
    if (!page) {
        check("grant_mapped", 0, "xengnttab_map_grant_ref(%u, %u): %s", domid, gref,
              strerror(errno));
        answer(&c, "check", "map-failed");
        return;
    }
    check("grant_mapped", 1, "");
    char hello[64];
    snprintf(hello, sizeof(hello), "grant from domain %u", domid);
    size_t len = strlen(hello);
    int bad = -1;
    if (memcmp(page, hello, len) != 0)
        bad = 0;
    for (size_t i = len; i < 4096 && bad < 0; i++)
        if (page[i] != i % 251)
            bad = (int)i;
    check("grant_holds_the_guests_bytes", bad < 0, "byte %d differs (0x%02x)", bad,
          bad < 0 ? 0 : page[bad]);
    snprintf((char *)page + 2048, 64, "reply from dom0 to domain %u", domid);
    answer(&c, "check", bad < 0 ? "mapped" : "bad-bytes");

    /* The guest tries to end the grant now (refused: mapped), then asks
     * for the unmap. */
    wait_step(&c, "unmap");
    int r = xengnttab_unmap(xgt, page, 1);
    check("grant_unmapped", r == 0, "xengnttab_unmap: %s", strerror(errno));
    answer(&c, "unmap", "unmapped");

    /* The guest ended the grant: a new mapping must be refused. */
    wait_step(&c, "revoked");
    void *again = xengnttab_map_grant_ref(xgt, domid, gref, PROT_READ);
    check("revoked_grant_cannot_be_mapped", again == NULL, "mapped it again after the revoke");
    if (again)
        xengnttab_unmap(xgt, again, 1);
    answer(&c, "revoked", again ? "mapped-again" : "refused");
}

int main(int argc, char **argv)
{
    if (argc != 2)
        die("usage: domu-peer DOMID");
    domid = strtoul(argv[1], NULL, 10);
    setvbuf(stdout, NULL, _IOLBF, 0);
    xs = xs_open(0);
    xce = xenevtchn_open(NULL, 0);
    xgt = xengnttab_open(NULL, 0);
    if (!xs || !xce || !xgt)
        die("cannot open xenstore (%p), evtchn (%p) or gnttab (%p): %s", (void *)xs, (void *)xce,
            (void *)xgt, strerror(errno));
    event_channel_and_transaction();
    grant_handshake();
    printf("domu-peer: %d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
