// Layout work shared by every ISA: widening f16/bf16/f64 weights, packing GEMM weights into panels, patch gathers
// (im2col for non-overlapping patches) and folding BatchNorm. Plain C; memory-bound.
#include "cnzoo_kernels.h"
#include <stdint.h>

/// IEEE binary16 → binary32, exact (normals, subnormals, ±0, ±inf, NaN payloads kept in the top bits).
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (mant << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else {
        uint32_t e = 113;
        while (!(mant & 0x400)) mant <<= 1, e--;
        bits = sign | (e << 23) | ((mant & 0x3FF) << 13);
    }
    float f;
    __builtin_memcpy(&f, &bits, 4);
    return f;
}

static size_t width_of(cnz_source_type type) {
    switch (type) {
    case CNZ_SRC_F16:
    case CNZ_SRC_BF16: return 2;
    case CNZ_SRC_F64: return 8;
    default: return 4;
    }
}

/// Element i of a little-endian array of `type` (this code assumes a little-endian host, as every target cnzoo
/// builds for is).
static inline float load_value(const unsigned char *src, cnz_source_type type, size_t i) {
    switch (type) {
    case CNZ_SRC_F16: {
        uint16_t h;
        __builtin_memcpy(&h, src + 2 * i, 2);
        return half_to_float(h);
    }
    case CNZ_SRC_BF16: {
        uint16_t h;
        __builtin_memcpy(&h, src + 2 * i, 2);
        uint32_t bits = (uint32_t)h << 16;
        float f;
        __builtin_memcpy(&f, &bits, 4);
        return f;
    }
    case CNZ_SRC_F64: {
        double d;
        __builtin_memcpy(&d, src + 8 * i, 8);
        return (float)d;
    }
    default: {
        float f;
        __builtin_memcpy(&f, src + 4 * i, 4);
        return f;
    }
    }
}

void cnz_widen(const void *src, cnz_source_type type, size_t count, float *dst) {
    if (type == CNZ_SRC_F32) {
        __builtin_memcpy(dst, src, count * 4);
        return;
    }
    for (size_t i = 0; i < count; i++) dst[i] = load_value(src, type, i);
}

size_t cnz_packed_count(int n, int k) {
    size_t panels = ((size_t)n + CNZ_PANEL - 1) / CNZ_PANEL;
    return panels * (size_t)k * CNZ_PANEL;
}

void cnz_pack_weight(const void *src, cnz_source_type type, int n, int k, float *packed) {
    const unsigned char *s = src;
    size_t width = width_of(type);
    int panels = (n + CNZ_PANEL - 1) / CNZ_PANEL;
    float row[256];
    for (int p = 0; p < panels; p++) {
        float *dst = packed + (size_t)p * k * CNZ_PANEL;
        for (int j = 0; j < CNZ_PANEL; j++) {
            int col = p * CNZ_PANEL + j;
            if (col >= n) {
                for (int kk = 0; kk < k; kk++) dst[(size_t)kk * CNZ_PANEL + j] = 0;
                continue;
            }
            // Widen the source row in chunks (sequential reads), then scatter into the panel.
            const unsigned char *srow = s + (size_t)col * k * width;
            for (int k0 = 0; k0 < k; k0 += 256) {
                int kn = k - k0 < 256 ? k - k0 : 256;
                cnz_widen(srow + (size_t)k0 * width, type, (size_t)kn, row);
                for (int kk = 0; kk < kn; kk++) dst[(size_t)(k0 + kk) * CNZ_PANEL + j] = row[kk];
            }
        }
    }
}

void cnz_patches_nchw(const float *x, float *rows, int n, int cin, int h, int w, int p) {
    int oh = h / p, ow = w / p;
    size_t k = (size_t)cin * p * p;
    for (int b = 0; b < n; b++) {
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                float *row = rows + (((size_t)b * oh + oy) * ow + ox) * k;
                for (int ci = 0; ci < cin; ci++) {
                    for (int ky = 0; ky < p; ky++) {
                        const float *s = x + (((size_t)b * cin + ci) * h + (size_t)oy * p + ky) * w + (size_t)ox * p;
                        __builtin_memcpy(row + ((size_t)ci * p + ky) * p, s, (size_t)p * 4);
                    }
                }
            }
        }
    }
}

void cnz_patches_nhwc(const float *x, float *rows, int n, int h, int w, int c, int p) {
    int oh = h / p, ow = w / p;
    size_t k = (size_t)p * p * c;
    for (int b = 0; b < n; b++) {
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                float *row = rows + (((size_t)b * oh + oy) * ow + ox) * k;
                for (int ky = 0; ky < p; ky++) {
                    const float *s = x + (((size_t)b * h + (size_t)oy * p + ky) * w + (size_t)ox * p) * c;
                    __builtin_memcpy(row + (size_t)ky * p * c, s, (size_t)p * c * 4);
                }
            }
        }
    }
}

void cnz_fold_batchnorm(const float *gamma, const float *beta, const float *mean, const float *var, float eps, int c,
                        float *scale, float *shift) {
    for (int j = 0; j < c; j++) {
        float s = gamma[j] / __builtin_sqrtf(var[j] + eps);
        scale[j] = s;
        shift[j] = beta[j] - mean[j] * s;
    }
}
