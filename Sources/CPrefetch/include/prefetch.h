#ifndef QLY_PREFETCH_H
#define QLY_PREFETCH_H

/// Asks the CPU to bring `bytes` bytes from `p` into the caches ahead of a
/// read (Swift has no prefetch of its own). A hint: no effect on results.
static inline void qly_prefetch(const void *p, long bytes) {
    const char *c = (const char *)p;
    for (long i = 0; i < bytes; i += 64) __builtin_prefetch(c + i, 0, 3);
}

#endif
