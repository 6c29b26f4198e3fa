/*
 * A guest of its own that uses the drop-in libxencall.a alone: no xencall
 * runtime. Its entry code (entry-<arch>.S) sets up the CPU and calls
 * guest_main; everything else goes through the system's xencall.h API:
 * open a handle, make hypercalls, allocate and free buffers, print the
 * `xencall-test:` protocol lines through CONSOLEIO_write, and exit through
 * the machine's test device (guest_exit, in the entry code).
 *
 * Freestanding: no C library. The numbers below are Xen's public ABI.
 */
#include <xencall.h>

extern int *__errno_location(void);
#define errno (*__errno_location())

#define XEN_EINVAL 22
#define HYPERVISOR_xen_version 17
#define HYPERVISOR_console_io 18
#define XENVER_version 0
#define XENVER_extraversion 1
#define CONSOLEIO_write 0
#define PAGE_SIZE 4096UL

/* The entry code's: end the machine with success (0) or failure. */
void guest_exit(int failed) __attribute__((noreturn));

/* The library calls abort() if it panics. */
void abort(void) __attribute__((noreturn));
void abort(void)
{
    guest_exit(1);
}

static xencall_handle *console;
static char *line;

static void put(const char *s)
{
    size_t n = 0;
    while (s[n] && n < PAGE_SIZE)
        n++;
    for (size_t i = 0; i < n; i++)
        line[i] = s[i];
    /* Xen reads the text from a hypercall buffer. */
    xencall3(console, HYPERVISOR_console_io, CONSOLEIO_write, n, (uintptr_t)line);
}

static void put_number(unsigned long v)
{
    char digits[24];
    int i = sizeof(digits) - 1;
    digits[i] = 0;
    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    put(&digits[i]);
}

static int passed, failed;

static void result(const char *name, const char *failure)
{
    put("xencall-test: ");
    put(name);
    if (failure) {
        put(" ... FAILED: ");
        put(failure);
        put("\n");
        failed++;
    } else {
        put(" ... ok\n");
        passed++;
    }
}

static const char *xen_version(xencall_handle *h)
{
    int v = xencall2(h, HYPERVISOR_xen_version, XENVER_version, 0);
    if (v < 0)
        return "xen_version failed";
    if ((v >> 16) != 4)
        return "not Xen 4.x";
    return 0;
}

static const char *buffers(xencall_handle *h)
{
    char *extra = xencall_alloc_buffer(h, 16);
    if (!extra)
        return "xencall_alloc_buffer returned NULL";
    for (int i = 0; i < 16; i++)
        extra[i] = (char)0xff;
    /* Xen writes its extra version string into the buffer. */
    if (xencall2(h, HYPERVISOR_xen_version, XENVER_extraversion, (uintptr_t)extra) < 0)
        return "XENVER_extraversion failed";
    int terminated = 0;
    for (int i = 0; i < 16; i++)
        terminated |= extra[i] == 0;
    if (!terminated)
        return "Xen's extra version not written";
    xencall_free_buffer(h, extra);

    void *pages = xencall_alloc_buffer_pages(h, 2);
    if (!pages)
        return "xencall_alloc_buffer_pages returned NULL";
    xencall_free_buffer_pages(h, pages, 2);
    /* Freed twice: refused, nothing changes. */
    errno = 0;
    xencall_free_buffer_pages(h, pages, 2);
    if (errno != XEN_EINVAL)
        return "a double free was not refused with EINVAL";
    return 0;
}

void guest_main(void) __attribute__((noreturn));
void guest_main(void)
{
    xencall_handle *h = xencall_open(0, 0);
    if (!h)
        guest_exit(1); /* nothing to print with */
    console = h;
    line = xencall_alloc_buffer_pages(h, 1);
    if (!line)
        guest_exit(1);
    put("drop-in-guest: libxencall.a alone, no xencall runtime\n");
    put("xencall-test: plan 4\n");
    result("open", 0);
    result("xen_version", xen_version(h));
    result("buffers", buffers(h));
    xencall_handle *second = xencall_open(0, 0);
    const char *closing = second ? 0 : "a second xencall_open failed";
    if (second && xencall_close(second) != 0)
        closing = "xencall_close failed";
    result("open_and_close_another", closing);
    put("xencall-test: done passed=");
    put_number((unsigned long)passed);
    put(" failed=");
    put_number((unsigned long)failed);
    put(" skipped=0\n");
    guest_exit(failed != 0);
}
