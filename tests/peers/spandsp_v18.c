/*
 * Test peer for relaygate's interop tests: spandsp's V.18 Annex A
 * (Weitbrecht TDD) modem, driven over plain raw files so the Rust side
 * owns every container format.
 *
 *   spandsp_v18 tx 45|50 OUT.raw   text on stdin  -> s16le 8 kHz mono samples
 *   spandsp_v18 rx 45|50 IN.raw    s16le samples  -> decoded text on stdout
 *
 * What the transmitter sends (libspandsp 0.0.6 as packaged in Debian 12,
 * checked by round trips and by looking at the bits):
 *   - lower case goes out as upper case letters;
 *   - '\n' is a bare LF and '\r' a bare CR: nothing is added, so the line
 *     carries exactly the line endings of the text given;
 *   - symbols missing from the US TTY set are substituted by its table
 *     (# -> $, & -> +, % -> /, * -> ., @ -> X), so test texts avoid them;
 *     bytes >= 0x80 are dropped here, as v18_put would read past the end
 *     of its 128-entry table;
 *   - a leading mark bit, then an explicit shift before the first
 *     character; a space never resets the shift, so "555 1234" goes out as
 *     FIGS 555 SPACE 1234 (minimodem, which unshifts on space, prints
 *     "555 QWER");
 *   - 2 stop bits per character, and no carrier after the last one.
 * The receiver only hands text to put_msg when the carrier drops (or after
 * 256 characters), so rx appends a second of silence before flushing.
 *
 * The internals are exposed only to watch the 128-byte transmit queue:
 * v18_put updates the shift state before it finds the queue full, so
 * overfilling it would lose shifts. Refilling before every sample keeps
 * the line busy until the text runs out.
 */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_RATE 8000
#define RX_BLOCK 160

static void usage(void)
{
    fprintf(stderr, "usage: spandsp_v18 tx|rx 45|50 FILE.raw\n");
    exit(2);
}

static void die(const char *what, const char *path)
{
    perror(path ? path : what);
    fprintf(stderr, "spandsp_v18: %s failed\n", what);
    exit(1);
}

/* Reads a whole stream; the caller frees the buffer. */
static unsigned char *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096;
    unsigned char *buf = malloc(cap);
    size_t n;

    *len = 0;
    if (buf == NULL)
        die("malloc", NULL);
    while ((n = fread(buf + *len, 1, cap - *len, f)) > 0) {
        *len += n;
        if (*len == cap) {
            cap *= 2;
            if ((buf = realloc(buf, cap)) == NULL)
                die("realloc", NULL);
        }
    }
    if (ferror(f))
        die("read", NULL);
    return buf;
}

static void put_sample(FILE *out, int16_t v)
{
    /* Little-endian regardless of the host. */
    unsigned char b[2] = { (unsigned char) (v & 0xFF), (unsigned char) ((v >> 8) & 0xFF) };

    if (fwrite(b, 1, 2, out) != 2)
        die("write", NULL);
}

static int tx(int mode, const char *path)
{
    size_t len;
    size_t pos = 0;
    unsigned char *text = slurp(stdin, &len);
    FILE *out = fopen(path, "wb");
    v18_state_t *s;

    if (out == NULL)
        die("open output", path);
    if ((s = v18_init(NULL, 1, mode, NULL, NULL)) == NULL)
        die("v18_init", NULL);
    for (;;) {
        int16_t amp;

        while (pos < len && queue_free_space(&s->queue.queue) >= 2) {
            char c = (char) text[pos++];

            if ((unsigned char) c < 0x80)
                v18_put(s, &c, 1);
        }
        if (!s->tx_signal_on)
            break;
        /* One sample at a time, so we see the exact sample where the queue
           ran dry: that sample starts the filler LTRS that v18 would cut
           short, and is not part of the message. */
        if (v18_tx(s, &amp, 1) != 1 || !s->tx_signal_on)
            break;
        put_sample(out, amp);
    }
    if (fclose(out) != 0)
        die("close output", path);
    v18_free(s);
    free(text);
    return 0;
}

static void put_msg(void *user_data, const uint8_t *msg, int len)
{
    (void) user_data;
    if (len > 0 && fwrite(msg, 1, (size_t) len, stdout) != (size_t) len)
        die("write stdout", NULL);
}

static int rx(int mode, const char *path)
{
    FILE *in = fopen(path, "rb");
    size_t nbytes;
    unsigned char *raw;
    int16_t block[RX_BLOCK];
    size_t nsamples;
    size_t i;
    int k = 0;
    v18_state_t *s;

    if (in == NULL)
        die("open input", path);
    raw = slurp(in, &nbytes);
    fclose(in);
    if ((s = v18_init(NULL, 0, mode, put_msg, NULL)) == NULL)
        die("v18_init", NULL);
    nsamples = nbytes / 2;
    for (i = 0; i < nsamples; i++) {
        block[k++] = (int16_t) (raw[2 * i] | (raw[2 * i + 1] << 8));
        if (k == RX_BLOCK) {
            v18_rx(s, block, k);
            k = 0;
        }
    }
    if (k > 0)
        v18_rx(s, block, k);
    /* Carrier loss is what makes v18 deliver the message. */
    memset(block, 0, sizeof(block));
    for (i = 0; i < SAMPLE_RATE / RX_BLOCK; i++)
        v18_rx(s, block, RX_BLOCK);
    if (fflush(stdout) != 0)
        die("flush stdout", NULL);
    v18_free(s);
    free(raw);
    return 0;
}

int main(int argc, char *argv[])
{
    int mode;

    if (argc != 4)
        usage();
    if (strcmp(argv[2], "45") == 0)
        mode = V18_MODE_5BIT_45;
    else if (strcmp(argv[2], "50") == 0)
        mode = V18_MODE_5BIT_50;
    else
        usage();
    if (strcmp(argv[1], "tx") == 0)
        return tx(mode, argv[3]);
    if (strcmp(argv[1], "rx") == 0)
        return rx(mode, argv[3]);
    usage();
    return 2;
}
