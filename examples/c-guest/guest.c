/*
 * The C test guest: plain C written against the system's libxencall header
 * (Debian's libxen-dev, /usr/include/xencall.h), linked with xencall's
 * staticlib and boot runtime instead of libxencall. Each test returns NULL
 * when it passes, or what went wrong; `c_guest_value` then holds the value
 * that was wrong. The Rust side (main.rs) reports one result line per test.
 *
 * Freestanding: no C library, so errno and the few Xen constants needed
 * are declared here. The numbers are Xen's public ABI.
 */
#include <xencall.h>

/* xencall's staticlib provides errno on bare metal. */
extern int *__errno_location(void);
#define errno (*__errno_location())

/* Xen's errno values (xen/include/public/errno.h; the same as Linux's). */
#define XEN_EINVAL 22
#define XEN_EFAULT 14
#define XEN_ENOSYS 38
#define XEN_EBADF 9
#define XEN_EPERM 1

/* Hypercall numbers and sub-commands (xen/include/public/xen.h, version.h,
 * xen.h's CONSOLEIO_*). */
#define HYPERVISOR_xen_version 17
#define HYPERVISOR_console_io 18
#define XENVER_version 0
#define XENVER_extraversion 1
#define XENVER_capabilities 3
#define CONSOLEIO_write 0

#define PAGE_SIZE 4096UL

long c_guest_value;

/* 1 when the runtime found itself a domU (main.rs): Xen's console is then
 * dom0's only, and the runtime prints through the PV console instead. */
extern int c_guest_is_domu(void);

static const char *fail(const char *what, long value)
{
    c_guest_value = value;
    return what;
}

static size_t c_strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

static int contains(const char *hay, size_t len, const char *needle)
{
    size_t n = c_strnlen(needle, 64);
    for (size_t i = 0; i + n <= len; i++) {
        size_t j = 0;
        while (j < n && hay[i + j] == needle[j])
            j++;
        if (j == n)
            return 1;
    }
    return 0;
}

const char *c_open_close(void)
{
    xencall_handle *h = xencall_open(NULL, 0);
    if (!h)
        return fail("xencall_open(NULL, 0) returned NULL; errno", errno);
    if (xencall_close(h) != 0)
        return fail("xencall_close of an open handle failed; errno", errno);
    /* libxencall: closing NULL is a no-op that succeeds. */
    if (xencall_close(NULL) != 0)
        return fail("xencall_close(NULL) did not return 0; errno", errno);
    /* A flag this library does not know is refused, not ignored. */
    errno = 0;
    h = xencall_open(NULL, 1U << 7);
    if (h)
        return fail("xencall_open with an unknown flag succeeded", 0);
    if (errno != XEN_EINVAL)
        return fail("unknown open flag: errno is not EINVAL but", errno);
    h = xencall_open(NULL, XENCALL_OPENFLAG_NON_REENTRANT);
    if (!h)
        return fail("xencall_open(NON_REENTRANT) failed; errno", errno);
    return xencall_close(h) == 0 ? NULL : fail("xencall_close failed; errno", errno);
}

const char *c_version(void)
{
    xencall_handle *h = xencall_open(NULL, 0);
    if (!h)
        return fail("xencall_open failed; errno", errno);
    int v = xencall2(h, HYPERVISOR_xen_version, XENVER_version, 0);
    long wide = xencall2L(h, HYPERVISOR_xen_version, XENVER_version, 0);
    xencall_close(h);
    if (v < 0)
        return fail("xencall2(xen_version, XENVER_version) failed; errno", errno);
    /* 4.17 or later, as the Rust guests require: the runner boots 4.17
     * and later releases. */
    if (v >> 16 != 4 || (v & 0xffff) < 17)
        return fail("Xen is older than 4.17 (or not 4.x): XENVER_version answered", v);
    if (wide != v)
        return fail("xencall2L disagrees with xencall2:", wide);
    return NULL;
}

const char *c_buffers(void)
{
    static const char line[] = "c-guest: hello from C through xencall\n";
    xencall_handle *h = xencall_open(NULL, 0);
    if (!h)
        return fail("xencall_open failed; errno", errno);
    if (xencall_buffers_never_fault(h) != 1)
        return fail("xencall_buffers_never_fault is not 1:", xencall_buffers_never_fault(h));

    /* Page buffers: page-aligned and zeroed, usable as a hypercall
     * argument (XENVER_capabilities writes 1024 bytes). */
    char *pages = xencall_alloc_buffer_pages(h, 2);
    if (!pages)
        return fail("xencall_alloc_buffer_pages(2) failed; errno", errno);
    if ((unsigned long)pages % PAGE_SIZE)
        return fail("page buffer not page-aligned:", (long)pages);
    for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
        if (pages[i])
            return fail("page buffer not zeroed at offset", (long)i);
    for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
        pages[i] = (char)0xa5;
    int r = xencall2(h, HYPERVISOR_xen_version, XENVER_capabilities, (uint64_t)(unsigned long)pages);
    if (r != 0)
        return fail("xen_version(XENVER_capabilities) into a page buffer failed; errno", errno);
    if (c_strnlen(pages, 1024) == 1024 || !contains(pages, 1024, "xen-3.0-"))
        return fail("capabilities string lacks \"xen-3.0-\"; its first byte is", pages[0]);
    xencall_free_buffer_pages(h, pages, 2);

    /* A freed buffer's contents never reach the next holder. */
    char *again = xencall_alloc_buffer_pages(h, 2);
    if (!again)
        return fail("reallocating 2 pages failed; errno", errno);
    for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
        if (again[i])
            return fail("a reallocated buffer kept old data at offset", (long)i);
    xencall_free_buffer_pages(h, again, 2);

    /* Byte buffers: extraversion is at most 16 bytes, NUL-terminated. */
    char *extra = xencall_alloc_buffer(h, 16);
    if (!extra)
        return fail("xencall_alloc_buffer(16) failed; errno", errno);
    if (xencall2(h, HYPERVISOR_xen_version, XENVER_extraversion, (uint64_t)(unsigned long)extra) != 0)
        return fail("xen_version(XENVER_extraversion) failed; errno", errno);
    if (c_strnlen(extra, 16) == 16)
        return fail("extraversion is not NUL-terminated within 16 bytes", 16);
    xencall_free_buffer(h, extra);

    /* Three arguments, one a buffer: Xen prints this line on its console
     * for dom0; a release Xen refuses a domU (EPERM), which is what
     * libxencall's caller would see too. */
    char *text = xencall_alloc_buffer(h, sizeof(line) - 1);
    if (!text)
        return fail("xencall_alloc_buffer failed; errno", errno);
    for (size_t i = 0; i < sizeof(line) - 1; i++)
        text[i] = line[i];
    r = xencall3(h, HYPERVISOR_console_io, CONSOLEIO_write, sizeof(line) - 1,
                 (uint64_t)(unsigned long)text);
    int err = errno;
    xencall_free_buffer(h, text);
    xencall_close(h);
    if (c_guest_is_domu())
        return r == -1 && err == XEN_EPERM
            ? NULL
            : fail("console_io(CONSOLEIO_write) from a domU: expected -1 with EPERM; errno", err);
    return r == 0 ? NULL : fail("console_io(CONSOLEIO_write) failed; errno", err);
}

const char *c_errors(void)
{
    xencall_handle *h = xencall_open(NULL, 0);
    if (!h)
        return fail("xencall_open failed; errno", errno);
    /* An unused hypercall number: Xen answers ENOSYS, libxencall style. */
    errno = 0;
    int r = xencall0(h, 63);
    if (r != -1 || errno != XEN_ENOSYS)
        return fail("xencall0(63): expected -1 with errno ENOSYS; errno", errno);
    /* A pointer Xen cannot write: EFAULT. 128 TiB is canonical but mapped
     * in no mode (PVH maps 4 GiB, Arm its RAM, PV what Xen built). */
    errno = 0;
    r = xencall2(h, HYPERVISOR_xen_version, XENVER_extraversion, 0x00007fffffff0000ULL);
    if (r != -1 || errno != XEN_EFAULT)
        return fail("extraversion into an unmapped address: expected -1 with errno EFAULT; errno", errno);
    /* Freeing something that is not a buffer is refused with EINVAL and
     * frees nothing: the C static keeps its bytes (a free would scrub
     * them), and a live buffer allocated before stays allocated: freeing it
     * afterwards succeeds, and a second free is refused as a double free. */
    static char not_a_buffer[64];
    for (size_t i = 0; i < sizeof(not_a_buffer); i++)
        not_a_buffer[i] = (char)(0x40 + i);
    char *live = xencall_alloc_buffer_pages(h, 1);
    if (!live)
        return fail("xencall_alloc_buffer_pages(1) failed; errno", errno);
    live[0] = 0x5a;
    errno = 0;
    xencall_free_buffer(h, not_a_buffer);
    if (errno != XEN_EINVAL)
        return fail("freeing a foreign pointer: errno is not EINVAL but", errno);
    for (size_t i = 0; i < sizeof(not_a_buffer); i++)
        if (not_a_buffer[i] != (char)(0x40 + i))
            return fail("a refused free changed the foreign memory at offset", (long)i);
    if (live[0] != 0x5a)
        return fail("a refused free changed a live buffer: its first byte is", live[0]);
    errno = 0;
    xencall_free_buffer_pages(h, live, 1);
    if (errno != 0)
        return fail("the live buffer was no longer allocated after a refused free; errno", errno);
    xencall_free_buffer_pages(h, live, 1);
    if (errno != XEN_EINVAL)
        return fail("a double free of the live buffer: errno is not EINVAL but", errno);
    xencall_close(h);
    /* A closed handle is refused. */
    errno = 0;
    r = xencall0(h, 63);
    if (r != -1 || errno != XEN_EBADF)
        return fail("a call through a closed handle: expected -1 with errno EBADF; errno", errno);
    return NULL;
}
