/*
 * Host-CPU reference for test/cpu/integer: runs instruction snippets and
 * prints the registers, EFLAGS and data bytes they leave (or the signal they
 * raise). Built by harness.ts as a 64-bit program (snippets whose bytes mean
 * the same in 32- and 64-bit mode) and, when the host can run it (natively or
 * under qemu-i386), as a 32-bit program.
 *
 * Input, one case per line (hex, no 0x):
 *   code eax ecx edx ebx ebp esi edi eflags data
 * `code` is the snippet's bytes; `data` the bytes put at DATA_ADDR ("-" for
 * none); the rest of the DATA_SIZE region is zero. ESP is the host's.
 * Output, one line per case:
 *   signo eax ecx edx ebx ebp esi edi eflags off=bb,off=bb,...
 * signo 0 when the snippet completed; the offsets list every non-zero data
 * byte afterwards ("-" when none).
 *
 * Memory: SAVE_ADDR (registers in/out, pointers), DATA_ADDR (the snippet's
 * data), CODE_ADDR (snippet + a jump back), all MAP_FIXED below 4 GiB so a
 * 32-bit register is a valid address in either mode.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define SAVE_ADDR 0x00100000u
#define DATA_ADDR 0x00200000u
#define DATA_SIZE 0x2000u
#define CODE_ADDR 0x00300000u
#define PAGE 4096u

/* Save area (offsets from SAVE_ADDR; the assembly below hard-codes them). */
#define IN_REGS 0x00   /* eax ecx edx ebx esp ebp esi edi */
#define IN_FLAGS 0x20  /* 8-byte slot */
#define OUT_REGS 0x40
#define OUT_FLAGS 0x60 /* 8-byte slot */
#define OUT_SIGNO 0x68
#define HOST_SP 0x70
#define CODE_PTR 0x78
#define RET_PTR 0x80

/* Flags a snippet may start with: CF PF AF ZF SF OF DF. */
#define IN_FLAG_MASK 0xcd5u

void run_snippet(void);
extern char snippet_exit[], snippet_restore[];

#if defined(__x86_64__)
__asm__(
    ".text\n.globl run_snippet\nrun_snippet:\n"
    "push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
    "mov %rsp, 0x100070\n"
    "pushq 0x100020\npopfq\n"
    "mov 0x100000, %eax\nmov 0x100004, %ecx\nmov 0x100008, %edx\nmov 0x10000c, %ebx\n"
    "mov 0x100014, %ebp\nmov 0x100018, %esi\nmov 0x10001c, %edi\n"
    "jmp *0x100078\n"
    ".globl snippet_exit\nsnippet_exit:\n"
    "pushfq\npopq 0x100060\n"
    "mov %eax, 0x100040\nmov %ecx, 0x100044\nmov %edx, 0x100048\nmov %ebx, 0x10004c\n"
    "mov %ebp, 0x100054\nmov %esi, 0x100058\nmov %edi, 0x10005c\n"
    ".globl snippet_restore\nsnippet_restore:\n"
    "mov 0x100070, %rsp\ncld\n"
    "pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n");
/* jmp *RET_PTR (absolute, SIB no base) */
static const unsigned char EPILOGUE[] = {0xff, 0x24, 0x25, 0x80, 0x00, 0x10, 0x00};
#define BITS 64
#else
__asm__(
    ".text\n.globl run_snippet\nrun_snippet:\n"
    "push %ebx\npush %ebp\npush %esi\npush %edi\n"
    "mov %esp, 0x100070\n"
    "pushl 0x100020\npopfl\n"
    "mov 0x100000, %eax\nmov 0x100004, %ecx\nmov 0x100008, %edx\nmov 0x10000c, %ebx\n"
    "mov 0x100014, %ebp\nmov 0x100018, %esi\nmov 0x10001c, %edi\n"
    "jmp *0x100078\n"
    ".globl snippet_exit\nsnippet_exit:\n"
    "pushfl\npopl 0x100060\n"
    "mov %eax, 0x100040\nmov %ecx, 0x100044\nmov %edx, 0x100048\nmov %ebx, 0x10004c\n"
    "mov %ebp, 0x100054\nmov %esi, 0x100058\nmov %edi, 0x10005c\n"
    ".globl snippet_restore\nsnippet_restore:\n"
    "mov 0x100070, %esp\ncld\n"
    "pop %edi\npop %esi\npop %ebp\npop %ebx\nret\n");
static const unsigned char EPILOGUE[] = {0xff, 0x25, 0x80, 0x00, 0x10, 0x00};
#define BITS 32
#endif

#define SAVE32(off) (*(volatile uint32_t *)(uintptr_t)(SAVE_ADDR + (off)))
#define SAVEPTR(off) (*(volatile uintptr_t *)(uintptr_t)(SAVE_ADDR + (off)))

static void on_signal(int signo, siginfo_t *si, void *ucv) {
  (void)si;
  ucontext_t *uc = ucv;
  greg_t *g = uc->uc_mcontext.gregs;
#if defined(__x86_64__)
  const int idx[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI};
  for (int i = 0; i < 8; i++) SAVE32(OUT_REGS + 4 * i) = (uint32_t)g[idx[i]];
  SAVE32(OUT_FLAGS) = (uint32_t)g[REG_EFL];
  g[REG_RIP] = (greg_t)(uintptr_t)snippet_restore;
#else
  const int idx[8] = {REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_ESP, REG_EBP, REG_ESI, REG_EDI};
  for (int i = 0; i < 8; i++) SAVE32(OUT_REGS + 4 * i) = (uint32_t)g[idx[i]];
  SAVE32(OUT_FLAGS) = (uint32_t)g[REG_EFL];
  g[REG_EIP] = (greg_t)(uintptr_t)snippet_restore;
#endif
  SAVE32(OUT_SIGNO) = (uint32_t)signo;
}

static void *map_fixed(uint32_t addr, uint32_t size, int prot) {
  void *p = mmap((void *)(uintptr_t)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(2);
  }
  return p;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decode a hex byte string into out; returns the byte count, -1 on error. */
static int unhex(const char *s, unsigned char *out, int max) {
  if (strcmp(s, "-") == 0) return 0;
  int n = 0;
  for (; s[0] && s[1]; s += 2) {
    int hi = hexval(s[0]), lo = hexval(s[1]);
    if (hi < 0 || lo < 0 || n >= max) return -1;
    out[n++] = (unsigned char)(hi << 4 | lo);
  }
  return s[0] ? -1 : n;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--info") == 0) {
    printf("bits=%d\n", BITS);
    return 0;
  }
  map_fixed(SAVE_ADDR, PAGE, PROT_READ | PROT_WRITE);
  unsigned char *data = map_fixed(DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE);
  unsigned char *code = map_fixed(CODE_ADDR, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);

  static char line[65536];
  static char codehex[4096], datahex[32768];
  static unsigned char bytes[DATA_SIZE];
  while (fgets(line, sizeof line, stdin)) {
    unsigned r[7], fl;
    if (sscanf(line, "%4095s %x %x %x %x %x %x %x %x %32767s", codehex, &r[0], &r[1], &r[2], &r[3], &r[4], &r[5],
               &r[6], &fl, datahex) != 10) {
      fprintf(stderr, "bad input line: %s", line);
      return 2;
    }
    int n = unhex(codehex, bytes, PAGE - sizeof EPILOGUE);
    if (n < 0) {
      fprintf(stderr, "bad code: %s\n", codehex);
      return 2;
    }
    memset(code, 0xcc, PAGE);
    memcpy(code, bytes, n);
    memcpy(code + n, EPILOGUE, sizeof EPILOGUE);
    memset(data, 0, DATA_SIZE);
    int dn = unhex(datahex, bytes, DATA_SIZE);
    if (dn < 0) {
      fprintf(stderr, "bad data: %s\n", datahex);
      return 2;
    }
    memcpy(data, bytes, dn);
    /* eax ecx edx ebx [esp] ebp esi edi */
    SAVE32(IN_REGS + 0) = r[0];
    SAVE32(IN_REGS + 4) = r[1];
    SAVE32(IN_REGS + 8) = r[2];
    SAVE32(IN_REGS + 12) = r[3];
    SAVE32(IN_REGS + 20) = r[4];
    SAVE32(IN_REGS + 24) = r[5];
    SAVE32(IN_REGS + 28) = r[6];
    SAVEPTR(IN_FLAGS) = (fl & IN_FLAG_MASK) | 2;
    SAVEPTR(CODE_PTR) = (uintptr_t)code;
    SAVEPTR(RET_PTR) = (uintptr_t)snippet_exit;
    SAVE32(OUT_SIGNO) = 0;
    run_snippet();
    printf("%x", SAVE32(OUT_SIGNO));
    const int order[7] = {0, 1, 2, 3, 5, 6, 7};
    for (int i = 0; i < 7; i++) printf(" %x", SAVE32(OUT_REGS + 4 * order[i]));
    printf(" %x ", SAVE32(OUT_FLAGS));
    int any = 0;
    for (unsigned i = 0; i < DATA_SIZE; i++) {
      if (data[i]) {
        printf("%s%x=%02x", any ? "," : "", i, data[i]);
        any = 1;
      }
    }
    printf("%s\n", any ? "" : "-");
  }
  return 0;
}
