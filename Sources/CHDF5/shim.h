// libhdf5 (Debian libhdf5-dev, serial). HDF5's type and property-list "constants" are macros that call functions
// and expand to hid_t; static inline helpers give Swift a typed way to reach them. Keras files are read and written
// through this module (see the Keras format module); every request made of the library is bounded there first.
#include <hdf5.h>
