/*
 * tabvm native differential harness.
 *
 * Runs short user-mode x86 snippets on the host CPU and reports the final
 * register state, EFLAGS, the changed bytes of a data region, or the signal
 * the snippet raised.  Used by test/cpu/differential/ to check the emulator.
 *
 * Two builds, same protocol:
 *   gcc -m32 -O1 -static -o harness harness.c   32-bit: snippets run as-is
 *                                                (reference = protected mode).
 *   gcc      -O1 -static -o harness harness.c   64-bit: for hosts whose kernel
 *       cannot run 32-bit code (no IA32 emulation, or no 32-bit code segment,
 *       e.g. PVM guests).  The TypeScript side then translates each 32-bit
 *       instruction to its 64-bit-mode equivalent (0x67 on memory operands,
 *       inc/dec 0x40-0x4f -> FF /0,/1, ...) and the harness runs those bytes.
 * `./harness --info` prints "bits=32" or "bits=64".
 *
 * Memory map (fixed, MAP_FIXED; everything else around them is unmapped so
 * stray accesses fault):
 *   SAVE_ADDR 0x00100000  one RW page: register save area + scratch stack
 *   DATA_ADDR 0x00200000  DATA_SIZE = 8192 bytes RW: the snippet's memory
 *   CODE_ADDR 0x00300000  one RWX page: snippet, epilogue, then int3 (0xCC)
 *
 * Protocol (binary, little-endian, stdin -> stdout, one output record per
 * input record, in order):
 *
 *   input record:
 *     u32 regs[8]    EAX ECX EDX EBX ESP EBP ESI EDI (encoding order)
 *     u32 eflags     only CF PF AF ZF SF OF DF are taken from it
 *     u32 data_seed  DATA is filled with fill_data(data_seed) (see below)
 *     u8  code_len   <= MAX_CODE
 *     u8  n_patches
 *     u16 in_flags   bit 0 (IN_FPU): an FXSAVE image follows the code
 *     u8  code[code_len]
 *     [u8 fpu[512]]  IN_FPU: FXRSTOR'd right before the snippet (else the
 *                    state of FNINIT with MXCSR 0x1f80 is used)
 *     n_patches x { u16 offset; u8 len; u8 bytes[len] }  applied after fill
 *
 *   output record:
 *     u32 signo      0 = reached the epilogue; else SIGSEGV/SIGILL/... or
 *                    SIGALRM when the snippet ran away (watchdog)
 *     u32 regs[8]    final GPRs (at the fault: from the signal's ucontext)
 *     u32 eflags
 *     u32 eip        offset from CODE_ADDR (epilogue offset when completed)
 *     u32 si_code, si_addr, trapno, err   (0 when completed)
 *     u16 n_runs; u16 out_flags (bit 0: IN_FPU was set, the image follows)
 *     n_runs x { u16 offset; u16 len; u8 bytes[len] }  DATA bytes that differ
 *                                                     from the initial fill
 *     [u8 fpu[512]]  IN_FPU: the FXSAVE image at the end (at a fault: the
 *                    state the kernel saved at the signal, which keeps a
 *                    pending x87 exception in FSW)
 *
 * fill_data(seed): word i (i = 0..DATA_SIZE/4-1) is splitmix32 output number
 * i of a generator whose state starts at `seed` (see next_fill below); the
 * TypeScript side reimplements it bit for bit.
 *
 * Fault path: SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP handlers run on an
 * alternate stack (the snippet's ESP points into DATA, and a signal frame
 * there would corrupt the compared bytes), copy the ucontext registers and
 * rewrite the context to resume at tabvm_return, i.e. the same exit as the
 * epilogue.  No siglongjmp needed: sigreturn restores the signal mask.
 *
 * FPU/SSE state: tabvm_enter FXRSTORs SAVE_FPU_IN as its first step and
 * tabvm_return FXSAVEs to SAVE_FPU_OUT as its first step (after a signal,
 * sigreturn has restored the snippet's FPU state), then FNINIT and LDMXCSR
 * 0x1f80 give the C code a clean state again (a pending unmasked x87
 * exception would otherwise fault in the harness itself).  The 64-bit
 * harness uses FXSAVE without REX.W, i.e. the 32-bit image format.  An x87
 * exception unmasked in FCW is reported (SIGFPE, trapno 16) at the next
 * waiting FP instruction, as on bare hardware with CR0.NE=1.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define SAVE_ADDR 0x00100000u
#define DATA_ADDR 0x00200000u
#define DATA_SIZE 8192u
#define CODE_ADDR 0x00300000u
#define PAGE_SIZE 4096u
#define MAX_CODE 240u

/* Save area layout (offsets from SAVE_ADDR). */
#define SAVE_REGS 0x00   /* u32 x 8, written by the epilogue */
#define SAVE_FLAGS 0x20  /* u32 (u64 slot in 64-bit mode) */
#define SAVE_RETPTR 0x40 /* address of tabvm_return, jumped to by epilogue */
#define SAVE_CODEPTR 0x48 /* CODE_ADDR, jumped to by tabvm_enter */
#define SAVE_MXCSR 0x50   /* u32 0x1f80, LDMXCSR'd by tabvm_return */
#define SAVE_FPU_IN 0x200  /* 512-byte FXSAVE image loaded before the snippet */
#define SAVE_FPU_OUT 0x400 /* 512-byte FXSAVE image stored after it */
#define FPU_IMAGE 512u
#define IN_FPU 1u
#define DEFAULT_MXCSR 0x1f80u
#define FINIT_FCW 0x037fu
#define SCRATCH_TOP (SAVE_ADDR + PAGE_SIZE - 64) /* tiny stack for pushf */

#define STR2(x) #x
#define STR(x) STR2(x)

/* Flags a case may set: CF PF AF ZF SF OF DF. */
#define CASE_FLAGS_MASK 0x00000cd5u
/* What the process has anyway: IF and the always-one bit 1. */
#define BASE_FLAGS 0x00000202u

struct case_state {
  uint32_t regs[8];
  uint32_t eflags;
};

/* Trampolines: save host callee-saved registers, load the case's registers
 * and flags, jump to CODE_ADDR; tabvm_return undoes it. */
#if defined(__x86_64__)
uint64_t host_sp;
__asm__(
    ".text\n"
    ".globl tabvm_enter\n"
    "tabvm_enter:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  mov %rsp, host_sp(%rip)\n"
    "  fxrstor " STR(SAVE_ADDR + SAVE_FPU_IN) "\n"
    "  mov $" STR(SCRATCH_TOP) ", %esp\n"
    "  mov 32(%rdi), %eax\n"
    "  push %rax\n"
    "  popfq\n"
    "  mov 0(%rdi), %eax\n  mov 4(%rdi), %ecx\n  mov 8(%rdi), %edx\n"
    "  mov 12(%rdi), %ebx\n  mov 16(%rdi), %esp\n  mov 20(%rdi), %ebp\n"
    "  mov 24(%rdi), %esi\n  mov 28(%rdi), %edi\n"
    "  jmp *" STR(SAVE_ADDR + SAVE_CODEPTR) "\n"
    ".globl tabvm_return\n"
    "tabvm_return:\n"
    "  fxsave " STR(SAVE_ADDR + SAVE_FPU_OUT) "\n"
    "  fninit\n"
    "  ldmxcsr " STR(SAVE_ADDR + SAVE_MXCSR) "\n"
    "  mov host_sp(%rip), %rsp\n"
    "  push $0x202\n  popfq\n" /* DF=0 for the C ABI, AC/TF off */
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n");
#define HOST_BITS 64
#elif defined(__i386__)
uint32_t host_sp;
__asm__(
    ".text\n"
    ".globl tabvm_enter\n"
    "tabvm_enter:\n"
    "  push %ebx\n  push %ebp\n  push %esi\n  push %edi\n"
    "  mov %esp, host_sp\n"
    "  fxrstor " STR(SAVE_ADDR + SAVE_FPU_IN) "\n"
    "  mov 20(%esp), %eax\n"
    "  mov $" STR(SCRATCH_TOP) ", %esp\n"
    "  pushl 32(%eax)\n"
    "  popfl\n"
    "  mov 4(%eax), %ecx\n  mov 8(%eax), %edx\n  mov 12(%eax), %ebx\n"
    "  mov 16(%eax), %esp\n  mov 20(%eax), %ebp\n  mov 24(%eax), %esi\n"
    "  mov 28(%eax), %edi\n  mov 0(%eax), %eax\n"
    "  jmp *" STR(SAVE_ADDR + SAVE_CODEPTR) "\n"
    ".globl tabvm_return\n"
    "tabvm_return:\n"
    "  fxsave " STR(SAVE_ADDR + SAVE_FPU_OUT) "\n"
    "  fninit\n"
    "  ldmxcsr " STR(SAVE_ADDR + SAVE_MXCSR) "\n"
    "  mov host_sp, %esp\n"
    "  pushl $0x202\n  popfl\n"
    "  pop %edi\n  pop %esi\n  pop %ebp\n  pop %ebx\n"
    "  ret\n");
#define HOST_BITS 32
#else
#error "x86 only"
#endif

void tabvm_enter(const struct case_state *st);
void tabvm_return(void);

/* Fault record filled by the signal handler. */
static volatile int in_snippet;
static volatile uint32_t case_counter;
static uint32_t watchdog_seen;
static struct {
  uint32_t signo, regs[8], eflags, eip, code, addr, trapno, err;
} fault;

static uint8_t *const save_page = (uint8_t *)(uintptr_t)SAVE_ADDR;
static uint8_t *const data = (uint8_t *)(uintptr_t)DATA_ADDR;
static uint8_t *const code = (uint8_t *)(uintptr_t)CODE_ADDR;
static uint8_t initial[DATA_SIZE];

static void die(const char *msg) {
  fprintf(stderr, "harness: %s\n", msg);
  exit(2);
}

static void capture(int sig, siginfo_t *si, ucontext_t *uc) {
  greg_t *g = uc->uc_mcontext.gregs;
  fault.signo = (uint32_t)sig;
  fault.code = (uint32_t)si->si_code;
  fault.addr = (uint32_t)(uintptr_t)si->si_addr;
#if HOST_BITS == 64
  static const int order[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI};
  for (int i = 0; i < 8; i++) fault.regs[i] = (uint32_t)g[order[i]];
  fault.eflags = (uint32_t)g[REG_EFL];
  fault.eip = (uint32_t)(g[REG_RIP] - CODE_ADDR);
  fault.trapno = (uint32_t)g[REG_TRAPNO];
  fault.err = (uint32_t)g[REG_ERR];
  g[REG_RIP] = (greg_t)(uintptr_t)tabvm_return;
  g[REG_RSP] = SCRATCH_TOP;
#else
  static const int order[8] = {REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_ESP, REG_EBP, REG_ESI, REG_EDI};
  for (int i = 0; i < 8; i++) fault.regs[i] = (uint32_t)g[order[i]];
  fault.eflags = (uint32_t)g[REG_EFL];
  fault.eip = (uint32_t)g[REG_EIP] - CODE_ADDR;
  fault.trapno = (uint32_t)g[REG_TRAPNO];
  fault.err = (uint32_t)g[REG_ERR];
  g[REG_EIP] = (greg_t)(uintptr_t)tabvm_return;
  g[REG_ESP] = SCRATCH_TOP;
  g[REG_UESP] = SCRATCH_TOP;
#endif
  g[REG_EFL] = BASE_FLAGS; /* clear DF/TF/AC before C code runs again */
}

static void on_fault(int sig, siginfo_t *si, void *ctx) {
  if (!in_snippet) {
    /* A bug in the harness itself: die loudly with the default action. */
    signal(sig, SIG_DFL);
    return;
  }
  in_snippet = 0;
  capture(sig, si, (ucontext_t *)ctx);
}

/* Watchdog: a snippet still running after a full timer period has run away
 * (the generator only makes forward jumps, so this is a harness/generator
 * bug, reported as SIGALRM rather than hanging the test). */
static void on_alarm(int sig, siginfo_t *si, void *ctx) {
  if (in_snippet && case_counter == watchdog_seen) {
    in_snippet = 0;
    capture(sig, si, (ucontext_t *)ctx);
    fault.code = 0;
    fault.addr = 0;
  }
  watchdog_seen = case_counter;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) die("sigaction");
}

static void map_fixed(uint32_t addr, uint32_t size, int prot) {
  void *p = mmap((void *)(uintptr_t)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (p != (void *)(uintptr_t)addr) die("mmap MAP_FIXED failed");
}

/* splitmix32, mirrored in test/cpu/differential/cases.ts (fillData). */
static void fill_data(uint32_t seed) {
  uint32_t s = seed;
  uint32_t *w = (uint32_t *)initial;
  for (uint32_t i = 0; i < DATA_SIZE / 4; i++) {
    s += 0x9e3779b9u;
    uint32_t z = s;
    z = (z ^ (z >> 16)) * 0x85ebca6bu;
    z = (z ^ (z >> 13)) * 0xc2b2ae35u;
    w[i] = z ^ (z >> 16);
  }
}

/* Epilogue: store the 8 GPRs and EFLAGS into the save area without touching
 * the snippet's stack, then jump back to tabvm_return.  32-bit mode uses
 * [disp32] (mod=00 rm=101); in 64-bit mode that form is RIP-relative, so use
 * the SIB no-base form (rm=100, SIB=0x25) instead. */
static uint32_t emit_abs_modrm(uint8_t *p, uint8_t op, uint8_t reg, uint32_t addr) {
  uint32_t n = 0;
  p[n++] = op;
#if HOST_BITS == 64
  p[n++] = (uint8_t)((reg << 3) | 4);
  p[n++] = 0x25;
#else
  p[n++] = (uint8_t)((reg << 3) | 5);
#endif
  memcpy(p + n, &addr, 4);
  return n + 4;
}

static uint32_t emit_epilogue(uint8_t *p) {
  uint32_t n = 0;
  for (uint8_t r = 0; r < 8; r++) n += emit_abs_modrm(p + n, 0x89, r, SAVE_ADDR + SAVE_REGS + 4u * r);
  p[n++] = 0xbc; /* mov esp, SCRATCH_TOP */
  uint32_t top = SCRATCH_TOP;
  memcpy(p + n, &top, 4);
  n += 4;
  p[n++] = 0x9c;                                               /* pushf */
  n += emit_abs_modrm(p + n, 0x8f, 0, SAVE_ADDR + SAVE_FLAGS); /* pop [flags] */
  n += emit_abs_modrm(p + n, 0xff, 4, SAVE_ADDR + SAVE_RETPTR); /* jmp [retptr] */
  return n;
}

#define IN_BUF_SIZE (1u << 20)
static uint8_t inbuf[IN_BUF_SIZE];
static size_t in_len, in_pos;

/* Returns a pointer to n bytes of input, or NULL at a clean EOF. */
static const uint8_t *take(size_t n) {
  if (in_len - in_pos < n) {
    memmove(inbuf, inbuf + in_pos, in_len - in_pos);
    in_len -= in_pos;
    in_pos = 0;
    while (in_len < n) {
      size_t got = fread(inbuf + in_len, 1, IN_BUF_SIZE - in_len, stdin);
      if (got == 0) {
        if (in_len == 0) return NULL;
        die("truncated input record");
      }
      in_len += got;
    }
  }
  const uint8_t *p = inbuf + in_pos;
  in_pos += n;
  return p;
}

static void put(const void *p, size_t n) {
  if (fwrite(p, 1, n, stdout) != n) die("write failed");
}

static void put_u32(uint32_t v) { put(&v, 4); }

/* Emits the runs of DATA bytes that differ from `initial`. */
static void emit_changes(uint32_t out_flags) {
  uint16_t offs[DATA_SIZE / 2 + 1], lens[DATA_SIZE / 2 + 1];
  uint32_t n = 0;
  for (uint32_t chunk = 0; chunk < DATA_SIZE; chunk += 64) {
    if (memcmp(data + chunk, initial + chunk, 64) == 0) continue;
    for (uint32_t i = chunk; i < chunk + 64; i++) {
      if (data[i] == initial[i]) continue;
      if (n > 0 && offs[n - 1] + lens[n - 1] == i) {
        lens[n - 1]++;
      } else {
        offs[n] = (uint16_t)i;
        lens[n] = 1;
        n++;
      }
    }
  }
  uint16_t hdr[2] = {(uint16_t)n, (uint16_t)out_flags};
  put(hdr, 4);
  for (uint32_t i = 0; i < n; i++) {
    uint16_t rh[2] = {offs[i], lens[i]};
    put(rh, 4);
    put(data + offs[i], lens[i]);
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--info") == 0) {
    printf("bits=%d\n", HOST_BITS);
    return 0;
  }
  map_fixed(SAVE_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE);
  map_fixed(DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE);
  map_fixed(CODE_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
  memset(code, 0xcc, PAGE_SIZE);
  uintptr_t ret = (uintptr_t)tabvm_return, entry = CODE_ADDR;
  memcpy(save_page + SAVE_RETPTR, &ret, sizeof ret);
  memcpy(save_page + SAVE_CODEPTR, &entry, sizeof entry);
  uint32_t mxcsr = DEFAULT_MXCSR;
  memcpy(save_page + SAVE_MXCSR, &mxcsr, 4);
  /* The image used when a case brings none: FNINIT state, MXCSR default. */
  static uint8_t default_fpu[FPU_IMAGE];
  uint16_t fcw = FINIT_FCW;
  memcpy(default_fpu, &fcw, 2);
  memcpy(default_fpu + 24, &mxcsr, 4);

  static uint8_t altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
  install(SIGSEGV, on_fault);
  install(SIGBUS, on_fault);
  install(SIGILL, on_fault);
  install(SIGFPE, on_fault);
  install(SIGTRAP, on_fault);
  install(SIGALRM, on_alarm);
  struct itimerval it = {{1, 0}, {1, 0}};
  setitimer(ITIMER_REAL, &it, NULL);

  static char outbuf[1u << 20];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

  uint32_t used = 0; /* bytes of the code page written by the last case */
  for (;;) {
    const uint8_t *hdr = take(44);
    if (!hdr) break;
    struct case_state st;
    memcpy(st.regs, hdr, 32);
    uint32_t flags_in, seed;
    memcpy(&flags_in, hdr + 32, 4);
    memcpy(&seed, hdr + 36, 4);
    uint32_t code_len = hdr[40], n_patches = hdr[41];
    uint32_t in_flags = (uint32_t)hdr[42] | ((uint32_t)hdr[43] << 8);
    st.eflags = (flags_in & CASE_FLAGS_MASK) | BASE_FLAGS;
    if (code_len > MAX_CODE) die("code too long");

    memset(code, 0xcc, used);
    memcpy(code, take(code_len), code_len);
    memcpy(save_page + SAVE_FPU_IN, (in_flags & IN_FPU) ? take(FPU_IMAGE) : default_fpu, FPU_IMAGE);
    uint32_t epi = emit_epilogue(code + code_len);
    used = code_len + epi;

    fill_data(seed);
    for (uint32_t i = 0; i < n_patches; i++) {
      const uint8_t *ph = take(3);
      uint32_t off = (uint32_t)ph[0] | ((uint32_t)ph[1] << 8), len = ph[2];
      const uint8_t *bytes = take(len);
      if (off + len > DATA_SIZE) die("patch outside DATA");
      memcpy(initial + off, bytes, len);
    }
    memcpy(data, initial, DATA_SIZE);

    fault.signo = 0;
    case_counter++;
    in_snippet = 1;
    tabvm_enter(&st);
    in_snippet = 0;

    if (fault.signo == 0) {
      put_u32(0);
      put(save_page + SAVE_REGS, 32);
      uint32_t fl;
      memcpy(&fl, save_page + SAVE_FLAGS, 4);
      put_u32(fl);
      put_u32(code_len);
      uint32_t zeros[4] = {0, 0, 0, 0};
      put(zeros, sizeof zeros);
    } else {
      put_u32(fault.signo);
      put(fault.regs, 32);
      put_u32(fault.eflags);
      put_u32(fault.eip);
      put_u32(fault.code);
      put_u32(fault.addr);
      put_u32(fault.trapno);
      put_u32(fault.err);
    }
    emit_changes(in_flags & IN_FPU);
    if (in_flags & IN_FPU) put(save_page + SAVE_FPU_OUT, FPU_IMAGE);
  }
  fflush(stdout);
  return 0;
}
