/*
 * The benchmark's in-guest workload (bench/run.mjs): integer hashing, a sort
 * and a little floating point, ~0.15 s natively. It prints one line,
 * "tabvm-bench done <hash> <pi>": the same on every engine, so the benchmark
 * also checks that each emulator computed the right answer.
 *
 * Built two ways from this one file:
 *   guest  `gcc -m32 -O2 -static -nostdlib -DTABVM_FREESTANDING` by `tabvm
 *          images prepare` into the initramfs as /bin/tabvm-bench: its own
 *          _start and Linux i386 system calls (int 0x80), no C library, so the
 *          binary holds only this code (Debian's static glibc and crt files
 *          carry ENDBR32 hint instructions, which would measure the C
 *          library's start-up rather than the emulator);
 *   native `gcc -m64 -O2` by bench/run.mjs (this host cannot run 32-bit code).
 */

#include <stdint.h>

#define COUNT (1u << 18)
#define ROUNDS 6
#define FP_STEPS 400000
#define DIGITS_SCALE 1000000.0 /* six decimal places */

#ifdef TABVM_FREESTANDING
#define SYS_EXIT 1
#define SYS_WRITE 4

static long sys3(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return ret;
}
static void put(const char *s, unsigned n) { sys3(SYS_WRITE, 1, (long)s, n); }
#else
#include <unistd.h>
static void put(const char *s, unsigned n) {
  if (write(1, s, n) < 0) _exit(1);
}
#endif

static uint32_t data[COUNT];
static uint32_t scratch[COUNT];

/* MurmurHash3's 32-bit finaliser: multiplies, shifts and xors. */
static uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* Bottom-up merge sort: loads, compares, branches and stores. */
static void sort(uint32_t *a, uint32_t *tmp, uint32_t n) {
  for (uint32_t width = 1; width < n; width *= 2) {
    for (uint32_t lo = 0; lo < n; lo += 2 * width) {
      uint32_t mid = lo + width < n ? lo + width : n;
      uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      uint32_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
      while (i < mid) tmp[k++] = a[i++];
      while (j < hi) tmp[k++] = a[j++];
    }
    uint32_t *t = a;
    a = tmp;
    tmp = t;
  }
  /* An odd number of passes left the result in the scratch buffer. */
  if (a != data)
    for (uint32_t i = 0; i < n; i++) data[i] = a[i];
}

static char *hex32(char *p, uint32_t v) {
  for (int s = 28; s >= 0; s -= 4) *p++ = "0123456789abcdef"[(v >> s) & 15];
  return p;
}

static char *decimal(char *p, uint32_t v) {
  char buf[10];
  int n = 0;
  do buf[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (n) *p++ = buf[--n];
  return p;
}

int main(void) {
  uint32_t digest = 2166136261u;
  for (uint32_t r = 0; r < ROUNDS; r++) {
    for (uint32_t i = 0; i < COUNT; i++) data[i] = mix(i * 2654435761u + r);
    sort(data, scratch, COUNT);
    for (uint32_t i = 0; i < COUNT; i += 64) digest = (digest ^ data[i]) * 16777619u;
  }
  /* Leibniz's series for pi/4: adds and divides, rounded to 6 places so x87
     (guest) and SSE (native) rounding agree. */
  double sum = 0;
  for (int k = 0; k < FP_STEPS; k++) sum += (k & 1 ? -1.0 : 1.0) / (2.0 * k + 1.0);
  uint32_t micro = (uint32_t)(4 * sum * DIGITS_SCALE + 0.5);
  char line[64], *p = line;
  for (const char *s = "tabvm-bench done "; *s; s++) *p++ = *s;
  p = hex32(p, digest);
  *p++ = ' ';
  p = decimal(p, micro / 1000000);
  *p++ = '.';
  uint32_t frac = micro % 1000000;
  for (uint32_t d = 100000; d; d /= 10) *p++ = (char)('0' + frac / d % 10);
  *p++ = '\n';
  put(line, (unsigned)(p - line));
  return 0;
}

#ifdef TABVM_FREESTANDING
/* The process entry: the kernel leaves argc/argv on the stack; neither is used. */
void _start(void) { sys3(SYS_EXIT, main(), 0, 0); }
#endif
