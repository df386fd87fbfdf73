#ifndef CNZOO_H5_H
#define CNZOO_H5_H
#include <stddef.h>
#include <stdint.h>

/// Bounds applied while walking an untrusted HDF5 file (every request made of libhdf5 is checked against these).
typedef struct {
    uint32_t max_depth;          ///< group nesting
    uint32_t max_objects;        ///< links visited in the whole file
    uint32_t max_rank;           ///< dataset / attribute rank
    uint32_t max_name_bytes;     ///< one link or attribute name
    uint32_t max_attributes;     ///< attributes on one object
    uint64_t max_attribute_bytes;///< one attribute's value (all its strings together)
    uint64_t max_read_bytes;     ///< bytes read through the library for one chunked or compact dataset
    uint64_t max_total_read_bytes; ///< all such reads together
} cnzoo_h5_limits;

/// A growable byte buffer owned by C (free with `cnzoo_h5_buffer_free`).
typedef struct {
    uint8_t *bytes;
    size_t count;
    size_t capacity;
} cnzoo_h5_buffer;

/// How an isolated parse ended.
typedef enum {
    CNZOO_H5_OK = 0,            ///< the listing is in `out`
    CNZOO_H5_REFUSED = 1,       ///< the file was refused; `out` holds one 'E' record with the reason
    CNZOO_H5_CRASHED = 2,       ///< the child process died from a signal (`detail` = the signal number)
    CNZOO_H5_TIMED_OUT = 3,     ///< the child exceeded the deadline and was killed
    CNZOO_H5_SYSTEM = 4,        ///< fork/pipe/waitpid failed (`detail` = errno)
    CNZOO_H5_BAD_EXIT = 5,      ///< the child exited with an unexpected status (`detail` = the status)
    CNZOO_H5_OVERSIZED = 6,     ///< the child's listing exceeded `max_output` bytes
} cnzoo_h5_outcome;

/// Walks the HDF5 file held in memory (`image`, `size` bytes; opened with the core driver, nothing touches disk)
/// and appends a binary listing to `out`:
///   record := kind:u8 fields...; str := len:u32 bytes; u64 little-endian
///   'G' path                                          a group
///   'S' path name count:u32 str*count                 a string attribute (fixed or variable length)
///   'O' path name                                     any other attribute (not interpreted)
///   'D' path class:u8 size:u32 order:u8 rank:u32 dims:u64*rank layout:u8 offset:u64 storage:u64 nfilters:u32
///       filter:u32*nfilters                            a dataset (class 0 float, 1 signed, 2 unsigned;
///                                                     order 0 LE, 1 BE; layout 0 compact, 1 contiguous, 2 chunked)
///   'B' path count:u64 bytes                          a chunked or compact dataset's bytes, read by the library
///   'E' message                                       the walk refused the file (then the function returns -1)
/// Refuses soft and external links, external storage, virtual datasets, filters other than deflate and shuffle,
/// non-numeric datasets, and anything beyond `limits`. Runs in the calling process: use it only on bytes already
/// known to be safe for libhdf5, or inside `cnzoo_h5_index_isolated`.
int cnzoo_h5_index(const void *image, size_t size, const cnzoo_h5_limits *limits, cnzoo_h5_buffer *out);

/// Runs `cnzoo_h5_index` in a forked child process, so that a crash or hang inside libhdf5 on a malformed file
/// cannot take the caller down: the listing comes back through a pipe, bounded by `max_output` bytes and by
/// `timeout_ms`. Serialised with every other libhdf5 use in this process (`cnzoo_h5_lock`).
cnzoo_h5_outcome cnzoo_h5_index_isolated(const void *image, size_t size, const cnzoo_h5_limits *limits,
                                         int timeout_ms, size_t max_output, cnzoo_h5_buffer *out, int *detail);

/// Frees a buffer's bytes and empties it.
void cnzoo_h5_buffer_free(cnzoo_h5_buffer *buffer);

/// The process-wide lock around libhdf5 (a serial build, not thread-safe); held across fork.
void cnzoo_h5_lock(void);
void cnzoo_h5_unlock(void);

/// Writer: creates `path` (truncating), with object time tracking off so equal inputs give equal bytes, and link
/// creation order tracked (so a reader lists datasets in the order they were written).
/// Returns a file id, or a negative value. Call under `cnzoo_h5_lock`.
int64_t cnzoo_h5w_create(const char *path);
/// Creates the group `path` (absolute, parents must exist) and, when `name_attr` is not NULL, a scalar
/// variable-length UTF-8 string attribute `name` on it (what h5py writes). Returns 0 or -1.
int cnzoo_h5w_group(int64_t file, const char *path, const char *name_attr);
/// Creates a contiguous dataset `path` of little-endian floats (`element_size` 2, 4 or 8) or, with `is_bfloat16`,
/// of 16-bit unsigned integers carrying the attribute dtype="bfloat16" as Keras writes bf16, and writes `bytes`
/// (rank ≤ 32, `count` = the exact byte size). Returns 0 or -1.
int cnzoo_h5w_dataset(int64_t file, const char *path, int element_size, int is_bfloat16, int rank,
                      const uint64_t *dims, const void *bytes, size_t count);
/// Closes a file opened by `cnzoo_h5w_create`. Returns 0 or -1.
int cnzoo_h5w_close(int64_t file);
/// The message of the innermost libhdf5 error of the last failed writer call ("" when none).
const char *cnzoo_h5w_last_error(void);

#endif
