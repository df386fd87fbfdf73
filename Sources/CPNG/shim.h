// libpng 1.6 (Debian: libpng-dev). Decoding goes through CNZooImageC (libpng reports errors by longjmp).
#include <png.h>
