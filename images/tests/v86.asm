; v86.asm — virtual-8086 mode (SDM Vol. 3B, chapter 21): entry by IRET with
; EFLAGS.VM=1, real-mode addressing inside, INT n with IOPL=3 (through the
; protected-mode IDT, frame with the v86 segment registers) and IOPL<3
; (#GP to the ring-0 monitor), IOPL-sensitive PUSHF/POPF/CLI/STI, IN/OUT
; through the TSS I/O bitmap, INT3 and a DPL0 gate, return to protected mode
; through an interrupt gate.
;
; v86 code runs with CS=FFFFh (base FFFF0h, A20 on) so offsets are
; LIN(label) - V86_BASE. Results are stored at RES (linear 6000h) through
; ES=0 and printed in protected mode.
;
; QEMU: qemu-system-i386 -M pc -m 32 -display none -nodefaults -serial stdio
;       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot -kernel v86.elf

%include "lib.inc"

V86_BASE        equ 0xFFFF0
V86_CS          equ 0xFFFF
V86_SP          equ 0x7000
RES             equ 0x6000
RES_BYTES       equ 0x40
SEG_PROBE_LIN   equ 0x12350         ; 1234h:0010h
VEC_V86_INT     equ 0x61            ; DPL3 interrupt gate, records its frame
VEC_DPL0        equ 0x62            ; DPL0 interrupt gate
PORT_DENIED     equ 0x80
PORT_ALLOWED    equ 0x81
ARITH_FLAGS     equ FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF

R_SEG1          equ RES + 0x00      ; dword at 1234h:0010h
R_SEG2          equ RES + 0x04      ; dword at 1235h:0000h
R_PUSHF         equ RES + 0x08      ; PUSHF (16-bit) in v86
R_PUSHFD        equ RES + 0x0c      ; PUSHFD in v86
R_POPF          equ RES + 0x10      ; flags after POPF trying IOPL=0, IF=1
R_CS            equ RES + 0x14
R_REACHED       equ RES + 0x18      ; last checkpoint reached
R_OPSIZE        equ RES + 0x1c      ; 66h-prefixed arithmetic
R_SP            equ RES + 0x20

main:
    PL "v86: virtual-8086 mode"
    SETGATE VEC_V86_INT, v86_int_handler, SEL_CODE0, G_INT32_U
    SETGATE VEC_DPL0, v86_int_handler, SEL_CODE0, G_INT32
    or byte [tss0 + TSS_SIZE + PORT_DENIED / 8], 1 << (PORT_DENIED % 8)
    mov dword [SEG_PROBE_LIN], 0x11223344
    call test_iopl3
    call test_iopl0
    DONE

; V86 label, eflags — IRET into v86 mode at label with SS:SP = 0:V86_SP and
; DS=ES=FS=GS=0.
%macro V86 2
    push dword 0                    ; GS
    push dword 0                    ; FS
    push dword 0                    ; DS
    push dword 0                    ; ES
    push dword 0                    ; SS
    push dword V86_SP
    push dword FL_VM | 2 | (%2)
    push dword V86_CS
    push dword LIN(%1) - V86_BASE
    iretd
%endmacro

%macro CLEAR_RES 0
    mov edi, RES
    mov ecx, RES_BYTES / 4
    mov eax, 0xcccccccc
    rep stosd
    mov edi, frame
    mov ecx, FRAME_WORDS
    rep stosd
%endmacro

; The gate handler records the 9-dword frame pushed when interrupting v86
; code (EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS) and the data segment
; registers as found on entry (the CPU loads them with null, SDM Vol. 3B,
; 21.3.1.1), then unwinds to the TRY point.
v86_int_handler:
    mov [ss:frame + 9*4], ds
    mov [ss:frame + 10*4], es
    mov [ss:frame + 11*4], fs
    mov [ss:frame + 12*4], gs
    mov [ss:frame + 13*4], esp
    push eax
    push ecx
    mov ax, SEL_DATA0
    mov ds, ax
    xor ecx, ecx
.copy:
    mov eax, [esp + 8 + ecx*4]
    mov [frame + ecx*4], eax
    inc ecx
    cmp ecx, 9
    jb .copy
    pop ecx
    pop eax
    jmp unwind

print_frame:
    P " frame:"
    R "eip", [frame + 0*4]
    R16 "cs", [frame + 1*4]
    mov eax, [frame + 2*4]
    and eax, ~ARITH_FLAGS
    R "efl", eax
    R "esp", [frame + 3*4]
    R16 "ss", [frame + 4*4]
    R16 "es", [frame + 5*4]
    R16 "ds", [frame + 6*4]
    R16 "fs", [frame + 7*4]
    R16 "gs", [frame + 8*4]
    NL
    P " handler: ds="
    H16 [frame + 9*4]
    R16 "es", [frame + 10*4]
    R16 "fs", [frame + 11*4]
    R16 "gs", [frame + 12*4]
    R "esp", [frame + 13*4]
    NL
    ret

; ---------------------------------------------------------------------------
test_iopl3:
    PL "v86 with IOPL=3: segment arithmetic, flags, int 61h (DPL3 gate):"
    CLEAR_RES
    TRY .c1
    V86 v86_main, FL_IOPL3
.c1:
    call print_frame
    P " cs="
    H16 [R_CS]
    P " 1234h:0010h="
    H32 [R_SEG1]
    P " 1235h:0000h="
    H32 [R_SEG2]
    P " 66h add -> "
    H32 [R_OPSIZE]
    NL
    P " pushf="
    mov eax, [R_PUSHF]
    and eax, 0xffff & ~ARITH_FLAGS
    H16 eax
    P " pushfd="
    mov eax, [R_PUSHFD]
    and eax, ~ARITH_FLAGS
    H32 eax
    P " after popf(IOPL=0,IF=1)="
    mov eax, [R_POPF]
    and eax, 0xffff & ~ARITH_FLAGS
    H16 eax
    NL
    CASE "v86 IOPL=3: int 3 through a DPL0 gate", .c2
    V86 v86_int3, FL_IOPL3
.c2:
    CASE "v86 IOPL=3: int 62h through a DPL0 gate", .c3
    V86 v86_int62, FL_IOPL3
.c3:
    CASE "v86 IOPL=3: in al, 80h (denied in bitmap)", .c4
    V86 v86_in_denied, FL_IOPL3
.c4:
    CASE "v86 IOPL=3: out 81h (allowed)", .c5
    V86 v86_out_allowed, FL_IOPL3
.c5:
    P " reached="
    H16 [R_REACHED]
    NL
    CASE "v86 IOPL=3: hlt", .c6
    V86 v86_hlt, FL_IOPL3
.c6:
    ret

; ---------------------------------------------------------------------------
test_iopl0:
    CASE "v86 IOPL=0: int 61h", .c1
    V86 v86_int61, 0
.c1:
    CASE "v86 IOPL=0: pushf", .c2
    V86 v86_pushf, 0
.c2:
    CASE "v86 IOPL=0: popf", .c3
    V86 v86_popf, 0
.c3:
    CASE "v86 IOPL=0: cli", .c4
    V86 v86_cli, 0
.c4:
    CASE "v86 IOPL=0: sti", .c5
    V86 v86_sti, 0
.c5:
    CASE "v86 IOPL=0: iret", .c6
    V86 v86_iret, 0
.c6:
    CASE "v86 IOPL=0: out 81h (allowed in bitmap)", .c7
    mov word [R_REACHED], 0
    V86 v86_out_allowed, 0
.c7:
    P " reached="
    H16 [R_REACHED]
    NL
    CASE "v86 IOPL=0: out 80h (denied in bitmap)", .c8
    V86 v86_out_denied, 0
.c8:
    ret

bits 16
v86_main:
    mov [es:R_CS], cs
    mov ax, 0x1234
    mov ds, ax
    mov eax, [0x0010]
    mov [es:R_SEG1], eax
    mov ax, 0x1235
    mov ds, ax
    mov eax, [0x0000]
    mov [es:R_SEG2], eax
    mov eax, 0x7fffffff
    add eax, 0x00010001
    mov [es:R_OPSIZE], eax
    pushf
    pop word [es:R_PUSHF]
    pushfd
    pop dword [es:R_PUSHFD]
    push word FL_IF | 2             ; IOPL=0 requested: ignored in v86
    popf
    pushf
    pop word [es:R_POPF]
    cli
    mov ax, 0x5678
    mov fs, ax
    mov ax, 0x9abc
    mov gs, ax
    mov ax, 0x4321
    mov ds, ax
    int VEC_V86_INT
    hlt

v86_int3:
    int3
    hlt
v86_int62:
    int VEC_DPL0
    hlt
v86_in_denied:
    in al, PORT_DENIED
    hlt
v86_out_allowed:
    out PORT_ALLOWED, al
    mov word [es:R_REACHED], 1
    int VEC_V86_INT                 ; IOPL=0: #GP, IOPL=3: the gate
    hlt
v86_out_denied:
    out PORT_DENIED, al
    hlt
v86_hlt:
    hlt
v86_int61:
    int VEC_V86_INT
    hlt
v86_pushf:
    pushf
    hlt
v86_popf:
    push word 2
    popf
    hlt
v86_cli:
    cli
    hlt
v86_sti:
    sti
    hlt
v86_iret:
    iret
bits 32

section .bss
FRAME_WORDS     equ 14
frame:      resd FRAME_WORDS
