/*
 * The ls-qpack side of `benches/vs_lsqpack.rs`: encodes the corpus the bench
 * wrote, or decodes an encoding of it, timing the passes itself, so the C
 * library runs with nothing of ours in the loop. Built by
 * scripts/bench-qpack against the ls-qpack sources of the pylsqpack sdist
 * (never kept in this repository).
 *
 *   lsqpack_harness encode CORPUS OUT PASSES   -> "ns N bytes B" (median pass)
 *   lsqpack_harness decode ENCODED PASSES      -> "ns N fields F"
 *
 * CORPUS: u32 stories; per story u32 cases; per case u32 fields; per field
 * u32 name length, name, u32 value length, value (little endian).
 * ENCODED: u32 stories; per story u32 cases; per case u32 encoder-stream
 * length, its bytes (delivered before the section), u32 section length,
 * section, u32 fields.
 *
 * Settings: capacity 4096 and 100 blocked streams. The decoder side of the
 * encode pass is simulated the same way for both libraries: each section
 * that refers to the dynamic table is acknowledged at once, and an Insert
 * Count Increment covers the remaining inserts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lsqpack.h"
#include "lsxpack_header.h"

#define CAPACITY 4096
#define BLOCKED 100

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(1); }
    fseek(file, 0, SEEK_END);
    *len = (size_t)ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *data = malloc(*len);
    if (fread(data, 1, *len, file) != *len) { perror(path); exit(1); }
    fclose(file);
    return data;
}

static uint32_t u32(const unsigned char **at) {
    uint32_t value;
    memcpy(&value, *at, 4);
    *at += 4;
    return value;
}

/* CPU time of this thread: on a shared machine, wall time counts whatever
 * else runs; the Rust side measures the same way. */
static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Appends a prefix integer (RFC 7541 §5.1). */
static size_t put_int(unsigned char *dst, uint64_t value, int prefix_bits, unsigned char flags) {
    uint64_t max = (1u << prefix_bits) - 1;
    size_t n = 0;
    if (value < max) { dst[n++] = flags | (unsigned char)value; return n; }
    dst[n++] = flags | (unsigned char)max;
    value -= max;
    while (value >= 0x80) { dst[n++] = 0x80 | (value & 0x7f); value >>= 7; }
    dst[n++] = (unsigned char)value;
    return n;
}

static unsigned char enc_buf[1 << 16], head_buf[1 << 16], prefix_buf[32], xhdr_buf[1 << 16];

/* One pass over the corpus; writes the encoding to `out` when not NULL.
 * Returns the bytes of sections and encoder stream together. */
static uint64_t encode_pass(const unsigned char *corpus, FILE *out) {
    const unsigned char *at = corpus;
    uint32_t stories = u32(&at);
    uint64_t total = 0;
    if (out) fwrite(&stories, 4, 1, out);
    for (uint32_t story = 0; story < stories; story++) {
        struct lsqpack_enc enc;
        unsigned char tsu[LSQPACK_LONGEST_SDTC];
        size_t tsu_len = sizeof(tsu);
        lsqpack_enc_preinit(&enc, NULL);
        if (lsqpack_enc_init(&enc, NULL, CAPACITY, CAPACITY, BLOCKED, LSQPACK_ENC_OPT_STAGE_2, tsu, &tsu_len)) {
            fprintf(stderr, "lsqpack_enc_init failed\n"); exit(1);
        }
        total += tsu_len;
        uint32_t cases = u32(&at);
        if (out) fwrite(&cases, 4, 1, out);
        for (uint32_t number = 0; number < cases; number++) {
            uint64_t stream_id = 4 * (uint64_t)number;
            size_t enc_off = 0, head_off = 0;
            if (number == 0 && tsu_len) { memcpy(enc_buf, tsu, tsu_len); enc_off = tsu_len; }
            lsqpack_enc_start_header(&enc, stream_id, 0);
            uint32_t fields = u32(&at);
            for (uint32_t field = 0; field < fields; field++) {
                uint32_t name_len = u32(&at);
                const unsigned char *name = at; at += name_len;
                uint32_t value_len = u32(&at);
                const unsigned char *value = at; at += value_len;
                memcpy(xhdr_buf, name, name_len);
                memcpy(xhdr_buf + name_len, value, value_len);
                struct lsxpack_header xhdr;
                lsxpack_header_set_offset2(&xhdr, (char *)xhdr_buf, 0, name_len, name_len, value_len);
                size_t enc_len = sizeof(enc_buf) - enc_off, head_len = sizeof(head_buf) - head_off;
                if (lsqpack_enc_encode(&enc, enc_buf + enc_off, &enc_len, head_buf + head_off, &head_len, &xhdr, 0) != LQES_OK) {
                    fprintf(stderr, "lsqpack_enc_encode failed\n"); exit(1);
                }
                enc_off += enc_len;
                head_off += head_len;
            }
            ssize_t prefix_len = lsqpack_enc_end_header(&enc, prefix_buf, sizeof(prefix_buf), NULL);
            if (prefix_len <= 0) { fprintf(stderr, "lsqpack_enc_end_header failed\n"); exit(1); }
            total += enc_off + (size_t)prefix_len + head_off;
            if (out) {
                uint32_t len = (uint32_t)enc_off;
                fwrite(&len, 4, 1, out); fwrite(enc_buf, 1, enc_off, out);
                len = (uint32_t)(prefix_len + head_off);
                fwrite(&len, 4, 1, out); fwrite(prefix_buf, 1, (size_t)prefix_len, out); fwrite(head_buf, 1, head_off, out);
                fwrite(&fields, 4, 1, out);
            }
            /* The simulated decoder: acknowledge, then confirm the rest. */
            unsigned char feedback[32];
            size_t feedback_len = 0;
            if (prefix_buf[0] != 0) feedback_len += put_int(feedback, stream_id, 7, 0x80);
            if (feedback_len && lsqpack_enc_decoder_in(&enc, feedback, feedback_len)) {
                fprintf(stderr, "section acknowledgment refused\n"); exit(1);
            }
            if (enc.qpe_ins_count > enc.qpe_max_acked_id) {
                feedback_len = put_int(feedback, enc.qpe_ins_count - enc.qpe_max_acked_id, 6, 0x00);
                if (lsqpack_enc_decoder_in(&enc, feedback, feedback_len)) {
                    fprintf(stderr, "insert count increment refused\n"); exit(1);
                }
            }
        }
        lsqpack_enc_cleanup(&enc);
    }
    return total;
}

struct block {
    const unsigned char *data;
    size_t len;
    const unsigned char *cursor;
    struct lsxpack_header xhdr;
    char buffer[1 << 16];
    uint64_t fields;
};

static struct lsxpack_header *prepare_decode(void *ctx, struct lsxpack_header *xhdr, size_t space) {
    struct block *block = ctx;
    if (space > sizeof(block->buffer)) return NULL;
    if (xhdr) { xhdr->val_len = (lsxpack_strlen_t)space; return xhdr; }
    lsxpack_header_prepare_decode(&block->xhdr, block->buffer, 0, space);
    return &block->xhdr;
}

static int process_header(void *ctx, struct lsxpack_header *xhdr) {
    struct block *block = ctx;
    (void)xhdr;
    block->fields++;
    return 0;
}

static void unblocked(void *ctx) { (void)ctx; }

static const struct lsqpack_dec_hset_if callbacks = {
    .dhi_unblocked = unblocked,
    .dhi_prepare_decode = prepare_decode,
    .dhi_process_header = process_header,
};

static struct block block;

/* One pass; returns the fields decoded. */
static uint64_t decode_pass(const unsigned char *encoded) {
    const unsigned char *at = encoded;
    uint32_t stories = u32(&at);
    uint64_t fields = 0;
    unsigned char dec_buf[64];
    for (uint32_t story = 0; story < stories; story++) {
        struct lsqpack_dec dec;
        lsqpack_dec_init(&dec, NULL, CAPACITY, BLOCKED, &callbacks, 0);
        uint32_t cases = u32(&at);
        for (uint32_t number = 0; number < cases; number++) {
            uint32_t enc_len = u32(&at);
            if (enc_len && lsqpack_dec_enc_in(&dec, at, enc_len)) {
                fprintf(stderr, "encoder stream refused\n"); exit(1);
            }
            at += enc_len;
            uint32_t len = u32(&at);
            block.data = at; block.len = len; block.cursor = at; block.fields = 0;
            at += len;
            size_t dec_len = sizeof(dec_buf);
            enum lsqpack_read_header_status status = lsqpack_dec_header_in(
                &dec, &block, 4 * (uint64_t)number, len, &block.cursor, len, dec_buf, &dec_len);
            uint32_t expected = u32(&at);
            if (status != LQRHS_DONE || block.fields != expected) {
                fprintf(stderr, "section %u of story %u: status %d, %lu fields of %u\n",
                        number, story, status, (unsigned long)block.fields, expected);
                exit(1);
            }
            fields += block.fields;
        }
        lsqpack_dec_cleanup(&dec);
    }
    return fields;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "encode") == 0) {
        size_t len;
        unsigned char *corpus = read_file(argv[2], &len);
        FILE *out = fopen(argv[3], "wb");
        if (!out) { perror(argv[3]); return 1; }
        uint64_t bytes = encode_pass(corpus, out);
        fclose(out);
        int passes = atoi(argv[4]);
        uint64_t *times = calloc((size_t)passes, sizeof(uint64_t));
        for (int pass = 0; pass < passes; pass++) {
            uint64_t start = now_ns();
            encode_pass(corpus, NULL);
            times[pass] = now_ns() - start;
        }
        qsort(times, (size_t)passes, sizeof(uint64_t), compare);
        printf("ns %llu bytes %llu\n", (unsigned long long)times[passes / 2], (unsigned long long)bytes);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "decode") == 0) {
        size_t len;
        unsigned char *encoded = read_file(argv[2], &len);
        int passes = atoi(argv[3]);
        uint64_t fields = decode_pass(encoded);
        uint64_t *times = calloc((size_t)passes, sizeof(uint64_t));
        for (int pass = 0; pass < passes; pass++) {
            uint64_t start = now_ns();
            decode_pass(encoded);
            times[pass] = now_ns() - start;
        }
        qsort(times, (size_t)passes, sizeof(uint64_t), compare);
        printf("ns %llu fields %llu\n", (unsigned long long)times[passes / 2], (unsigned long long)fields);
        return 0;
    }
    fprintf(stderr, "usage: %s encode CORPUS OUT PASSES | decode ENCODED PASSES\n", argv[0]);
    return 2;
}
