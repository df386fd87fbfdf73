// The per-ISA kernel tables (defined by isa_*.c through kernels_template.h; the x86 ones only on x86-64).
#ifndef CNZOO_KERNEL_TABLES_H
#define CNZOO_KERNEL_TABLES_H
#include "cnzoo_kernels.h"

extern const cnz_kernels cnz_kernels_portable;
#if defined(__x86_64__)
extern const cnz_kernels cnz_kernels_avx2;
extern const cnz_kernels cnz_kernels_avx512;
#endif
#endif
