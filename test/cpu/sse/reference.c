// Reference runner for the SSE floating-point differential test
// (test/cpu/sse/differential.test.ts): runs one instruction per record on
// the host CPU with the given XMM, MMX, MXCSR, general registers and a
// memory operand at [rbx] (= [ebx]: the low mapping keeps the 32-bit
// encoding's meaning in 64-bit mode), and writes back the state after it,
// or the state at the fault with the signal that reported it.
//
// Record (both directions, little-endian, RECORD_BYTES):
//   0 gpr[8] (eax ecx edx ebx esp ebp esi edi; ebx/esp are the harness's)
//  32 mxcsr  36 eflags  40 signo  44 si_code  48 mem offset of [ebx]
//  52 code length  64 xmm[8][16]  192 mm[8]  256 mem[64]  320 code[16]
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define RECORD_BYTES 336
#define MEM_BYTES 64
#define MEM_ADDR ((void *)0x10000000)
#define CODE_ADDR ((void *)0x10010000)

struct rec {
  uint32_t gpr[8];
  uint32_t mxcsr, eflags, signo, sicode, memoff, codelen, pad[2];
  uint8_t xmm[8][16];
  uint64_t mm[8];
  uint8_t mem[MEM_BYTES];
  uint8_t code[16];
};
_Static_assert(sizeof(struct rec) == RECORD_BYTES, "record layout");

void run_snippet(struct rec *r, void *code, void *mem);
__asm__(
    ".text\n.globl run_snippet\nrun_snippet:\n"
    "push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
    "mov %rdi, %r15\nmov %rsi, %r14\nmov %rdx, %r13\n"
    "movq 192(%r15), %mm0\nmovq 200(%r15), %mm1\nmovq 208(%r15), %mm2\nmovq 216(%r15), %mm3\n"
    "movq 224(%r15), %mm4\nmovq 232(%r15), %mm5\nmovq 240(%r15), %mm6\nmovq 248(%r15), %mm7\n"
    "movups 64(%r15), %xmm0\nmovups 80(%r15), %xmm1\nmovups 96(%r15), %xmm2\nmovups 112(%r15), %xmm3\n"
    "movups 128(%r15), %xmm4\nmovups 144(%r15), %xmm5\nmovups 160(%r15), %xmm6\nmovups 176(%r15), %xmm7\n"
    "ldmxcsr 32(%r15)\n"
    "mov %r13, %rbx\nmov 0(%r15), %eax\nmov 4(%r15), %ecx\nmov 8(%r15), %edx\n"
    "mov 20(%r15), %ebp\nmov 24(%r15), %esi\nmov 28(%r15), %edi\n"
    "call *%r14\n"
    "mov %eax, 0(%r15)\nmov %ecx, 4(%r15)\nmov %edx, 8(%r15)\nmov %ebx, 12(%r15)\n"
    "mov %ebp, 20(%r15)\nmov %esi, 24(%r15)\nmov %edi, 28(%r15)\n"
    "pushfq\npop %rax\nmov %eax, 36(%r15)\nstmxcsr 32(%r15)\n"
    "movups %xmm0, 64(%r15)\nmovups %xmm1, 80(%r15)\nmovups %xmm2, 96(%r15)\nmovups %xmm3, 112(%r15)\n"
    "movups %xmm4, 128(%r15)\nmovups %xmm5, 144(%r15)\nmovups %xmm6, 160(%r15)\nmovups %xmm7, 176(%r15)\n"
    "movq %mm0, 192(%r15)\nmovq %mm1, 200(%r15)\nmovq %mm2, 208(%r15)\nmovq %mm3, 216(%r15)\n"
    "movq %mm4, 224(%r15)\nmovq %mm5, 232(%r15)\nmovq %mm6, 240(%r15)\nmovq %mm7, 248(%r15)\n"
    "emms\npush $0x1f80\nldmxcsr (%rsp)\npop %rax\n"
    "pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n");

static sigjmp_buf env;
static struct rec *cur;

static void on_fault(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
  cur->signo = (uint32_t)sig;
  cur->sicode = (uint32_t)si->si_code;
  const int order[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI};
  for (int i = 0; i < 8; i++) cur->gpr[i] = (uint32_t)g[order[i]];
  cur->eflags = (uint32_t)g[REG_EFL];
  cur->mxcsr = fp->mxcsr;
  for (int i = 0; i < 8; i++) memcpy(cur->xmm[i], &fp->_xmm[i], 16);
  for (int i = 0; i < 8; i++) memcpy(&cur->mm[i], &fp->_st[i], 8);
  siglongjmp(env, 1);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--info")) {
    puts("sse-reference bits=64");
    return 0;
  }
  uint8_t *mem = mmap(MEM_ADDR, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  uint8_t *code = mmap(CODE_ADDR, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (mem != MEM_ADDR || code != CODE_ADDR) {
    perror("mmap");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, 0);
  sigaction(SIGILL, &sa, 0);
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  static struct rec r;
  while (fread(&r, RECORD_BYTES, 1, stdin) == 1) {
    cur = &r;
    memset(mem, 0, 4096);
    memcpy(mem, r.mem, MEM_BYTES);
    memcpy(code, r.code, 16);
    code[r.codelen] = 0xc3; // ret
    r.signo = 0;
    r.sicode = 0;
    if (sigsetjmp(env, 1) == 0) run_snippet(&r, code, mem + r.memoff);
    memcpy(r.mem, mem, MEM_BYTES);
    fwrite(&r, RECORD_BYTES, 1, stdout);
  }
  return 0;
}
