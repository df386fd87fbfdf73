// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, pthread variant).
#include <cblas.h>
// Not in cblas.h on every build; declared here so the forward pass can report which kernel OpenBLAS picked.
char *openblas_get_corename(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);
