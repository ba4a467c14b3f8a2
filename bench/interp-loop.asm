; The interpreter micro-benchmark: a guest loop mixing ALU, memory, branch,
; stack and string instructions, in the proportions of ordinary compiled code.
; Built twice from this file:
;  - a flat binary for tabvm, entered at 1 MiB in 32-bit protected mode at
;    CPL 0, ending with HLT;
;  - with -DNATIVE, the same instruction sequence as a 64-bit function
;    (this host's kernel cannot run 32-bit code) for the native run: the same
;    instructions with 64-bit addresses and stack, one for one.

%ifdef NATIVE
bits 64
default rel
%define SP_REG rsp
%define SRC rsi
%define DST rdi
%define CNT rcx
section .text
global bench_loop
bench_loop:                    ; unsigned bench_loop(unsigned iterations) (System V: edi)
  push rbx
  push rbp
  mov ebp, edi
%else
bits 32
%define SRC esi
%define DST edi
%define CNT ecx
org 0x100000
  mov ebp, ITERATIONS
%endif
  xor edx, edx
  xor ebx, ebx
.outer:
  lea SRC, [rel_src]
  lea DST, [rel_dst]
  mov ecx, 16
.inner:
  mov eax, [SRC]
  add eax, ecx
  xor ebx, eax
  rol ebx, 3
  imul eax, eax, 7
  mov [DST], eax
  add SRC, 4
  add DST, 4
  cmp eax, ebx
  jb .below
  inc edx
.below:
  movzx eax, byte [SRC + 1]
  sub edx, eax
  dec ecx
  jnz .inner
  ; string and stack work
  push CNT
  lea SRC, [rel_src]
  lea DST, [rel_dst]
  mov ecx, 16
  cld
  rep movsd
  pop CNT
  call leaf
  dec ebp
  jnz .outer
%ifdef NATIVE
  mov eax, edx
  pop rbp
  pop rbx
  ret
%else
  hlt
%endif

leaf:
  add edx, ebx
  shr ebx, 1
  ret

%ifdef NATIVE
section .data
section .note.GNU-stack noalloc noexec nowrite progbits
section .data
%endif
align 16
rel_src: times 80 dd 0x12345678
rel_dst: times 80 dd 0
