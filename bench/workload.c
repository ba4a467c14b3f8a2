/*
 * The benchmark's in-guest workload (bench/run.mjs): integer hashing, a sort
 * and a little floating point, ~0.15 s natively. Built `gcc -m32 -O2 -static`
 * into the initramfs as /bin/tabvm-bench by `tabvm images prepare`, and
 * `gcc -m64 -O2` natively. It prints one line, "tabvm-bench done <hash>
 * <sum>": the same hash on every engine (the sort's result), so the
 * benchmark also checks that each emulator computed the right answer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define COUNT (1u << 18)
#define ROUNDS 4
#define FP_STEPS 400000

static uint32_t data[COUNT];

/* MurmurHash3's 32-bit finaliser: multiplies, shifts and xors. */
static uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static int compare(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

int main(void) {
  uint32_t digest = 2166136261u;
  for (unsigned r = 0; r < ROUNDS; r++) {
    for (uint32_t i = 0; i < COUNT; i++) data[i] = mix(i * 2654435761u + r);
    qsort(data, COUNT, sizeof data[0], compare);
    for (uint32_t i = 0; i < COUNT; i += 64) digest = (digest ^ data[i]) * 16777619u;
  }
  /* Leibniz's series for pi/4: adds and divides, printed to 6 places so x87
     (guest) and SSE (native) rounding agree. */
  double sum = 0;
  for (int k = 0; k < FP_STEPS; k++) sum += (k & 1 ? -1.0 : 1.0) / (2.0 * k + 1.0);
  printf("tabvm-bench done %08x %.6f\n", digest, 4 * sum);
  return 0;
}
