// libhdf5 access for the Keras format module: a bounded walk of an untrusted file (run in a forked child, see
// cnzoo_h5_index_isolated) and a small writer. Kept in C so the forked child runs no Swift runtime code, and because
// HDF5's type and property-list "constants" are macros.
#include "cnzoo_h5.h"

#include <errno.h>
#include <hdf5.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t h5_mutex = PTHREAD_MUTEX_INITIALIZER;
void cnzoo_h5_lock(void) { pthread_mutex_lock(&h5_mutex); }
void cnzoo_h5_unlock(void) { pthread_mutex_unlock(&h5_mutex); }

// MARK: - buffer

void cnzoo_h5_buffer_free(cnzoo_h5_buffer *b) {
    free(b->bytes);
    b->bytes = NULL;
    b->count = b->capacity = 0;
}

static int put(cnzoo_h5_buffer *b, const void *p, size_t n) {
    if (n > SIZE_MAX - b->count) return -1;
    if (b->count + n > b->capacity) {
        size_t cap = b->capacity ? b->capacity : 4096;
        while (cap < b->count + n) {
            if (cap > SIZE_MAX / 2) return -1;
            cap *= 2;
        }
        uint8_t *nb = realloc(b->bytes, cap);
        if (!nb) return -1;
        b->bytes = nb;
        b->capacity = cap;
    }
    if (n) memcpy(b->bytes + b->count, p, n);
    b->count += n;
    return 0;
}
static int put_u8(cnzoo_h5_buffer *b, uint8_t v) { return put(b, &v, 1); }
static int put_u32(cnzoo_h5_buffer *b, uint32_t v) {
    uint8_t x[4] = {v, v >> 8, v >> 16, v >> 24};
    return put(b, x, 4);
}
static int put_u64(cnzoo_h5_buffer *b, uint64_t v) {
    uint8_t x[8];
    for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
    return put(b, x, 8);
}
static int put_str(cnzoo_h5_buffer *b, const char *s, size_t n) {
    if (n > UINT32_MAX) return -1;
    return put_u32(b, (uint32_t)n) || put(b, s, n);
}

// MARK: - bounded walk

typedef struct {
    cnzoo_h5_buffer *out;
    const cnzoo_h5_limits *lim;
    uint32_t objects;
    uint64_t read_total;
    char error[512];
} walk;

static int refuse(walk *w, const char *fmt, ...) {
    if (w->error[0] == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->error, sizeof w->error, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int join(walk *w, char *dst, size_t cap, const char *parent, const char *name) {
    int n = parent[0] ? snprintf(dst, cap, "%s/%s", parent, name) : snprintf(dst, cap, "%s", name);
    if (n < 0 || (size_t)n >= cap) return refuse(w, "path under '%s' is too long", parent);
    return 0;
}

/// Reads one attribute; string attributes are emitted with their values, others by name only.
static int attribute(walk *w, hid_t a, const char *path, const char *name) {
    int rc = -1;
    hid_t t = H5Aget_type(a), s = H5Aget_space(a), mt = -1;
    char **vls = NULL;
    char *fixed = NULL;
    if (t < 0 || s < 0) { refuse(w, "%s: attribute '%s' is unreadable", path, name); goto done; }
    int rank = H5Sget_simple_extent_ndims(s);
    if (rank < 0 || (uint32_t)rank > w->lim->max_rank) { refuse(w, "%s: attribute '%s' has rank %d", path, name, rank); goto done; }
    hssize_t n = H5Sget_simple_extent_npoints(s);
    if (n < 0 || (uint64_t)n > w->lim->max_attribute_bytes) { refuse(w, "%s: attribute '%s' has %lld elements", path, name, (long long)n); goto done; }
    if (H5Tget_class(t) != H5T_STRING) {
        rc = put_u8(w->out, 'O') || put_str(w->out, path, strlen(path)) || put_str(w->out, name, strlen(name)) ? refuse(w, "out of memory") : 0;
        goto done;
    }
    if (put_u8(w->out, 'S') || put_str(w->out, path, strlen(path)) || put_str(w->out, name, strlen(name)) ||
        put_u32(w->out, (uint32_t)n)) { refuse(w, "out of memory"); goto done; }
    htri_t vl = H5Tis_variable_str(t);
    if (vl < 0) { refuse(w, "%s: attribute '%s' has a broken string type", path, name); goto done; }
    uint64_t total = 0;
    if (vl) {
        mt = H5Tcopy(H5T_C_S1);
        if (mt < 0 || H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Tset_cset(mt, H5Tget_cset(t)) < 0) { refuse(w, "string type"); goto done; }
        vls = calloc((size_t)n + 1, sizeof(char *));
        if (!vls) { refuse(w, "out of memory"); goto done; }
        if (H5Aread(a, mt, vls) < 0) { refuse(w, "%s: attribute '%s' cannot be read", path, name); goto done; }
        for (hssize_t i = 0; i < n; i++) {
            size_t len = vls[i] ? strnlen(vls[i], w->lim->max_attribute_bytes + 1) : 0;
            total += len;
            if (total > w->lim->max_attribute_bytes) { refuse(w, "%s: attribute '%s' is longer than %llu bytes", path, name, (unsigned long long)w->lim->max_attribute_bytes); goto done; }
            if (put_str(w->out, vls[i] ? vls[i] : "", len)) { refuse(w, "out of memory"); goto done; }
        }
    } else {
        size_t sz = H5Tget_size(t);
        if (sz == 0 || (uint64_t)n * sz > w->lim->max_attribute_bytes || (n > 0 && sz > w->lim->max_attribute_bytes / (uint64_t)n)) {
            refuse(w, "%s: attribute '%s' is larger than %llu bytes", path, name, (unsigned long long)w->lim->max_attribute_bytes);
            goto done;
        }
        fixed = calloc((size_t)n ? (size_t)n : 1, sz);
        if (!fixed) { refuse(w, "out of memory"); goto done; }
        if (n > 0 && H5Aread(a, t, fixed) < 0) { refuse(w, "%s: attribute '%s' cannot be read", path, name); goto done; }
        H5T_str_t pad = H5Tget_strpad(t);
        for (hssize_t i = 0; i < n; i++) {
            const char *p = fixed + (size_t)i * sz;
            size_t len = strnlen(p, sz);
            if (pad == H5T_STR_SPACEPAD) while (len > 0 && p[len - 1] == ' ') len--;
            if (put_str(w->out, p, len)) { refuse(w, "out of memory"); goto done; }
        }
    }
    rc = 0;
done:
    if (vls) {
        if (mt >= 0) H5Dvlen_reclaim(mt, s, H5P_DEFAULT, vls);
        free(vls);
    }
    free(fixed);
    if (mt >= 0) H5Tclose(mt);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    return rc;
}

static int attributes(walk *w, hid_t obj, const char *path) {
    H5O_info_t oi;
    if (H5Oget_info2(obj, &oi, H5O_INFO_NUM_ATTRS) < 0) return refuse(w, "%s: object header is unreadable", path);
    if (oi.num_attrs > w->lim->max_attributes) return refuse(w, "%s: %llu attributes (limit %u)", path, (unsigned long long)oi.num_attrs, w->lim->max_attributes);
    for (hsize_t i = 0; i < oi.num_attrs; i++) {
        hid_t a = H5Aopen_by_idx(obj, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT);
        if (a < 0) return refuse(w, "%s: attribute %llu is unreadable", path, (unsigned long long)i);
        ssize_t len = H5Aget_name(a, 0, NULL);
        if (len < 0 || (size_t)len > w->lim->max_name_bytes) { H5Aclose(a); return refuse(w, "%s: attribute name of %zd bytes", path, len); }
        char name[len + 1];
        H5Aget_name(a, (size_t)len + 1, name);
        int rc = attribute(w, a, path, name);
        H5Aclose(a);
        if (rc) return rc;
    }
    return 0;
}

/// Whether a float type is the standard IEEE layout for its size (so its bytes can be taken as they are).
static int standard_float(hid_t t, size_t sz) {
    size_t spos, epos, esize, mpos, msize;
    if (H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) < 0) return 0;
    if (H5Tget_precision(t) != sz * 8 || H5Tget_offset(t) != 0) return 0;
    size_t bias = H5Tget_ebias(t);
    switch (sz) {
        case 2: return spos == 15 && epos == 10 && esize == 5 && mpos == 0 && msize == 10 && bias == 15;
        case 4: return spos == 31 && epos == 23 && esize == 8 && mpos == 0 && msize == 23 && bias == 127;
        case 8: return spos == 63 && epos == 52 && esize == 11 && mpos == 0 && msize == 52 && bias == 1023;
        default: return 0;
    }
}

static int dataset(walk *w, hid_t d, const char *path) {
    int rc = -1;
    hid_t dcpl = -1, t = -1, s = -1;
    void *data = NULL;
    if (attributes(w, d, path)) return -1;
    if ((dcpl = H5Dget_create_plist(d)) < 0) { refuse(w, "%s: creation properties are unreadable", path); goto done; }
    H5D_layout_t layout = H5Pget_layout(dcpl);
    if (layout == H5D_VIRTUAL) { refuse(w, "%s: virtual datasets are refused", path); goto done; }
    if (layout != H5D_COMPACT && layout != H5D_CONTIGUOUS && layout != H5D_CHUNKED) { refuse(w, "%s: unknown layout %d", path, (int)layout); goto done; }
    int ext = H5Pget_external_count(dcpl);
    if (ext != 0) { refuse(w, "%s: external storage is refused", path); goto done; }
    int nf = H5Pget_nfilters(dcpl);
    if (nf < 0 || nf > 8) { refuse(w, "%s: %d filters", path, nf); goto done; }
    uint32_t filters[8];
    for (int i = 0; i < nf; i++) {
        unsigned flags = 0, conf = 0;
        size_t nelem = 0;
        H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nelem, NULL, 0, NULL, &conf);
        if (f != H5Z_FILTER_DEFLATE && f != H5Z_FILTER_SHUFFLE) { refuse(w, "%s: filter %d is refused (only deflate and shuffle are read)", path, (int)f); goto done; }
        filters[i] = (uint32_t)f;
    }
    if ((t = H5Dget_type(d)) < 0) { refuse(w, "%s: datatype is unreadable", path); goto done; }
    H5T_class_t cls = H5Tget_class(t);
    size_t sz = H5Tget_size(t);
    uint8_t kind;
    if (cls == H5T_FLOAT) {
        if (!standard_float(t, sz)) { refuse(w, "%s: a %zu-byte float that is not IEEE 754", path, sz); goto done; }
        kind = 0;
    } else if (cls == H5T_INTEGER) {
        if (sz != 1 && sz != 2 && sz != 4 && sz != 8) { refuse(w, "%s: a %zu-byte integer", path, sz); goto done; }
        if (H5Tget_precision(t) != sz * 8 || H5Tget_offset(t) != 0) { refuse(w, "%s: an integer with padding bits", path); goto done; }
        kind = H5Tget_sign(t) == H5T_SGN_2 ? 1 : 2;
    } else {
        refuse(w, "%s: datatype class %d is not numeric", path, (int)cls);
        goto done;
    }
    H5T_order_t order = H5Tget_order(t);
    if (order != H5T_ORDER_LE && order != H5T_ORDER_BE && sz > 1) { refuse(w, "%s: unsupported byte order", path); goto done; }
    if ((s = H5Dget_space(d)) < 0) { refuse(w, "%s: dataspace is unreadable", path); goto done; }
    H5S_class_t sc = H5Sget_simple_extent_type(s);
    if (sc != H5S_SIMPLE && sc != H5S_SCALAR) { refuse(w, "%s: null or unknown dataspace", path); goto done; }
    int rank = H5Sget_simple_extent_ndims(s);
    if (rank < 0 || (uint32_t)rank > w->lim->max_rank || rank > 32) { refuse(w, "%s: rank %d", path, rank); goto done; }
    hsize_t dims[32];
    if (rank > 0 && H5Sget_simple_extent_dims(s, dims, NULL) != rank) { refuse(w, "%s: dimensions are unreadable", path); goto done; }
    uint64_t elems = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] != 0 && elems > UINT64_MAX / dims[i]) { refuse(w, "%s: element count overflows", path); goto done; }
        elems *= dims[i];
    }
    if (elems > UINT64_MAX / sz) { refuse(w, "%s: byte count overflows", path); goto done; }
    uint64_t nbytes = elems * sz;
    haddr_t off = layout == H5D_CONTIGUOUS ? H5Dget_offset(d) : HADDR_UNDEF;
    hsize_t storage = H5Dget_storage_size(d);
    if (put_u8(w->out, 'D') || put_str(w->out, path, strlen(path)) || put_u8(w->out, kind) || put_u32(w->out, (uint32_t)sz) ||
        put_u8(w->out, order == H5T_ORDER_BE ? 1 : 0) || put_u32(w->out, (uint32_t)rank)) { refuse(w, "out of memory"); goto done; }
    for (int i = 0; i < rank; i++) if (put_u64(w->out, dims[i])) { refuse(w, "out of memory"); goto done; }
    if (put_u8(w->out, layout == H5D_COMPACT ? 0 : layout == H5D_CONTIGUOUS ? 1 : 2) ||
        put_u64(w->out, off == HADDR_UNDEF ? UINT64_MAX : (uint64_t)off) || put_u64(w->out, storage) || put_u32(w->out, (uint32_t)nf)) { refuse(w, "out of memory"); goto done; }
    for (int i = 0; i < nf; i++) if (put_u32(w->out, filters[i])) { refuse(w, "out of memory"); goto done; }
    if (layout != H5D_CONTIGUOUS) {
        // Read through the library: bounded per dataset, in total, and (for compressed data) by the stored size.
        if (nbytes > w->lim->max_read_bytes || nbytes > w->lim->max_total_read_bytes - w->read_total) {
            refuse(w, "%s: %llu bytes to decode exceed the read limit", path, (unsigned long long)nbytes);
            goto done;
        }
        if (nbytes > (16u << 20) && nbytes / 1100 > storage) { refuse(w, "%s: %llu bytes from %llu stored bytes (a compression bomb)", path, (unsigned long long)nbytes, (unsigned long long)storage); goto done; }
        w->read_total += nbytes;
        data = malloc(nbytes ? nbytes : 1);
        if (!data) { refuse(w, "out of memory"); goto done; }
        if (nbytes > 0 && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) { refuse(w, "%s: data cannot be read (corrupt chunk or filter failure)", path); goto done; }
        if (put_u8(w->out, 'B') || put_str(w->out, path, strlen(path)) || put_u64(w->out, nbytes) || put(w->out, data, nbytes)) { refuse(w, "out of memory"); goto done; }
    }
    rc = 0;
done:
    free(data);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    if (dcpl >= 0) H5Pclose(dcpl);
    return rc;
}

static int group(walk *w, hid_t g, const char *path, uint32_t depth) {
    if (depth > w->lim->max_depth) return refuse(w, "%s: groups nested deeper than %u", path, w->lim->max_depth);
    if (put_u8(w->out, 'G') || put_str(w->out, path, strlen(path))) return refuse(w, "out of memory");
    if (attributes(w, g, path)) return -1;
    // Links in creation order where the file tracks it (cnzoo's writer does), by name otherwise (h5py's default).
    H5_index_t order = H5_INDEX_NAME;
    hid_t gcpl = H5Gget_create_plist(g);
    unsigned crt = 0;
    if (gcpl >= 0) {
        if (H5Pget_link_creation_order(gcpl, &crt) >= 0 && (crt & H5P_CRT_ORDER_INDEXED)) order = H5_INDEX_CRT_ORDER;
        H5Pclose(gcpl);
    }
    H5G_info_t gi;
    if (H5Gget_info(g, &gi) < 0) return refuse(w, "%s: group is unreadable", path[0] ? path : "/");
    if (gi.nlinks > w->lim->max_objects) return refuse(w, "%s: %llu links (limit %u)", path, (unsigned long long)gi.nlinks, w->lim->max_objects);
    for (hsize_t i = 0; i < gi.nlinks; i++) {
        ssize_t len = H5Lget_name_by_idx(g, ".", order, H5_ITER_INC, i, NULL, 0, H5P_DEFAULT);
        if (len <= 0 || (size_t)len > w->lim->max_name_bytes) return refuse(w, "%s: link %llu has a name of %zd bytes", path, (unsigned long long)i, len);
        char name[len + 1];
        if (H5Lget_name_by_idx(g, ".", order, H5_ITER_INC, i, name, (size_t)len + 1, H5P_DEFAULT) != len) return refuse(w, "%s: link %llu is unreadable", path, (unsigned long long)i);
        if (strlen(name) != (size_t)len) return refuse(w, "%s: a link name contains a NUL byte", path);
        char child[8192];
        if (join(w, child, sizeof child, path, name)) return -1;
        if (++w->objects > w->lim->max_objects) return refuse(w, "more than %u objects", w->lim->max_objects);
        H5L_info_t li;
        if (H5Lget_info(g, name, &li, H5P_DEFAULT) < 0) return refuse(w, "%s: link is unreadable", child);
        if (li.type == H5L_TYPE_EXTERNAL) return refuse(w, "%s: external links are refused", child);
        if (li.type != H5L_TYPE_HARD) return refuse(w, "%s: soft and user-defined links are refused", child);
        hid_t o = H5Oopen(g, name, H5P_DEFAULT);
        if (o < 0) return refuse(w, "%s: object is unreadable", child);
        H5O_info_t oi;
        int rc;
        if (H5Oget_info2(o, &oi, H5O_INFO_BASIC) < 0) rc = refuse(w, "%s: object header is unreadable", child);
        else if (oi.type == H5O_TYPE_GROUP) rc = group(w, o, child, depth + 1);
        else if (oi.type == H5O_TYPE_DATASET) rc = dataset(w, o, child);
        else rc = refuse(w, "%s: object type %d is not a group or a dataset", child, (int)oi.type);
        H5Oclose(o);
        if (rc) return rc;
    }
    return 0;
}

int cnzoo_h5_index(const void *image, size_t size, const cnzoo_h5_limits *limits, cnzoo_h5_buffer *out) {
    walk w = {.out = out, .lim = limits};
    hid_t fapl = -1, f = -1, root = -1;
    int rc = -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (size == 0) { refuse(&w, "empty file"); goto done; }
    if ((fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0 || H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
        H5Pset_file_image(fapl, (void *)image, size) < 0) { refuse(&w, "libhdf5 cannot take the file image"); goto done; }
    if ((f = H5Fopen("cnzoo-image.h5", H5F_ACC_RDONLY, fapl)) < 0) { refuse(&w, "libhdf5 cannot open the file (bad superblock or root group)"); goto done; }
    if ((root = H5Gopen2(f, "/", H5P_DEFAULT)) < 0) { refuse(&w, "the root group is unreadable"); goto done; }
    rc = group(&w, root, "", 0);
done:
    if (root >= 0) H5Gclose(root);
    if (f >= 0) H5Fclose(f);
    if (fapl >= 0) H5Pclose(fapl);
    if (rc) {
        out->count = 0;
        if (put_u8(out, 'E') || put_str(out, w.error, strlen(w.error))) return -1;
    }
    return rc;
}

// MARK: - isolation

static long current_vm_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0;
    if (f) {
        if (fscanf(f, "%ld", &pages) != 1) pages = 0;
        fclose(f);
    }
    return pages * sysconf(_SC_PAGESIZE);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cnzoo_h5_outcome cnzoo_h5_index_isolated(const void *image, size_t size, const cnzoo_h5_limits *limits,
                                         int timeout_ms, size_t max_output, cnzoo_h5_buffer *out, int *detail) {
    int fds[2];
    *detail = 0;
    if (pipe(fds) != 0) { *detail = errno; return CNZOO_H5_SYSTEM; }
    // The child may allocate what it reads plus a copy of the image (the core driver copies it); bounded so a
    // hostile file cannot exhaust the machine from inside libhdf5.
    long vm = current_vm_bytes();
    rlim_t cap = (rlim_t)vm + 2 * (rlim_t)size + limits->max_total_read_bytes + ((rlim_t)1 << 30);
    cnzoo_h5_lock();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        struct rlimit rl = {cap, cap};
        if (vm > 0) setrlimit(RLIMIT_AS, &rl);
        signal(SIGPIPE, SIG_DFL);
        // A libhdf5 crash here is expected on hostile files and reported by the parent: die by the signal, without
        // the crash reporter the Swift runtime installed in the parent (it would print a backtrace to stderr).
        const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
        for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) signal(fatal[i], SIG_DFL);
        cnzoo_h5_buffer b = {0};
        int rc = cnzoo_h5_index(image, size, limits, &b);
        size_t off = 0;
        while (off < b.count) {
            ssize_t n = write(fds[1], b.bytes + off, b.count - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) _exit(4);
            off += (size_t)n;
        }
        _exit(rc == 0 ? 0 : 3);
    }
    int fork_errno = errno;
    cnzoo_h5_unlock();
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        *detail = fork_errno;
        return CNZOO_H5_SYSTEM;
    }
    cnzoo_h5_outcome outcome = CNZOO_H5_OK;
    int64_t deadline = now_ms() + timeout_ms;
    uint8_t chunk[65536];
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) { outcome = CNZOO_H5_TIMED_OUT; break; }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int pr = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
        if (pr < 0 && errno == EINTR) continue;
        if (pr < 0) { outcome = CNZOO_H5_SYSTEM; *detail = errno; break; }
        if (pr == 0) continue;
        ssize_t n = read(fds[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { outcome = CNZOO_H5_SYSTEM; *detail = errno; break; }
        if (n == 0) break;
        if (out->count + (size_t)n > max_output) { outcome = CNZOO_H5_OVERSIZED; break; }
        if (put(out, chunk, (size_t)n)) { outcome = CNZOO_H5_SYSTEM; *detail = ENOMEM; break; }
    }
    close(fds[0]);
    if (outcome != CNZOO_H5_OK) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            *detail = errno;
            return outcome == CNZOO_H5_OK ? CNZOO_H5_SYSTEM : outcome;
        }
    }
    if (outcome != CNZOO_H5_OK) return outcome;
    if (WIFSIGNALED(status)) { *detail = WTERMSIG(status); return CNZOO_H5_CRASHED; }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return CNZOO_H5_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) return CNZOO_H5_REFUSED;
    *detail = WIFEXITED(status) ? WEXITSTATUS(status) : status;
    return CNZOO_H5_BAD_EXIT;
}

// MARK: - writer

static char last_error[512];

static herr_t first_error(unsigned n, const H5E_error2_t *e, void *data) {
    (void)data;
    if (n == 0) snprintf(last_error, sizeof last_error, "%s: %s", e->func_name ? e->func_name : "?", e->desc ? e->desc : "?");
    return 0;
}

static int failed(void) {
    last_error[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, first_error, NULL);
    return -1;
}

const char *cnzoo_h5w_last_error(void) { return last_error; }

int64_t cnzoo_h5w_create(const char *path) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    last_error[0] = 0;
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl < 0 || H5Pset_obj_track_times(fcpl, 0) < 0 ||
        H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0) return failed();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    return f < 0 ? failed() : f;
}

static int string_attribute(hid_t obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a = -1;
    int rc = -1;
    if (t >= 0 && s >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_cset(t, H5T_CSET_UTF8) >= 0 &&
        (a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT)) >= 0 && H5Awrite(a, t, &value) >= 0) rc = 0;
    if (a >= 0) H5Aclose(a);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    return rc;
}

int cnzoo_h5w_group(int64_t file, const char *path, const char *name_attr) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl < 0 || H5Pset_obj_track_times(gcpl, 0) < 0 ||
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0) return failed();
    hid_t g = H5Gcreate2(file, path, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (g < 0) return failed();
    int rc = name_attr ? string_attribute(g, "name", name_attr) : 0;
    H5Gclose(g);
    return rc ? failed() : 0;
}

int cnzoo_h5w_dataset(int64_t file, const char *path, int element_size, int is_bfloat16, int rank,
                      const uint64_t *dims, const void *bytes, size_t count) {
    if (rank < 0 || rank > 32) { snprintf(last_error, sizeof last_error, "rank %d", rank); return -1; }
    hid_t t;
    if (is_bfloat16) t = H5Tcopy(H5T_STD_U16LE);
    else if (element_size == 4) t = H5Tcopy(H5T_IEEE_F32LE);
    else if (element_size == 8) t = H5Tcopy(H5T_IEEE_F64LE);
    else if (element_size == 2) {  // IEEE half, built the way h5py builds it
        t = H5Tcopy(H5T_IEEE_F32LE);
        if (t >= 0 && (H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 || H5Tset_ebias(t, 15) < 0)) {
            H5Tclose(t);
            return failed();
        }
    } else { snprintf(last_error, sizeof last_error, "element size %d", element_size); return -1; }
    if (t < 0) return failed();
    hsize_t hd[32];
    uint64_t elems = 1;
    for (int i = 0; i < rank; i++) { hd[i] = dims[i]; elems *= dims[i]; }
    if (elems * (uint64_t)(is_bfloat16 ? 2 : element_size) != count) {
        H5Tclose(t);
        snprintf(last_error, sizeof last_error, "%zu bytes for %llu elements", count, (unsigned long long)elems);
        return -1;
    }
    hid_t s = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, hd, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), d = -1;
    int rc = -1;
    if (s >= 0 && dcpl >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0 &&
        (d = H5Dcreate2(file, path, t, s, H5P_DEFAULT, dcpl, H5P_DEFAULT)) >= 0 &&
        (count == 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes) >= 0) &&
        (!is_bfloat16 || string_attribute(d, "dtype", "bfloat16") == 0)) rc = 0;
    if (rc) failed();
    if (d >= 0) H5Dclose(d);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (s >= 0) H5Sclose(s);
    H5Tclose(t);
    return rc;
}

int cnzoo_h5w_close(int64_t file) { return H5Fclose(file) < 0 ? failed() : 0; }
