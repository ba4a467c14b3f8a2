/* Runs the benchmark loop natively: the physical limit for the same instructions. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
extern unsigned bench_loop(unsigned iterations);
int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], 0, 10) : 1000000u;
  struct timespec a, b;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  unsigned r = bench_loop(n);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  printf("%.6f %u\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, r);
  return 0;
}
