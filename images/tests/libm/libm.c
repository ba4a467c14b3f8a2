/*
 * libm.c — the "libm program" of issue 3: sin, cos, tan, exp, log, pow and
 * atan2 over a few thousand arguments, printed as hex bit patterns, once
 * through the x87 transcendental instructions and once through SSE2 code.
 *
 * One source, built twice (see build.mjs):
 *   - gcc -m32 as a Multiboot kernel for tabvm (-DTABVM_KERNEL: COM1
 *     output, CR0/CR4 set up for x87 + SSE, exit through port 0xf4);
 *   - gcc -m64 as a static native Linux program (write(2) to stdout).
 * Why not "the same -m32 binary natively": this host cannot execute 32-bit
 * code at all (execve of ELF32 fails with ENOEXEC; far calls to 32-bit code
 * segments take #GP: it is a PVM guest). The two builds run the same
 * instruction semantics instead: the math is either x87 (identical in both
 * modes) or scalar SSE2 double arithmetic (identical in both modes).
 *
 * Each build compiles this file three times (PART_DRIVER, PART_X87,
 * PART_SSE) with different flags:
 *   - PART_X87: -mfpmath=387 -ffast-math, long double: gcc expands the
 *     __builtin_*l calls inline to FSIN, FCOS, FPTAN, FPATAN, FYL2X, F2XM1,
 *     FSCALE and FRNDINT (no libm: the link would fail on any call left);
 *   - PART_SSE: -mfpmath=sse -ffp-contract=off: textbook range reduction +
 *     polynomial implementations written for this test (Cody-Waite
 *     reduction, Taylor/atanh series), exact IEEE double operations only;
 *   - PART_DRIVER: argument generation and printing (integer code).
 * Parts talk through pointers so that no double crosses the -m32 ABI in
 * ST(0).
 *
 * Output lines: "<path> <fn> <arg> [<arg2>] <result>" where path is S
 * (SSE, double result), X (x87 result rounded to double) or L (x87 result
 * in all 80 bits: SEEE:significand).
 */

typedef unsigned int u32;
typedef unsigned long long u64;

/* exp overflows above EXP_MAX and is 0 below EXP_MIN. */
#define EXP_MAX 709.782712893383973096
#define EXP_MIN -745.133219101941108420

enum { FN_SIN, FN_COS, FN_TAN, FN_EXP, FN_LOG, FN_POW, FN_ATAN2, FN_COUNT };

void x87_eval(int fn, const double *a, const double *b, long double *out);
void sse_eval(int fn, const double *a, const double *b, double *out);

static inline double from_bits(u64 v) {
  union {
    u64 u;
    double d;
  } c;
  c.u = v;
  return c.d;
}

static inline u64 to_bits(double d) {
  union {
    u64 u;
    double d;
  } c;
  c.d = d;
  return c.u;
}

/* ------------------------------------------------------------------ x87 */
#ifdef PART_X87

void x87_eval(int fn, const double *a, const double *b, long double *out) {
  long double x = *a;
  long double y = *b;
  long double r;
  switch (fn) {
    case FN_SIN:
      r = __builtin_sinl(x);
      break;
    case FN_COS:
      r = __builtin_cosl(x);
      break;
    case FN_TAN:
      r = __builtin_tanl(x);
      break;
    case FN_EXP:
      r = __builtin_expl(x);
      break;
    case FN_LOG:
      r = __builtin_logl(x);
      break;
    case FN_POW:
      /* x^y = 2^(y log2 x): FYL2X, then FRNDINT/F2XM1/FSCALE. */
      r = __builtin_exp2l(y * __builtin_log2l(x));
      break;
    default:
      r = __builtin_atan2l(x, y);
      break;
  }
  *out = r;
}

#endif

/* ------------------------------------------------------------------ SSE */
#ifdef PART_SSE

static const double LN2_HI = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
static const double LN2_LO = 1.90821492927058770002e-10; /* 0x3dea39ef35793c76 */
static const double INV_LN2 = 1.44269504088896338700e+00;
/* pi/2 in three parts (Cody-Waite), each with trailing zero bits. */
static const double PIO2_1 = 1.57079632673412561417e+00;
static const double PIO2_2 = 6.07710050650619224932e-11;
static const double PIO2_3 = 2.02226624879595063154e-21;
static const double INV_PIO2 = 6.36619772367581382433e-01;
static const double PI = 3.14159265358979311600e+00;
static const double PI_4 = 7.85398163397448278999e-01;
static const double TAN_PI_8 = 4.14213562373095145475e-01;
static const double SQRT2 = 1.41421356237309514547e+00;

#define EXP_BIAS 1023
#define EXP_MASK 0x7ffULL
#define FRAC_BITS 52
#define FRAC_MASK ((1ULL << FRAC_BITS) - 1)
#define TAYLOR_TERMS 14
#define ATAN_TERMS 24
#define ATANH_TERMS 12

static int is_nan(double x) { return x != x; }

static double nearest(double x) { return __builtin_floor(x + 0.5); }

/* 2^k for -1022 <= k <= 1023. */
static double pow2(int k) { return from_bits((u64)(k + EXP_BIAS) << FRAC_BITS); }

/* x * 2^k without losing the denormal range: two exact steps. */
static double scale(double x, int k) {
  int k1 = k / 2;
  return x * pow2(k1) * pow2(k - k1);
}

/* Reduce x to r in [-pi/4, pi/4], x = r + q pi/2; returns q mod 4. */
static int reduce(double x, double *r) {
  double k = nearest(x * INV_PIO2);
  *r = ((x - k * PIO2_1) - k * PIO2_2) - k * PIO2_3;
  double q = k - 4.0 * __builtin_floor(k * 0.25);
  return (int)q & 3;
}

/* sin r and cos r for |r| <= pi/4: Taylor series in Horner form. */
static double sin_poly(double r) {
  double z = r * r;
  double p = 0.0;
  double term = 1.0;
  double coef[TAYLOR_TERMS / 2];
  for (int i = 0; i < TAYLOR_TERMS / 2; i++) {
    coef[i] = term;
    term = -term / (double)((2 * i + 2) * (2 * i + 3));
  }
  for (int i = TAYLOR_TERMS / 2 - 1; i >= 1; i--) p = (p + coef[i]) * z;
  return r + r * p;
}

static double cos_poly(double r) {
  double z = r * r;
  double p = 0.0;
  double term = 1.0;
  double coef[TAYLOR_TERMS / 2];
  for (int i = 0; i < TAYLOR_TERMS / 2; i++) {
    coef[i] = term;
    term = -term / (double)((2 * i + 1) * (2 * i + 2));
  }
  for (int i = TAYLOR_TERMS / 2 - 1; i >= 1; i--) p = (p + coef[i]) * z;
  return 1.0 + p;
}

static double s_sin(double x) {
  double r;
  if (is_nan(x) || x - x != 0.0) return x - x;
  int q = reduce(x, &r);
  double v = (q & 1) ? cos_poly(r) : sin_poly(r);
  return (q & 2) ? -v : v;
}

static double s_cos(double x) {
  double r;
  if (is_nan(x) || x - x != 0.0) return x - x;
  int q = reduce(x, &r);
  double v = (q & 1) ? sin_poly(r) : cos_poly(r);
  return ((q + 1) & 2) ? -v : v;
}

static double s_tan(double x) {
  double r;
  if (is_nan(x) || x - x != 0.0) return x - x;
  int q = reduce(x, &r);
  double s = sin_poly(r);
  double c = cos_poly(r);
  return (q & 1) ? -c / s : s / c;
}

static double s_exp(double x) {
  if (is_nan(x)) return x + x;
  if (x > EXP_MAX) return pow2(1023) * pow2(1023);
  if (x < EXP_MIN) return pow2(-1022) * pow2(-1022);
  double k = nearest(x * INV_LN2);
  double r = (x - k * LN2_HI) - k * LN2_LO;
  double p = 1.0;
  for (int i = TAYLOR_TERMS; i >= 1; i--) p = 1.0 + p * r / (double)i;
  return scale(p, (int)k);
}

static double s_log(double x) {
  u64 b = to_bits(x);
  if (is_nan(x)) return x + x;
  if (x < 0.0) return (x - x) / (x - x);
  if (x == 0.0) return -1.0 / x * x - 1.0 / (x * x);
  if (x - x != 0.0) return x;
  int e = (int)((b >> FRAC_BITS) & EXP_MASK);
  if (e == 0) {
    /* Denormal: normalize by 2^54. */
    b = to_bits(x * pow2(54));
    e = (int)((b >> FRAC_BITS) & EXP_MASK) - 54;
  }
  e -= EXP_BIAS;
  double m = from_bits((b & FRAC_MASK) | ((u64)EXP_BIAS << FRAC_BITS));
  if (m > SQRT2) {
    m *= 0.5;
    e++;
  }
  /* log m = 2 atanh(f), f = (m - 1) / (m + 1), |f| < 0.172. */
  double f = (m - 1.0) / (m + 1.0);
  double s = f * f;
  double p = 0.0;
  for (int i = ATANH_TERMS; i >= 1; i--) p = (p + 1.0 / (double)(2 * i + 1)) * s;
  double lm = 2.0 * f + 2.0 * f * p;
  double de = (double)e;
  return de * LN2_HI + (de * LN2_LO + lm);
}

static double s_pow(double x, double y) {
  if (y == 0.0) return 1.0;
  /* One NaN at a time: for x + y the compiler may pick either operand order
   * and SSE returns the first operand's NaN. */
  if (is_nan(x)) return x + x;
  if (is_nan(y)) return y + y;
  if (x < 0.0) {
    if (__builtin_floor(y) != y) return (x - x) / (x - x);
    double half = y * 0.5;
    double r = s_exp(y * s_log(-x));
    return __builtin_floor(half) != half ? -r : r;
  }
  return s_exp(y * s_log(x));
}

/* atan t for 0 <= t <= 1. */
static double atan_unit(double t) {
  double base = 0.0;
  if (t > TAN_PI_8) {
    base = PI_4;
    t = (t - 1.0) / (t + 1.0);
  }
  double z = t * t;
  double p = 0.0;
  for (int i = ATAN_TERMS; i >= 1; i--) {
    double c = 1.0 / (double)(2 * i + 1);
    p = ((i & 1) ? p - c : p + c) * z;
  }
  return base + (t + t * p);
}

static double s_atan2(double y, double x) {
  if (is_nan(y)) return y + y;
  if (is_nan(x)) return x + x;
  double ay = __builtin_fabs(y);
  double ax = __builtin_fabs(x);
  int neg_x = (to_bits(x) >> 63) != 0;
  double a;
  if (ay == 0.0) {
    a = neg_x ? PI : 0.0;
  } else if (ax == 0.0) {
    a = PI * 0.5;
  } else if (ax - ax != 0.0 && ay - ay != 0.0) {
    a = neg_x ? 3.0 * PI_4 : PI_4;
  } else {
    if (ay <= ax) a = atan_unit(ay / ax);
    else a = PI * 0.5 - atan_unit(ax / ay);
    if (neg_x) a = PI - a;
  }
  return (to_bits(y) >> 63) ? -a : a;
}

void sse_eval(int fn, const double *a, const double *b, double *out) {
  double x = *a;
  double y = *b;
  double r;
  switch (fn) {
    case FN_SIN:
      r = s_sin(x);
      break;
    case FN_COS:
      r = s_cos(x);
      break;
    case FN_TAN:
      r = s_tan(x);
      break;
    case FN_EXP:
      r = s_exp(x);
      break;
    case FN_LOG:
      r = s_log(x);
      break;
    case FN_POW:
      r = s_pow(x, y);
      break;
    default:
      r = s_atan2(x, y);
      break;
  }
  *out = r;
}

#endif

/* --------------------------------------------------------------- driver */
#ifdef PART_DRIVER

#define RANDOM_ARGS 480
#define OUT_SIZE (1 << 20)

static const char *const FN_NAMES[FN_COUNT] = {"sin", "cos", "tan", "exp", "log", "pow", "atan2"};

/* Platform shim: put bytes out, and leave. */
#ifdef TABVM_KERNEL

#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20
#define DEBUG_EXIT_PORT 0xf4

static inline void outb(unsigned short port, unsigned char v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline unsigned char inb(unsigned short port) {
  unsigned char v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static void emit(const char *s, int n) {
  for (int i = 0; i < n; i++) {
    while ((inb(COM1_LSR) & LSR_THRE) == 0) {
    }
    outb(COM1, (unsigned char)s[i]);
  }
}

static void leave(void) {
  outb(DEBUG_EXIT_PORT, 0);
  for (;;) __asm__ volatile("cli; hlt");
}

/*
 * Multiboot v1 header (flags 0: the loader uses the ELF program headers)
 * and the entry: 32-bit protected mode, paging off. Before any C code runs,
 * enable the FPU and SSE the way an OS does: CR0.EM=0, MP=1, NE=1, TS=0;
 * CR4.OSFXSR and OSXMMEXCPT; FNINIT (FCW 0x37f) and MXCSR 0x1f80, the
 * same state a Linux process starts with.
 */
__asm__(
    ".section .multiboot, \"a\"\n"
    ".align 4\n"
    ".long 0x1BADB002, 0, -0x1BADB002\n"
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    "  cli\n"
    "  mov $stack_top, %esp\n"
    "  mov %cr0, %eax\n"
    "  and $~0x0c, %eax\n" /* EM (bit 2), TS (bit 3) */
    "  or $0x22, %eax\n"   /* MP (bit 1), NE (bit 5) */
    "  mov %eax, %cr0\n"
    "  mov %cr4, %eax\n"
    "  or $0x600, %eax\n" /* OSFXSR (bit 9), OSXMMEXCPT (bit 10) */
    "  mov %eax, %cr4\n"
    "  fninit\n"
    "  push $0x1f80\n"
    "  ldmxcsr (%esp)\n"
    "  add $4, %esp\n"
    "  call main\n"
    "1: hlt\n"
    "  jmp 1b\n"
    ".bss\n"
    ".align 16\n"
    "  .skip 65536\n"
    "stack_top:\n"
    ".text\n");

#elif defined(USE_LIBC)

/* Information only (build.mjs --libc32): a static -m32 glibc build for
 * qemu-i386-static or a Linux guest. */
#include <unistd.h>

static void emit(const char *s, int n) {
  while (n > 0) {
    ssize_t k = write(1, s, (size_t)n);
    if (k <= 0) break;
    s += k;
    n -= (int)k;
  }
}

static void leave(void) { _exit(0); }

#else

static char out_buf[OUT_SIZE];
static int out_len;

static long sys3(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}

#define SYS_WRITE 1
#define SYS_EXIT 60
#define STDOUT 1

static void flush(void) {
  int done = 0;
  while (done < out_len) {
    long n = sys3(SYS_WRITE, STDOUT, (long)(out_buf + done), out_len - done);
    if (n <= 0) break;
    done += (int)n;
  }
  out_len = 0;
}

static void emit(const char *s, int n) {
  for (int i = 0; i < n; i++) {
    if (out_len == OUT_SIZE) flush();
    out_buf[out_len++] = s[i];
  }
}

static void leave(void) {
  flush();
  sys3(SYS_EXIT, 0, 0, 0);
  for (;;) {
  }
}

__asm__(
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    "  xor %ebp, %ebp\n"
    "  and $-16, %rsp\n"
    "  call main\n"
    "  hlt\n");

#endif

static void put_str(const char *s) {
  int n = 0;
  while (s[n]) n++;
  emit(s, n);
}

static void put_hex(u64 v, int digits) {
  char buf[16];
  for (int i = digits - 1; i >= 0; i--) {
    buf[i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  }
  emit(buf, digits);
}

/* xorshift64: reproducible arguments. */
static u64 rng_state = 0x9e3779b97f4a7c15ULL;
static u64 rng(void) {
  u64 x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  rng_state = x;
  return x;
}

static u32 rng_below(u32 n) { return (u32)(rng() >> 33) % n; }

/* A double with a random significand, sign and exponent in [lo, hi]. */
static double rand_exp(int lo, int hi, int negative_ok) {
  u64 sign = negative_ok ? (rng() >> 63) << 63 : 0;
  u64 e = (u64)(lo + (int)rng_below((u32)(hi - lo + 1)) + 1023);
  return from_bits(sign | (e << 52) | (rng() & ((1ULL << 52) - 1)));
}

/* A double uniform-ish in [lo, hi] (both finite). */
static double rand_range(double lo, double hi) {
  double u = (double)(u32)(rng() >> 32) * (1.0 / 4294967296.0);
  return lo + (hi - lo) * u;
}

static const u64 COMMON_SPECIALS[] = {
    0x0000000000000000ULL, /* +0 */
    0x8000000000000000ULL, /* -0 */
    0x0000000000000001ULL, /* smallest denormal */
    0x800fffffffffffffULL, /* largest negative denormal */
    0x0010000000000000ULL, /* smallest normal */
    0x7fefffffffffffffULL, /* largest finite */
    0xffefffffffffffffULL, /* most negative finite */
    0x7ff0000000000000ULL, /* +inf */
    0xfff0000000000000ULL, /* -inf */
    0x7ff8000000000000ULL, /* QNaN */
    0xfff8000000000000ULL, /* default NaN */
    0x3ff0000000000000ULL, /* 1 */
    0xbff0000000000000ULL, /* -1 */
    0x3e45798ee2308c3aULL, /* 1e-8 */
    0x3ff0000000000001ULL, /* 1 + ulp */
    0x3fefffffffffffffULL, /* 1 - ulp */
    0x4000000000000000ULL, /* 2 */
    0x3fe0000000000000ULL, /* 0.5 */
};

static const u64 TRIG_SPECIALS[] = {
    0x3ff921fb54442d18ULL, /* pi/2 */
    0x3ff921fb54442d19ULL, 0x400921fb54442d18ULL, /* pi */
    0x400921fb54442d19ULL, 0x3fe921fb54442d18ULL, /* pi/4 */
    0x4012d97c7f3321d2ULL, /* 3pi/2 */
    0x401921fb54442d18ULL, /* 2pi */
    0x40f86a0000000000ULL, /* 1e5 */
    0x4202a05f20000000ULL, /* 1e10 */
    0x43abc16d674ec800ULL, /* 1e18 */
    0x43dfffffffffffffULL, /* just below 2^63: last FSIN operand */
    0x43e0000000000000ULL, /* 2^63: FSIN leaves it (C2) */
    0x7e37e43c8800759cULL, /* 1e300 */
    0x3c9cd2b297d889bcULL, /* 1e-16 */
    0x2a2e3c8f0a7d2b4bULL, /* tiny */
};

static const u64 EXP_SPECIALS[] = {
    0x40862e42fefa39efULL, /* ln(DBL_MAX) */
    0x40862e42fefa39f0ULL, /* just above: overflow */
    0xc0874910d52d3051ULL, /* ln(smallest denormal) */
    0xc0874910d52d3052ULL, /* just below: 0 */
    0xc086232bdd7abcd2ULL, /* ln(smallest normal) */
    0x4086300000000000ULL, /* 710 */
    0xc087480000000000ULL, /* -745 */
    0x3fe62e42fefa39efULL, /* ln 2 */
    0x4024000000000000ULL, /* 10 */
    0xc024000000000000ULL, /* -10 */
};

static void print_line(char path, int fn, double a, double b, int two_args) {
  put_str(path == 'S' ? "S " : path == 'X' ? "X " : "L ");
  put_str(FN_NAMES[fn]);
  put_str(" ");
  put_hex(to_bits(a), 16);
  if (two_args) {
    put_str(" ");
    put_hex(to_bits(b), 16);
  }
  put_str(" ");
}

static u32 lines;

static void evaluate(int fn, double a, double b) {
  int two_args = fn == FN_POW || fn == FN_ATAN2;
  double s;
  long double l;
  sse_eval(fn, &a, &b, &s);
  x87_eval(fn, &a, &b, &l);
  double ld = (double)l;
  print_line('S', fn, a, b, two_args);
  put_hex(to_bits(s), 16);
  put_str("\n");
  print_line('X', fn, a, b, two_args);
  put_hex(to_bits(ld), 16);
  put_str("\n");
  union {
    long double l;
    struct {
      u64 sig;
      unsigned short se;
    } p;
  } c;
  c.l = l;
  print_line('L', fn, a, b, two_args);
  put_hex(c.p.se, 4);
  put_str(":");
  put_hex(c.p.sig, 16);
  put_str("\n");
  lines += 3;
}

static double one_arg(int fn) {
  switch (fn) {
    case FN_SIN:
    case FN_COS:
    case FN_TAN:
      /* Mostly moderate, some up to 2^70 (beyond FSIN's range). */
      return rng_below(4) ? rand_exp(-30, 24, 1) : rand_exp(-60, 70, 1);
    case FN_EXP:
      return rng_below(4) ? rand_range(-20.0, 20.0) : rand_range(EXP_MIN - 2.0, EXP_MAX + 2.0);
    default: /* FN_LOG */
      return rng_below(8) ? rand_exp(-1074 + 52, 1023, 0) : from_bits(rng() >> 12);
  }
}

int main(void) {
  for (int fn = 0; fn < FN_COUNT; fn++) {
    /* Specials, alone and paired. */
    int nc = (int)(sizeof COMMON_SPECIALS / sizeof COMMON_SPECIALS[0]);
    for (int i = 0; i < nc; i++) {
      double a = from_bits(COMMON_SPECIALS[i]);
      if (fn == FN_POW || fn == FN_ATAN2) {
        for (int j = 0; j < nc; j += 3) evaluate(fn, a, from_bits(COMMON_SPECIALS[j]));
      } else {
        evaluate(fn, a, 0.0);
      }
    }
    if (fn <= FN_TAN) {
      for (u32 i = 0; i < sizeof TRIG_SPECIALS / sizeof TRIG_SPECIALS[0]; i++) {
        evaluate(fn, from_bits(TRIG_SPECIALS[i]), 0.0);
        evaluate(fn, -from_bits(TRIG_SPECIALS[i]), 0.0);
      }
    }
    if (fn == FN_EXP) {
      for (u32 i = 0; i < sizeof EXP_SPECIALS / sizeof EXP_SPECIALS[0]; i++) evaluate(fn, from_bits(EXP_SPECIALS[i]), 0.0);
    }
    for (int i = 0; i < RANDOM_ARGS; i++) {
      if (fn == FN_POW) {
        double x = rng_below(4) ? rand_range(0.0, 100.0) : rand_exp(-40, 40, 0);
        double y = rng_below(3) ? rand_range(-60.0, 60.0) : rng_below(2) ? (double)((int)rng_below(64) - 32) : rand_exp(-10, 12, 1);
        if (rng_below(8) == 0) x = -(double)(1 + (int)rng_below(9));
        evaluate(fn, x, y);
      } else if (fn == FN_ATAN2) {
        evaluate(fn, rand_exp(-40, 40, 1), rand_exp(-40, 40, 1));
      } else {
        evaluate(fn, one_arg(fn), 0.0);
      }
    }
  }
  put_str("lines ");
  put_hex(lines, 8);
  put_str("\ndone\n");
  leave();
  return 0;
}

/* gcc may emit calls to these even when freestanding. */
void *memcpy(void *dst, const void *src, unsigned long n) {
  char *d = dst;
  const char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

void *memset(void *dst, int c, unsigned long n) {
  char *d = dst;
  while (n--) *d++ = (char)c;
  return dst;
}

#endif
