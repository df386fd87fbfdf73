// JPEG and PNG decoding to RGB8 for `cnzoo verify --images`. Both libraries report fatal errors by longjmp, which
// Swift cannot host, so the setjmp frames live here and every failure becomes an error string.
#include "cnzoo_image.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

static void set_error(cnzoo_image *out, const char *prefix, const char *message) {
    snprintf(out->error, sizeof out->error, "%s%s", prefix, message);
}

void cnzoo_image_free(cnzoo_image *image) {
    if (image == NULL) return;
    free(image->pixels);
    image->pixels = NULL;
}

// ---- JPEG ---------------------------------------------------------------------------------------------------------

struct jpeg_failure {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int truncated;
};

static void jpeg_fail(j_common_ptr cinfo) {
    struct jpeg_failure *f = (struct jpeg_failure *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, f->message);
    longjmp(f->jump, 1);
}

// Warnings are not fatal (libjpeg recovers from stray bytes, as other decoders do), except premature end of data:
// the decoder would fill the rest of the image with gray and report success.
static void jpeg_message(j_common_ptr cinfo, int level) {
    struct jpeg_failure *f = (struct jpeg_failure *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        f->truncated = 1;
        (*cinfo->err->format_message)(cinfo, f->message);
    }
}

int cnzoo_decode_jpeg(const uint8_t *data, size_t size, size_t max_pixels, cnzoo_image *out) {
    memset(out, 0, sizeof *out);
    if (size > (size_t)0xFFFFFFFFu) { set_error(out, "JPEG: ", "file larger than 4 GiB"); return -1; }
    struct jpeg_decompress_struct cinfo;
    struct jpeg_failure failure;
    memset(&failure, 0, sizeof failure);
    cinfo.err = jpeg_std_error(&failure.base);
    failure.base.error_exit = jpeg_fail;
    failure.base.emit_message = jpeg_message;
    uint8_t *volatile pixels = NULL;
    uint8_t *volatile row = NULL;
    if (setjmp(failure.jump)) {
        set_error(out, "JPEG: ", failure.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t w = cinfo.output_width, h = cinfo.output_height;
    if (w == 0 || h == 0 || (max_pixels / w) < h) {
        char m[128];
        snprintf(m, sizeof m, "%zu×%zu pixels exceeds the limit of %zu pixels", w, h, max_pixels);
        set_error(out, "JPEG: ", m);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    pixels = malloc(w * h * 3);
    row = malloc(w * (size_t)cinfo.output_components);
    if (pixels == NULL || row == NULL) {
        set_error(out, "JPEG: ", "out of memory");
        jpeg_destroy_decompress(&cinfo);
        free(pixels); free(row);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t y = cinfo.output_scanline;
        JSAMPROW rows[1] = {row};
        if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) break;
        uint8_t *dst = pixels + y * w * 3;
        if (cmyk) {
            // Adobe writes CMYK inverted (and marks it); PIL reads such files inverted too. Then PIL's CMYK → RGB:
            // R = (255 − K) − (C·(255 − K) / 255), the division rounded as a·b/255 ≈ ((t >> 8) + t) >> 8, t = a·b + 128.
            int inverted = cinfo.saw_Adobe_marker;
            for (size_t x = 0; x < w; x++) {
                unsigned ink[4] = {row[4 * x], row[4 * x + 1], row[4 * x + 2], row[4 * x + 3]};
                if (inverted) for (int i = 0; i < 4; i++) ink[i] = 255 - ink[i];
                unsigned nk = 255 - ink[3];
                for (int i = 0; i < 3; i++) {
                    unsigned t = ink[i] * nk + 128;
                    dst[3 * x + i] = (uint8_t)(nk - (((t >> 8) + t) >> 8));
                }
            }
        } else {
            memcpy(dst, row, w * 3);
        }
    }
    if (failure.truncated) {
        set_error(out, "JPEG: truncated or corrupt data: ", failure.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels); free(row);
        return -1;
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    out->pixels = pixels;
    out->width = (int)w;
    out->height = (int)h;
    return 0;
}

// ---- PNG ----------------------------------------------------------------------------------------------------------

struct png_source {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char message[200];
};

static void png_read_memory(png_structp png, png_bytep dst, size_t length) {
    struct png_source *src = (struct png_source *)png_get_io_ptr(png);
    if (length > src->size - src->offset) png_error(png, "unexpected end of file");
    memcpy(dst, src->data + src->offset, length);
    src->offset += length;
}

static void png_fail(png_structp png, png_const_charp message) {
    struct png_source *src = (struct png_source *)png_get_error_ptr(png);
    snprintf(src->message, sizeof src->message, "%s", message);
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp message) { (void)png; (void)message; }

int cnzoo_decode_png(const uint8_t *data, size_t size, size_t max_pixels, cnzoo_image *out) {
    memset(out, 0, sizeof *out);
    struct png_source src = {data, size, 0, {0}};
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) { set_error(out, "PNG: ", "not a PNG signature"); return -1; }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_fail, png_warn);
    if (png == NULL) { set_error(out, "PNG: ", "cannot create decoder"); return -1; }
    png_infop info = png_create_info_struct(png);
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (info == NULL || setjmp(png_jmpbuf(png))) {
        set_error(out, "PNG: ", src.message[0] ? src.message : "cannot create decoder");
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        free(pixels);
        free(rows);
        return -1;
    }
    png_set_read_fn(png, &src, png_read_memory);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (w == 0 || h == 0 || (max_pixels / w) < h) {
        char m[128];
        snprintf(m, sizeof m, "%u×%u pixels exceeds the limit of %zu pixels", (unsigned)w, (unsigned)h, max_pixels);
        snprintf(src.message, sizeof src.message, "%s", m);
        png_longjmp(png, 1);
    }
    png_set_expand(png);          // palette → RGB, gray < 8 bits → 8 bits, tRNS → alpha
    png_set_strip_16(png);        // 16-bit samples keep their high byte
    png_set_strip_alpha(png);     // alpha is dropped, not composited
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3) {
        snprintf(src.message, sizeof src.message, "unexpected row layout after conversion to RGB8");
        png_longjmp(png, 1);
    }
    pixels = malloc((size_t)w * h * 3);
    rows = malloc(sizeof(png_bytep) * h);
    if (pixels == NULL || rows == NULL) {
        snprintf(src.message, sizeof src.message, "out of memory");
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = pixels + (size_t)y * w * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    out->pixels = pixels;
    out->width = (int)w;
    out->height = (int)h;
    return 0;
}
