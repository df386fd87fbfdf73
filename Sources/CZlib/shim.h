// zlib (Debian: zlib1g-dev). cnzoo uses only crc32_z: zlib ≥ 1.2.12's braided CRC-32 runs at several GB/s.
#include <zlib.h>
