// The per-ISA kernel tables (defined by isa_*.c through kernels_template.h; the x86 ones only on x86-64).
#ifndef CNZOO_KERNEL_TABLES_H
#define CNZOO_KERNEL_TABLES_H
#include "cnzoo_kernels.h"

extern const cnz_kernels cnz_kernels_portable;
#if defined(__x86_64__)
/// The instruction-set extensions behind the helpers outside the kernel tables.
typedef enum { CNZ_EXT_CLMUL = 0, CNZ_EXT_F16C = 1 } cnz_extension;
/// Whether this CPU has `e` (PCLMULQDQ + SSE4.1 for the CRC, F16C + AVX for f16 conversion); asked once per extension.
int cnz_cpu_has(cnz_extension e);
extern const cnz_kernels cnz_kernels_avx2;
extern const cnz_kernels cnz_kernels_avx512;
#endif
#endif
