/*
 * Link check for libxencall.a: C code written against the system's
 * xencall.h, calling every function the header declares, linked with the
 * library alone. `cargo qemu drop-in` links it twice: once as is (the
 * library's weak errno serves), once with -DOWN_ERRNO, standing in for a
 * C library with its own __errno_location (which must win, with no
 * duplicate-symbol error). It is linked, not booted: the C guest
 * (examples/c-guest) boots the same C API under Xen.
 */
#include <stddef.h>
#include <xencall.h>

void abort(void)
{
    for (;;)
        ;
}

#ifdef OWN_ERRNO
static int c_library_errno;

int *__errno_location(void)
{
    return &c_library_errno;
}
#endif

extern int *__errno_location(void);

int xencall_link_check(void)
{
    xencall_handle *h = xencall_open(NULL, 0);
    if (!h)
        return *__errno_location();
    int bad = 0;
    bad |= xencall_fd(h) != -1;
    bad |= xencall0(h, 17) < 0;
    bad |= xencall1(h, 17, 0) < 0;
    bad |= xencall2(h, 17, 0, 0) < 0;
    bad |= xencall3(h, 17, 0, 0, 0) < 0;
    bad |= xencall4(h, 17, 0, 0, 0, 0) < 0;
    bad |= xencall5(h, 17, 0, 0, 0, 0, 0) < 0;
    bad |= xencall2L(h, 17, 0, 0) < 0;
    void *pages = xencall_alloc_buffer_pages(h, 1);
    xencall_free_buffer_pages(h, pages, 1);
    void *bytes = xencall_alloc_buffer(h, 64);
    xencall_free_buffer(h, bytes);
    bad |= xencall_buffers_never_fault(h) < 0;
    bad |= xencall_close(h) != 0;
    return bad;
}
