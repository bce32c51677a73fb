#define _GNU_SOURCE
#include "prefetch.h"
#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *qly_huge_alloc(size_t bytes) {
    size_t size = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    // Map one huge page more, then trim both ends to a 2 MiB boundary.
    char *raw = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    char *p = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (p > raw) munmap(raw, (size_t)(p - raw));
    size_t tail = (size_t)(raw + size + HUGE_PAGE - (p + size));
    if (tail > 0) munmap(p + size, tail);
#ifdef MADV_HUGEPAGE
    madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
}

void qly_huge_free(void *p, size_t bytes) {
    if (p == NULL) return;
    size_t size = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    munmap(p, size);
}
