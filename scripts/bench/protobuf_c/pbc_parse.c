/* Benchmark harness: parse a MindSpore .ckpt with protobuf-c generated code (libprotobuf-c), the design card's
 * original choice, so scripts/bench/ckpt_rw.py can compare it with cnzoo's hand-written wire reader.
 *
 *   pbc_parse whole FILE RUNS    read the file, checkpoint__unpack() the whole stream as one message
 *   pbc_parse records FILE RUNS  read the file, unpack one record (Checkpoint.Value) at a time
 *
 * Both copy tensor_content out of the input (protobuf-c unpacks bytes fields into their own allocations).
 * Prints `<mode> <seconds> <content bytes>` per run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "checkpoint.pb-c.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static size_t varint(const uint8_t *p, size_t n, uint64_t *out) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && i < 10; i++) {
    v |= (uint64_t)(p[i] & 0x7F) << (7 * i);
    if (!(p[i] & 0x80)) { *out = v; return i + 1; }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: pbc_parse whole|records FILE RUNS\n"); return 2; }
  int runs = atoi(argv[3]);
  for (int r = 0; r < runs; r++) {
    double t0 = now();
    FILE *f = fopen(argv[2], "rb");
    if (!f) { perror("open"); return 2; }
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n);
    if (fread(buf, 1, n, f) != n) { perror("read"); return 2; }
    fclose(f);
    if (n >= 17 && memcmp(buf + n - 17, "crc_num", 7) == 0) n -= 17;
    size_t content = 0;
    if (strcmp(argv[1], "whole") == 0) {
      Checkpoint *c = checkpoint__unpack(NULL, n, buf);
      if (!c) { fprintf(stderr, "unpack failed\n"); return 1; }
      for (size_t i = 0; i < c->n_value; i++)
        if (c->value[i]->tensor) content += c->value[i]->tensor->tensor_content.len;
      checkpoint__free_unpacked(c, NULL);
    } else {
      size_t pos = 0;
      while (pos < n) {
        uint64_t len;
        if (buf[pos] != 0x0A) { fprintf(stderr, "bad key at %zu\n", pos); return 1; }
        size_t k = varint(buf + pos + 1, n - pos - 1, &len);
        if (!k || len > n - pos - 1 - k) { fprintf(stderr, "bad length at %zu\n", pos); return 1; }
        Checkpoint__Value *v = (Checkpoint__Value *)protobuf_c_message_unpack(
            &checkpoint__value__descriptor, NULL, len, buf + pos + 1 + k);
        if (!v) { fprintf(stderr, "unpack failed at %zu\n", pos); return 1; }
        if (v->tensor) content += v->tensor->tensor_content.len;
        protobuf_c_message_free_unpacked(&v->base, NULL);
        pos += 1 + k + len;
      }
    }
    free(buf);
    printf("%s %.4f %zu\n", argv[1], now() - t0, content);
  }
  return 0;
}
