/*
 * x87-one.c — run one x87 instruction natively on given 80-bit operands, for
 * measuring the host's transcendentals against exact values (the evidence in
 * libm.test.ts and x87-random.test.ts). Not used by the tests.
 *
 *   gcc -O1 -o x87-one x87-one.c
 *   echo 'fyl2x 37f 4003:adf9ec919c864800 3fff:8000000000000000' | ./x87-one
 *
 * Input lines: OP FCW ST0 [ST1], values as sign/exponent:significand in hex
 * (ST1 defaults to 1.0). OP: fyl2x fyl2xp1 f2xm1 fscale frndint fmul fptan
 * fsin fpatan pow (gcc's x87 pow expansion, ST0 = y, ST1 = x). Output: the
 * two stack tops after the operation (after FYL2X/FYL2XP1/FPATAN/FMULP/pow,
 * which pop, a 1.0 is pushed so the result is the second) and FSW.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  uint64_t sig;
  uint16_t se;
} __attribute__((packed)) f80;

static f80 in0, in1, out0, out1;
static uint16_t cw, sw;

/* FNINIT, FLDCW, load ST1 then ST0, the instruction(s), FNSTSW, store both. */
#define OP(name, insn)                                                                      \
  static void name(void) {                                                                  \
    __asm__ volatile("fninit\n fldcw %4\n fldt %3\n fldt %2\n " insn                         \
                     "\n fnstsw %%ax\n mov %%ax,%1\n fstpt %0\n fstpt %5\n fninit"          \
                     : "=m"(out0), "=m"(sw)                                                 \
                     : "m"(in0), "m"(in1), "m"(cw), "m"(out1)                               \
                     : "ax", "memory");                                                     \
  }
OP(do_fyl2x, "fyl2x\n fld1")
OP(do_fyl2xp1, "fyl2xp1\n fld1")
OP(do_f2xm1, "f2xm1")
OP(do_fscale, "fscale")
OP(do_frndint, "frndint")
OP(do_fmul, "fmulp\n fld1")
OP(do_fptan, "fptan")
OP(do_fsin, "fsin")
OP(do_fpatan, "fpatan\n fld1")
/* fld1; fld st0; fxch st3; fyl2x; fmulp; fld st0; frndint; fsub st1,st0;
   fxch; f2xm1; faddp st2,st0; fxch; fscale; fstp st1 (gcc -O2 -ffast-math). */
OP(do_pow, ".byte 0xd9,0xe8,0xd9,0xc0,0xd9,0xcb,0xd9,0xf1,0xde,0xc9,0xd9,0xc0,0xd9,0xfc,0xdc,0xe9,"
           "0xd9,0xc9,0xd9,0xf0,0xde,0xc2,0xd9,0xc9,0xd9,0xfd,0xdd,0xd9\n fld1")

static const struct {
  const char *name;
  void (*run)(void);
} OPS[] = {
    {"fyl2x", do_fyl2x}, {"fyl2xp1", do_fyl2xp1}, {"f2xm1", do_f2xm1}, {"fscale", do_fscale},
    {"frndint", do_frndint}, {"fmul", do_fmul}, {"fptan", do_fptan}, {"fsin", do_fsin},
    {"fpatan", do_fpatan}, {"pow", do_pow},
};

static int parse(const char *s, f80 *v) {
  unsigned se;
  unsigned long long sig;
  if (sscanf(s, "%x:%llx", &se, &sig) != 2) return 0;
  v->se = (uint16_t)se;
  v->sig = sig;
  return 1;
}

int main(void) {
  char line[256], op[32], a[64], b[64];
  unsigned c;
  while (fgets(line, sizeof line, stdin)) {
    b[0] = 0;
    int n = sscanf(line, "%31s %x %63s %63s", op, &c, a, b);
    if (n < 3 || !parse(a, &in0)) continue;
    cw = (uint16_t)c;
    if (n < 4 || !parse(b, &in1)) {
      in1.se = 0x3fff;
      in1.sig = 0x8000000000000000ULL;
    }
    size_t i;
    for (i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
      if (!strcmp(op, OPS[i].name)) break;
    if (i == sizeof OPS / sizeof OPS[0]) {
      printf("?\n");
      continue;
    }
    OPS[i].run();
    printf("%04x:%016llx %04x:%016llx %04x\n", out0.se, (unsigned long long)out0.sig, out1.se,
           (unsigned long long)out1.sig, sw);
  }
  return 0;
}
