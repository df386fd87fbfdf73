// f32 ⇄ f16 in bulk with the F16C instructions (VCVTPS2PH with round-to-nearest-even, VCVTPH2PS), chosen at run
// time: `--dtype f16` conversions were ~10× slower than bf16's integer rounding when every value went through a
// bit-by-bit software path. The callers convert whatever is left (and everything on CPUs without F16C) in software,
// with the same results bit for bit (checked over every f16 value and a sweep of f32 values in DTypeCastTests).
#include "kernel_tables.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("f16c,avx")))
static void narrow(const unsigned char *src, unsigned char *dst, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
        __m256 v = _mm256_loadu_ps((const float *)(const void *)(src + 4 * i));
        _mm_storeu_si128((__m128i *)(void *)(dst + 2 * i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
}

__attribute__((target("f16c,avx")))
static void widen(const unsigned char *src, unsigned char *dst, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(src + 2 * i));
        _mm256_storeu_ps((float *)(void *)(dst + 4 * i), _mm256_cvtph_ps(h));
    }
}

size_t cnz_f32_to_f16_prefix(const void *src, void *dst, size_t n) {
    if (!cnz_cpu_has(CNZ_EXT_F16C)) return 0;
    size_t done = n & ~(size_t)7;
    narrow((const unsigned char *)src, (unsigned char *)dst, done);
    return done;
}

size_t cnz_f16_to_f32_prefix(const void *src, void *dst, size_t n) {
    if (!cnz_cpu_has(CNZ_EXT_F16C)) return 0;
    size_t done = n & ~(size_t)7;
    widen((const unsigned char *)src, (unsigned char *)dst, done);
    return done;
}
#else
size_t cnz_f32_to_f16_prefix(const void *src, void *dst, size_t n) {
    (void)src, (void)dst, (void)n;
    return 0;
}

size_t cnz_f16_to_f32_prefix(const void *src, void *dst, size_t n) {
    (void)src, (void)dst, (void)n;
    return 0;
}
#endif
