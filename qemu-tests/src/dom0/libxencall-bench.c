/*
 * libxencall-bench: the per-operation loops of examples/bench.rs (the
 * crate's `op=` lines), made through Debian's libxencall from a Linux
 * dom0, for `cargo qemu bench`'s side-by-side table. Built by the runner
 * against the dom0 packages' libxencall (qemu-tests/src/dom0/peer.rs
 * builds it as it builds domu-peer) and run by a dom0 script after the
 * crate's own domU benchmark has shut down, so the two never share the
 * CPU.
 *
 * Output, one line per operation, in the guest's format:
 *   libxencall-bench: op=NAME batches=B per_batch=P median=T min=T mean=T ticks_per_us=R
 * T is counter ticks per operation (TSC on x86_64, CNTVCT_EL0 on arm64);
 * under QEMU's -icount shift=0 a microsecond of the guest's time is 1000
 * instructions, so T * 1000 / R is instructions per operation.
 *
 * The operations:
 *   xencall2         xencall2(__HYPERVISOR_xen_version, XENVER_version, 0)
 *   alloc-free-page  xencall_alloc_buffer_pages(1), then its free
 *   multicall-k1     a one-entry multicall as a libxencall user writes it
 *                    (libxencall has no multicall helper): the entry in a
 *                    hypercall buffer, xencall2(__HYPERVISOR_multicall),
 *                    the result read back, the buffer freed; the same
 *                    work as the crate's Xencall::multicall.
 * Exit status 0 after "libxencall-bench: done"; 1 with a reason on stderr.
 */
#define __XEN_TOOLS__ 1

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xencall.h>
#include <xen/xen.h>
#include <xen/version.h>

/* As examples/bench.rs: odd, so the median is one batch. */
#define BATCHES 31
#define PER_BATCH 64

static xencall_handle *xh;

static void fail(const char *what)
{
    fprintf(stderr, "libxencall-bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static inline uint64_t ticks(void)
{
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
    uint64_t v;
    /* The isb keeps the read from moving across the work it times. */
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
#else
#error "libxencall-bench: x86_64 or aarch64 only"
#endif
}

static double now_us(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
        fail("clock_gettime");
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Counter ticks per microsecond of the kernel's monotonic clock. */
static double ticks_per_us(void)
{
#if defined(__aarch64__)
    uint64_t hz;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
    if (hz)
        return hz / 1e6;
#endif
    double t0 = now_us();
    uint64_t c0 = ticks();
    while (now_us() - t0 < 20000.0)
        ;
    uint64_t c1 = ticks();
    double t1 = now_us();
    return (double)(c1 - c0) / (t1 - t0);
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void measure(const char *name, void (*op)(void), double rate)
{
    uint64_t batches[BATCHES], total = 0;
    for (int i = 0; i < PER_BATCH; i++) /* warm caches and the buffer cache */
        op();
    for (int b = 0; b < BATCHES; b++) {
        uint64_t t0 = ticks();
        for (int i = 0; i < PER_BATCH; i++)
            op();
        batches[b] = ticks() - t0;
        total += batches[b];
    }
    qsort(batches, BATCHES, sizeof batches[0], by_value);
    printf("libxencall-bench: op=%s batches=%d per_batch=%d median=%.1f min=%.1f "
           "mean=%.1f ticks_per_us=%.3f\n",
           name, BATCHES, PER_BATCH, (double)batches[BATCHES / 2] / PER_BATCH,
           (double)batches[0] / PER_BATCH, (double)total / (PER_BATCH * BATCHES), rate);
    fflush(stdout);
}

static void version_call(void)
{
    int r = xencall2(xh, __HYPERVISOR_xen_version, XENVER_version, 0);
    if (r < 0)
        fail("xencall2(xen_version)");
    if ((r >> 16) < 4) {
        errno = EPROTO;
        fail("xen_version answered no Xen 4.x");
    }
}

static void alloc_free_page(void)
{
    void *p = xencall_alloc_buffer_pages(xh, 1);
    if (!p)
        fail("xencall_alloc_buffer_pages(1)");
    xencall_free_buffer_pages(xh, p, 1);
}

static void multicall_one(void)
{
    multicall_entry_t entry = {
        .op = __HYPERVISOR_xen_version,
        .args = { XENVER_version, 0 },
    };
    multicall_entry_t *list = xencall_alloc_buffer(xh, sizeof entry);
    if (!list)
        fail("xencall_alloc_buffer(multicall entry)");
    memcpy(list, &entry, sizeof entry);
    if (xencall2(xh, __HYPERVISOR_multicall, (uint64_t)(uintptr_t)list, 1) < 0)
        fail("xencall2(multicall)");
    memcpy(&entry, list, sizeof entry);
    xencall_free_buffer(xh, list);
    if ((int64_t)entry.result < 0 || (entry.result >> 16) < 4) {
        errno = EPROTO;
        fail("the multicall's entry did not answer Xen 4.x");
    }
}

int main(void)
{
    xh = xencall_open(NULL, 0);
    if (!xh)
        fail("xencall_open");
    double rate = ticks_per_us();
    measure("xencall2", version_call, rate);
    measure("alloc-free-page", alloc_free_page, rate);
    measure("multicall-k1", multicall_one, rate);
    xencall_close(xh);
    printf("libxencall-bench: done\n");
    return 0;
}
