// OpenSSL's libcrypto message digests (Debian: libssl-dev). cnzoo uses only EVP SHA-256, which runs on the CPU's
// SHA extensions where present.
#include <openssl/evp.h>
