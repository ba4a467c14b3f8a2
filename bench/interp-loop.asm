; The interpreter micro-benchmark: a guest loop mixing ALU, memory, branch,
; stack and string instructions, in the proportions of ordinary compiled code.
; Built twice: flat binary for tabvm (entered at offset 0 in 32-bit protected
; mode, CPL 0, ends with HLT) and as a cdecl function for the native run.
bits 32

%ifdef NATIVE
section .text
global bench_loop
bench_loop:
  push ebx
  push esi
  push edi
  push ebp
  mov ebp, [esp + 20]          ; iterations
%else
org 0x100000
  mov ebp, ITERATIONS
%endif
  xor edx, edx
  xor ebx, ebx
.outer:
  lea esi, [rel_src]
  lea edi, [rel_dst]
  mov ecx, 16
.inner:
  mov eax, [esi]
  add eax, ecx
  xor ebx, eax
  rol ebx, 3
  imul eax, eax, 7
  mov [edi], eax
  add esi, 4
  add edi, 4
  cmp eax, ebx
  jb .below
  inc edx
.below:
  movzx eax, byte [esi + 1]
  sub edx, eax
  dec ecx
  jnz .inner
  ; string and stack work
  push ecx
  lea esi, [rel_src]
  lea edi, [rel_dst]
  mov ecx, 16
  cld
  rep movsd
  pop ecx
  call leaf
  dec ebp
  jnz .outer
%ifdef NATIVE
  mov eax, edx
  pop ebp
  pop edi
  pop esi
  pop ebx
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
%endif
align 16
rel_src: times 80 dd 0x12345678
rel_dst: times 80 dd 0
