; tasks.asm — hardware task switching (SDM Vol. 3A, chapter 8): JMP and
; CALL to a TSS descriptor, CALL through a task gate in the GDT, INT n
; through a task gate in the IDT, IRET with NT=1, busy bits, the back link,
; the state saved in the outgoing TSS, switches to busy tasks.
;
; The initial task is lib.inc's TSS (SEL_TSS0). Each target task records
; what it sees in `res` and switches back. CR3 is loaded from each TSS
; (all 0, paging stays off).
;
; QEMU: qemu-system-i386 -M pc -m 32 -display none -nodefaults -serial stdio
;       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot -kernel tasks.elf

%include "lib.inc"

SEL_TSSB        equ SEL_EXTRA + 0x00
SEL_TSSC        equ SEL_EXTRA + 0x08
SEL_TSSD        equ SEL_EXTRA + 0x10
SEL_TGATE_C     equ SEL_EXTRA + 0x18    ; task gate -> SEL_TSSC
VEC_TASK        equ 0x60                ; IDT task gate -> SEL_TSSD
TSS_LIMIT       equ TSS_SIZE - 1
TYPE_BUSY       equ 0x02                ; busy bit in the type field
ARITH_FLAGS     equ FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF

main:
    PL "tasks: hardware task switches"
    call setup
    call test_jmp
    call test_call
    call test_gate
    call test_int_gate
    call test_busy
    call test_iret_nt
    DONE

; init_tss: EDI = TSS, EAX = EIP, EBX = ESP, ECX = EAX value for the task.
init_tss:
    push edi
    push ecx
    push eax
    xor eax, eax
    mov ecx, TSS_SIZE / 4
    rep stosd
    pop eax
    pop ecx
    pop edi
    mov [edi + TSS_EIP], eax
    mov [edi + TSS_ESP], ebx
    mov [edi + TSS_EAX], ecx
    mov dword [edi + TSS_EFLAGS], 0x2
    mov dword [edi + TSS_CS], SEL_CODE0
    mov dword [edi + TSS_SS], SEL_DATA0
    mov dword [edi + TSS_DS], SEL_DATA0
    mov dword [edi + TSS_ES], SEL_DATA0
    mov dword [edi + TSS_FS], SEL_DATA0
    mov dword [edi + TSS_GS], SEL_DATA0
    mov dword [edi + TSS_SS0], SEL_DATA0
    mov dword [edi + TSS_ESP0], ebx
    mov word [edi + TSS_IOMAP], TSS_SIZE    ; no I/O bitmap
    ret

setup:
    mov edi, tssb
    mov eax, task_b
    mov ebx, stack_b_top
    mov ecx, 0xb0b0b0b0
    call init_tss
    mov edi, tssc
    mov eax, task_c
    mov ebx, stack_c_top
    mov ecx, 0xc0c0c0c0
    call init_tss
    mov edi, tssd
    mov eax, task_d
    mov ebx, stack_d_top
    mov ecx, 0xd0d0d0d0
    call init_tss
    SETDESC SEL_TSSB, tssb, TSS_LIMIT, D_TSS32
    SETDESC SEL_TSSC, tssc, TSS_LIMIT, D_TSS32
    SETDESC SEL_TSSD, tssd, TSS_LIMIT, D_TSS32
    ; task gate: selector in bytes 2-3, type 85h (P, DPL0, type 5)
    mov dword [gdt + SEL_TGATE_C], SEL_TSSC << 16
    mov dword [gdt + SEL_TGATE_C + 4], 0x00008500
    SETGATE VEC_TASK, 0, SEL_TSSD, G_TASK
    ret

; Every task records: TR, EFLAGS, its back link, the type bytes of the TSS
; descriptors A (SEL_TSS0) and B/C/D, and EAX as loaded from its TSS.
%macro RECORD 1
    str ax
    mov [res + 0*4], eax
    pushfd
    pop dword [res + 1*4]
    movzx eax, word [%1 + TSS_LINK]
    mov [res + 2*4], eax
    movzx eax, byte [gdt + SEL_TSS0 + 5]
    mov [res + 3*4], eax
    movzx eax, byte [gdt + SEL_TSSB + 5]
    mov [res + 4*4], eax
    movzx eax, byte [gdt + SEL_TSSC + 5]
    mov [res + 5*4], eax
    movzx eax, byte [gdt + SEL_TSSD + 5]
    mov [res + 6*4], eax
    mov [res + 7*4], esi            ; ESI = first word of the task's EAX save
%endmacro

; Task B: entered by JMP (returns by JMP) or CALL (returns by IRET).
task_b:
    mov esi, eax
    RECORD tssb
    pushfd
    test dword [esp], FL_NT
    pop eax
    jz .by_jmp
    mov eax, 0xb1b1b1b1            ; saved in B's TSS on the way out
    iretd
    jmp task_b                      ; re-entry resumes here
.by_jmp:
    mov eax, 0xb2b2b2b2
    jmp SEL_TSS0:0
    jmp task_b

task_c:
    mov esi, eax
    RECORD tssc
    iretd
    jmp task_c

task_d:
    mov esi, eax
    RECORD tssd
    iretd
    jmp task_d

print_res:
    P " tr="
    H16 [res + 0*4]
    mov eax, [res + 1*4]
    and eax, ~ARITH_FLAGS
    R "efl", eax
    R16 "link", [res + 2*4]
    R8 "typeA", [res + 3*4]
    R8 "typeB", [res + 4*4]
    R8 "typeC", [res + 5*4]
    R8 "typeD", [res + 6*4]
    R "eax", [res + 7*4]
    NL
    ret

; Prints the state the CPU saved in the outgoing TSS (SDM Vol. 3A, 8.3 step 8).
; %1 = TSS, %2 = name
%macro SAVED 2
    P " saved in ", %2, ":"
    R "eip", [%1 + TSS_EIP]
    mov eax, [%1 + TSS_EFLAGS]
    and eax, ~ARITH_FLAGS
    R "efl", eax
    R "eax", [%1 + TSS_EAX]
    R "ecx", [%1 + TSS_ECX]
    R "edx", [%1 + TSS_EDX]
    R "ebx", [%1 + TSS_EBX]
    NL
    P "   "
    R "esp", [%1 + TSS_ESP]
    R "ebp", [%1 + TSS_EBP]
    R "esi", [%1 + TSS_ESI]
    R "edi", [%1 + TSS_EDI]
    R16 "es", [%1 + TSS_ES]
    R16 "cs", [%1 + TSS_CS]
    R16 "ss", [%1 + TSS_SS]
    R16 "ds", [%1 + TSS_DS]
    R16 "fs", [%1 + TSS_FS]
    R16 "gs", [%1 + TSS_GS]
    NL
%endmacro

; Loads recognisable values into the general registers before a switch.
%macro MARK_REGS 0
    mov eax, 0xa0a0a0a0
    mov ecx, 0xa1a1a1a1
    mov edx, 0xa2a2a2a2
    mov ebx, 0xa3a3a3a3
    mov ebp, 0xa5a5a5a5
    mov esi, 0xa6a6a6a6
    mov edi, 0xa7a7a7a7
    mov ax, SEL_DATA3               ; FS/GS are saved as they are
    mov fs, ax
    mov ax, SEL_DATA0
    mov gs, ax
    mov eax, 0xa0a0a0a0
%endmacro

%macro RESTORE_SEGS 0
    mov ax, SEL_DATA0
    mov fs, ax
    mov gs, ax
%endmacro

test_jmp:
    PL "jmp to TSS B:"
    MARK_REGS
    jmp SEL_TSSB:0
.back:
    RESTORE_SEGS
    P " in B:"
    call print_res
    SAVED tss0, "A"
    P " A after return: "
    call print_cur
    P " B's saved eip="
    H32 [tssb + TSS_EIP]
    R "eax", [tssb + TSS_EAX]
    P " (jmp site "
    H32 .back
    PL ")"
    ret

; print_cur: TR, EFLAGS and the current type bytes.
print_cur:
    str ax
    R16 "tr", eax
    pushfd
    pop eax
    and eax, ~ARITH_FLAGS
    R "efl", eax
    movzx eax, byte [gdt + SEL_TSS0 + 5]
    R8 "typeA", eax
    movzx eax, byte [gdt + SEL_TSSB + 5]
    R8 "typeB", eax
    NL
    ret

test_call:
    PL "call to TSS B (nested, NT=1):"
    MARK_REGS
    call SEL_TSSB:0
.back:
    RESTORE_SEGS
    P " in B:"
    call print_res
    SAVED tss0, "A"
    P " A after iret: "
    call print_cur
    P " B's saved eip="
    H32 [tssb + TSS_EIP]
    R "eax", [tssb + TSS_EAX]
    R "efl", [tssb + TSS_EFLAGS]
    NL
    ret

test_gate:
    PL "call through task gate in the GDT -> TSS C:"
    MARK_REGS
    call SEL_TGATE_C:0
    RESTORE_SEGS
    P " in C:"
    call print_res
    ret

test_int_gate:
    PL "int 60h through a task gate in the IDT -> TSS D:"
    MARK_REGS
    int VEC_TASK
    RESTORE_SEGS
    P " in D:"
    call print_res
    P " second int 60h:"
    mov dword [res + 7*4], 0
    int VEC_TASK
    call print_res
    ret

test_busy:
    CASE "jmp to the running task (busy)", .c1
    jmp SEL_TSS0:0
    NOFAULT
.c1:
    CASE "call to the running task (busy)", .c2
    call SEL_TSS0:0
    NOFAULT
.c2:
    ; B is not busy now; mark it busy by hand and try to enter it.
    or byte [gdt + SEL_TSSB + 5], TYPE_BUSY
    CASE "call to a TSS marked busy", .c3
    call SEL_TSSB:0
    NOFAULT
.c3:
    and byte [gdt + SEL_TSSB + 5], ~TYPE_BUSY
    ret

test_iret_nt:
    ; IRET with NT=1 returns to the task in our back link, which is null.
    mov word [tss0 + TSS_LINK], 0
    CASE "iret with NT=1 and a null back link", .c1
    pushfd
    or dword [esp], FL_NT
    popfd
    iretd
    NOFAULT
.c1:
    ret

section .bss
alignb 16
tssb:       resb TSS_SIZE
tssc:       resb TSS_SIZE
tssd:       resb TSS_SIZE
res:        resd 8
alignb 16
stack_b:    resb 1024
stack_b_top:
stack_c:    resb 1024
stack_c_top:
stack_d:    resb 1024
stack_d_top:
