/*
 * Test peer for relaygate's DTMF tests: spandsp's DTMF generator and
 * detector (libspandsp 0.0.6 as packaged in Debian 12), over raw files so
 * the Rust side owns every container format.
 *
 *   spandsp_dtmf tx DIGITS LEVEL TWIST ON_MS OFF_MS OUT.raw
 *       DIGITS as tones -> s16le 8 kHz mono samples. LEVEL is the low
 *       tone's level in dBm0, TWIST how many dB the high tone is above it
 *       (spandsp's dtmf_tx_set_level); ON_MS and OFF_MS the timing.
 *   spandsp_dtmf rx IN.raw
 *       s16le 8 kHz samples -> the digits spandsp's detector hears, on
 *       stdout, with its default parameters (no filter for dial tone,
 *       8 dB normal and 4 dB reverse twist).
 */
#include <spandsp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 160

static void usage(void)
{
    fprintf(stderr, "usage: spandsp_dtmf tx DIGITS LEVEL TWIST ON_MS OFF_MS OUT.raw | rx IN.raw\n");
    exit(2);
}

static int tx(const char *digits, int level, int twist, int on_ms, int off_ms, const char *path)
{
    dtmf_tx_state_t *s = dtmf_tx_init(NULL);
    int16_t amp[BLOCK];
    FILE *out = fopen(path, "wb");
    int n;

    if (s == NULL || out == NULL) {
        perror(path);
        return 1;
    }
    dtmf_tx_set_level(s, level, twist);
    dtmf_tx_set_timing(s, on_ms, off_ms);
    if (dtmf_tx_put(s, digits, -1) != 0) {
        fprintf(stderr, "spandsp_dtmf: too many digits\n");
        return 1;
    }
    while ((n = dtmf_tx(s, amp, BLOCK)) > 0) {
        if (fwrite(amp, sizeof(int16_t), (size_t) n, out) != (size_t) n) {
            perror(path);
            return 1;
        }
    }
    /* A little silence after the last digit, as a line would carry. */
    memset(amp, 0, sizeof(amp));
    for (n = 0; n < 10; n++)
        fwrite(amp, sizeof(int16_t), BLOCK, out);
    fclose(out);
    dtmf_tx_free(s);
    return 0;
}

static int rx(const char *path)
{
    dtmf_rx_state_t *s = dtmf_rx_init(NULL, NULL, NULL);
    FILE *in = fopen(path, "rb");
    int16_t amp[BLOCK];
    char digits[128];
    size_t n;

    if (s == NULL || in == NULL) {
        perror(path);
        return 1;
    }
    while ((n = fread(amp, sizeof(int16_t), BLOCK, in)) > 0) {
        dtmf_rx(s, amp, (int) n);
        while ((n = dtmf_rx_get(s, digits, sizeof(digits) - 1)) > 0) {
            digits[n] = '\0';
            fputs(digits, stdout);
        }
    }
    /* Flush a digit still held at the end with silence. */
    memset(amp, 0, sizeof(amp));
    for (n = 0; n < 10; n++)
        dtmf_rx(s, amp, BLOCK);
    while ((n = dtmf_rx_get(s, digits, sizeof(digits) - 1)) > 0) {
        digits[n] = '\0';
        fputs(digits, stdout);
    }
    fclose(in);
    dtmf_rx_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 8 && strcmp(argv[1], "tx") == 0)
        return tx(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), argv[7]);
    if (argc == 3 && strcmp(argv[1], "rx") == 0)
        return rx(argv[2]);
    usage();
    return 2;
}
