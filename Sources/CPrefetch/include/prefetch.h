#ifndef QLY_PREFETCH_H
#define QLY_PREFETCH_H

#include <stddef.h>

/// Asks the CPU to bring `bytes` bytes from `p` into the caches ahead of a
/// read (Swift has no prefetch of its own). A hint: no effect on results.
static inline void qly_prefetch(const void *p, long bytes) {
    const char *c = (const char *)p;
    for (long i = 0; i < bytes; i += 64) __builtin_prefetch(c + i, 0, 3);
}

/// As `qly_prefetch`, for memory about to be written.
static inline void qly_prefetch_write(const void *p, long bytes) {
    const char *c = (const char *)p;
    for (long i = 0; i < bytes; i += 64) __builtin_prefetch(c + i, 1, 3);
}

/// `bytes` of zeroed memory aligned to 2 MiB, which the kernel is asked to
/// back with transparent huge pages (madvise): a table read at random
/// misses the TLB far less. NULL when the memory cannot be had. Free with
/// `qly_huge_free(p, bytes)`.
void *qly_huge_alloc(size_t bytes);
void qly_huge_free(void *p, size_t bytes);

#endif
