// libzip (Debian libzip-dev): reads `.keras` and `.npz` archives, and cross-checks cnzoo's own `.pth` zip reader.
#include <zip.h>
