// libjpeg-turbo (Debian: libjpeg62-turbo-dev). Decoding goes through CNZooImageC, which owns the setjmp/longjmp
// error handling Swift cannot express; this module only links the library and exposes its version constants.
#include <stdio.h>
#include <jpeglib.h>
