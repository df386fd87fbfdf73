#ifndef CNZOO_IMAGE_H
#define CNZOO_IMAGE_H
#include <stddef.h>
#include <stdint.h>

/// A decoded image: interleaved 8-bit RGB, `width * height * 3` bytes, rows top to bottom.
/// On failure `pixels` is NULL and `error` holds a NUL-terminated message.
typedef struct {
    uint8_t *pixels;
    int width;
    int height;
    char error[256];
} cnzoo_image;

/// Decodes a JPEG (baseline or progressive; grayscale, YCbCr, RGB, CMYK/YCCK) held in memory to RGB8.
/// Refuses images with more than `max_pixels` pixels. Returns 0 on success, -1 on failure (never exits or aborts).
int cnzoo_decode_jpeg(const uint8_t *data, size_t size, size_t max_pixels, cnzoo_image *out);

/// Decodes a PNG held in memory to RGB8: palette and low-bit-depth grayscale are expanded, 16-bit samples keep
/// their high byte, grayscale is replicated to RGB, alpha is dropped (not composited). Returns 0 or -1 as above.
int cnzoo_decode_png(const uint8_t *data, size_t size, size_t max_pixels, cnzoo_image *out);

/// Frees the pixels of a decoded image (safe on a failed or already freed one).
void cnzoo_image_free(cnzoo_image *image);

#endif
