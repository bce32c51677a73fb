#ifndef QLY_BYTESCAN_H
#define QLY_BYTESCAN_H

#include <emmintrin.h>

/// Bit i set when byte i of the 16 at `p` ends a plain JSON string run: a
/// quote, a backslash, a control byte (< 0x20) or a byte of a multi-byte
/// UTF-8 sequence (>= 0x80). SSE2 (every x86-64 has it): one signed
/// compare covers both ranges, as bytes >= 0x80 are negative. Swift has no
/// movemask of its own; `static inline`, so the compiler inlines it into
/// the scanner's loop.
static inline unsigned qly_json_special16(const unsigned char *p) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    __m128i slash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    __m128i low = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, slash), low));
}

#endif
