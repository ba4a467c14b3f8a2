/*
 * fpu-reserved.c — what the host CPU writes into the reserved parts of the
 * x87 state images (the oracle for test/cpu/x87/fpu-system.test.ts, since
 * QEMU TCG differs from hardware there). Prints the 32-bit FNSTENV image
 * and the FXSAVE area (without REX.W: the 32-bit format's x87 part), each
 * written over memory filled with A5h, as hex bytes. The state (FNINIT,
 * FLD1, FLDPI) is the one images/tests/fpu/fpu.asm saves too.
 */
#include <stdio.h>
#include <string.h>

#define FILL 0xa5
#define ENV32_SIZE 28
#define FX_X87_BYTES 160 /* header and ST0-ST7 slots: same in 32- and 64-bit mode */

static void print(const char *name, const unsigned char *p, int n) {
  printf("%s", name);
  for (int i = 0; i < n; i++) printf(" %02x", p[i]);
  printf("\n");
}

int main(void) {
  static unsigned char env[32];
  static unsigned char fx[512] __attribute__((aligned(16)));
  memset(env, FILL, sizeof env);
  memset(fx, FILL, sizeof fx);
  __asm__ volatile("fninit; fld1; fldpi; fnstenv %0; fxsave %1; fninit" : "+m"(env), "+m"(fx));
  print("env32", env, ENV32_SIZE);
  print("fxsave", fx, FX_X87_BYTES);
  return 0;
}
