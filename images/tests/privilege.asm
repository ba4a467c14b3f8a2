; privilege.asm — privilege-level transitions and checks (SDM Vol. 3A,
; chapters 5 and 6, Vol. 1 chapter 19): ring 0 -> 3 by IRET and RETF
; (data segment nulling), INT n through DPL3 interrupt and trap gates with
; the TSS stack switch, call gates with parameter copying and RETF n,
; conforming code, SYSENTER/SYSEXIT, IOPL and the I/O permission bitmap,
; CLI/STI/PUSHF/POPF at different CPL/IOPL.
;
; Ring-3 snippets record what they see in `res` and return with INT 0FEh;
; everything is printed from ring 0 afterwards.
;
; QEMU: qemu-system-i386 -M pc -m 32 -display none -nodefaults -serial stdio
;       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot
;       -kernel privilege.elf
; Needs: SYSENTER/SYSEXIT and MSRs 174h-176h.

%include "lib.inc"

SEL_CONF        equ SEL_EXTRA + 0x00    ; conforming code, DPL 0
SEL_CALLGATE3   equ SEL_EXTRA + 0x08    ; call gate DPL3 -> SEL_CODE0, 2 params
SEL_CALLGATE0   equ SEL_EXTRA + 0x10    ; call gate DPL0 -> SEL_CODE0, 0 params
SEL_CODE0_NC    equ SEL_CODE0           ; non-conforming DPL 0

VEC_INT_U       equ 0x50                ; DPL3 interrupt gate
VEC_TRAP_U      equ 0x51                ; DPL3 trap gate

MSR_SYSENTER_CS equ 0x174
MSR_SYSENTER_ESP equ 0x175
MSR_SYSENTER_EIP equ 0x176
SYSENTER_STACK  equ kstack_top - 0x400

ARITH_FLAGS     equ FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF
PORT_DENIED     equ 0x80
PORT_ALLOWED    equ 0x81
PORT_PAIR_LO    equ 0x87                ; allowed; 0x88 denied

main:
    PL "privilege: rings, gates, SYSENTER, IOPL, I/O bitmap"
    call setup
    call test_iret_retf
    call test_int_gates
    call test_call_gates
    call test_conforming
    call test_sysenter
    call test_io
    call test_flags
    DONE

setup:
    SETDESC SEL_CONF, 0, 0xfffff, 0xC09E
    ; call gate: offset 15:0 | selector << 16; type 0Ch, DPL, param count
    mov eax, callgate_target
    mov [gdt + SEL_CALLGATE3], ax
    mov word [gdt + SEL_CALLGATE3 + 2], SEL_CODE0
    mov word [gdt + SEL_CALLGATE3 + 4], 0xEC02
    shr eax, 16
    mov [gdt + SEL_CALLGATE3 + 6], ax
    mov eax, callgate0_target
    mov [gdt + SEL_CALLGATE0], ax
    mov word [gdt + SEL_CALLGATE0 + 2], SEL_CODE0
    mov word [gdt + SEL_CALLGATE0 + 4], 0x8C00
    shr eax, 16
    mov [gdt + SEL_CALLGATE0 + 6], ax
    SETGATE VEC_INT_U, gate_handler, SEL_CODE0, G_INT32_U
    SETGATE VEC_TRAP_U, gate_handler, SEL_CODE0, G_TRAP32_U
    ; I/O bitmap: deny PORT_DENIED and PORT_PAIR_LO + 1.
    or byte [tss0 + TSS_SIZE + PORT_DENIED / 8], 1 << (PORT_DENIED % 8)
    or byte [tss0 + TSS_SIZE + (PORT_PAIR_LO + 1) / 8], 1 << ((PORT_PAIR_LO + 1) % 8)
    ret

; PRES label, index — print " label=XXXXXXXX" from res[index].
%macro PRES 2
    R %1, [res + (%2) * 4]
%endmacro
%macro PRES16 2
    R16 %1, [res + (%2) * 4]
%endmacro

%macro CLEAR_RES 0
    mov edi, res
    mov ecx, RES_WORDS
    mov eax, 0xcccccccc
    rep stosd
%endmacro

; ---------------------------------------------------------------------------
; IRET and RETF to ring 3. Data segment registers holding a selector whose
; DPL is below the new CPL (and not conforming code) are nulled (SDM Vol. 2A,
; IRET/RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL").
; ---------------------------------------------------------------------------
test_iret_retf:
    PL "iret to ring 3 with ds=0010 es=0023 fs=0008 gs=conforming:"
    CLEAR_RES
    mov dword [back_hit], 0
    TRY .c1
    mov ax, SEL_DATA0
    mov ds, ax
    mov ax, SEL_DATA3
    mov es, ax
    mov ax, SEL_CODE0
    mov fs, ax
    mov ax, SEL_CONF
    mov gs, ax
    push dword SEL_DATA3
    push dword ustack_top
    pushfd
    push dword SEL_CODE3
    push dword r3_segs
    iretd
.c1:
    call print_segs
    PL "retf to ring 3 (same segments):"
    CLEAR_RES
    mov dword [back_hit], 0
    TRY .c2
    mov ax, SEL_DATA0
    mov ds, ax
    mov ax, SEL_DATA3
    mov es, ax
    mov ax, SEL_CODE0
    mov fs, ax
    mov ax, SEL_CONF
    mov gs, ax
    push dword SEL_DATA3
    push dword ustack_top - 0x10
    push dword SEL_CODE3
    push dword r3_segs
    retf
.c2:
    call print_segs
    ret

; Ring 3: DS may be null now, so store through SS.
r3_segs:
    mov [ss:res + 0*4], cs
    mov [ss:res + 1*4], ss
    mov [ss:res + 2*4], ds
    mov [ss:res + 3*4], es
    mov [ss:res + 4*4], fs
    mov [ss:res + 5*4], gs
    mov [ss:res + 6*4], esp
    BACK

print_segs:
    P " "
    PRES16 "cs", 0
    PRES16 "ss", 1
    PRES16 "ds", 2
    PRES16 "es", 3
    PRES16 "fs", 4
    PRES16 "gs", 5
    PRES "esp", 6
    NL
    ret

; ---------------------------------------------------------------------------
; INT n from ring 3 through DPL3 gates: stack switch to TSS.SS0:ESP0 and a
; frame of SS, ESP, EFLAGS, CS, EIP (SDM Vol. 3A, 6.12.1). An interrupt
; gate clears IF, a trap gate does not.
; ---------------------------------------------------------------------------
test_int_gates:
    PL "int 50h (DPL3 interrupt gate) from ring 3, IF=1:"
    CLEAR_RES
    TRY .c1
    RING3 r3_int50, FL_IF
.c1:
    call print_gate
    PL "int 51h (DPL3 trap gate) from ring 3, IF=1:"
    CLEAR_RES
    TRY .c2
    RING3 r3_int51, FL_IF
.c2:
    call print_gate
    PL "int 50h from ring 0 (no stack switch):"
    CLEAR_RES
    TRY .c3
    mov esi, 0x50505050
    int VEC_INT_U
.c3:
    P " frame:"
    PRES "eip", 0
    PRES16 "cs", 1
    mov eax, [res + 2*4]
    and eax, ~ARITH_FLAGS
    R "efl", eax
    NL
    P " handler: esp="
    H32 [res + 6*4]
    PRES "esi", 7
    NL
    ret

r3_int50:
    mov esi, 0x3333
    int VEC_INT_U
    BACK
r3_int51:
    mov esi, 0x3333
    int VEC_TRAP_U
    BACK

; Records the frame (5 dwords from ESP), ESP and EFLAGS, then unwinds.
gate_handler:
    push ebx
    pushfd
    pop ebx
    mov [ss:res + 5*4], ebx
    pop ebx
    mov [ss:res + 6*4], esp
    push eax
    mov ax, SEL_DATA0
    mov ds, ax
    pop eax
    mov eax, [esp + 0]
    mov [res + 0*4], eax
    mov eax, [esp + 4]
    mov [res + 1*4], eax
    mov eax, [esp + 8]
    mov [res + 2*4], eax
    mov eax, [esp + 12]
    mov [res + 3*4], eax
    mov eax, [esp + 16]
    mov [res + 4*4], eax
    mov [res + 7*4], esi
    jmp unwind

print_gate:
    P " frame:"
    PRES "eip", 0
    PRES16 "cs", 1
    mov eax, [res + 2*4]
    and eax, ~ARITH_FLAGS
    R "efl", eax
    PRES "esp", 3
    PRES16 "ss", 4
    NL
    P " handler: esp="
    H32 [res + 6*4]
    mov eax, [res + 5*4]
    and eax, ~ARITH_FLAGS
    R "efl", eax
    PRES "esi", 7
    NL
    ret

; ---------------------------------------------------------------------------
; Call gates (SDM Vol. 3A, 5.8.5): CALL FAR through a DPL3 gate to ring 0
; copies `count` parameters to the inner stack; RETF 8 pops them from both.
; ---------------------------------------------------------------------------
test_call_gates:
    PL "call gate ring 3 -> ring 0 with 2 parameters:"
    CLEAR_RES
    mov dword [back_hit], 0
    TRY .c1
    RING3 r3_callgate
.c1:
    P " inner stack:"
    PRES "eip", 0
    PRES16 "cs", 1
    PRES "p1", 2
    PRES "p2", 3
    PRES "esp", 4
    PRES16 "ss", 5
    NL
    P " inner: esp="
    H32 [res + 6*4]
    PRES16 "cs", 7
    PRES16 "ss", 8
    P " after retf 8:"
    PRES "esp", 9
    PRES16 "cs", 10
    NL
    PL "call gate ring 0 -> ring 0 (DPL0 gate, no stack switch):"
    CLEAR_RES
    mov ebx, esp
    call SEL_CALLGATE0:0xdead       ; the offset is ignored
.ret_site:
    sub ebx, esp
    P " esp delta after return="
    H32 ebx
    PRES16 "cs in target", 0
    PRES "pushed eip", 1
    PRES16 "pushed cs", 2
    P " (return site "
    H32 .ret_site
    PL ")"
    CASE "call gate DPL0 from ring 3", .c2
    RING3 r3_callgate0
.c2:
    CASE "jmp far to non-conforming DPL0 code from ring 3", .c3
    RING3 r3_jmp_nc
.c3:
    ret

r3_callgate:
    push dword 0x11111111           ; p1 (pushed first, deeper)
    push dword 0x22222222           ; p2
    call SEL_CALLGATE3:0
    mov [res + 9*4], esp
    mov [res + 10*4], cs
    BACK

r3_callgate0:
    call SEL_CALLGATE0:0
    BACK

r3_jmp_nc:
    jmp SEL_CODE0_NC:r3_segs
    BACK

callgate_target:
    mov [ss:res + 6*4], esp
    mov [ss:res + 7*4], cs
    mov [ss:res + 8*4], ss
    push eax
    push ds
    mov ax, SEL_DATA0
    mov ds, ax
    xor ecx, ecx
.copy:
    mov eax, [esp + 8 + ecx*4]
    mov [res + ecx*4], eax
    inc ecx
    cmp ecx, 6
    jb .copy
    pop ds
    pop eax
    retf 8

callgate0_target:
    mov [res + 0*4], cs
    mov eax, [esp]
    mov [res + 1*4], eax
    mov eax, [esp + 4]
    mov [res + 2*4], eax
    retf

; ---------------------------------------------------------------------------
; Conforming code (SDM Vol. 3A, 5.8.1.2): callable from ring 3 without a
; gate; runs at CPL 3 (CS.RPL stays 3).
; ---------------------------------------------------------------------------
test_conforming:
    PL "far call from ring 3 to conforming DPL0 code:"
    CLEAR_RES
    mov dword [back_hit], 0
    TRY .c1
    RING3 r3_conf
.c1:
    P " "
    PRES16 "cs in conforming code", 0
    PRES16 "ss", 1
    PRES16 "cs after retf", 2
    NL
    ret

r3_conf:
    call SEL_CONF:conf_target
    mov [res + 2*4], cs
    BACK

conf_target:
    mov [res + 0*4], cs
    mov [res + 1*4], ss
    retf

; ---------------------------------------------------------------------------
; SYSENTER/SYSEXIT (SDM Vol. 2B): flat segments derived from
; IA32_SYSENTER_CS (CS, CS+8 for SS; CS+16, CS+24 with RPL 3 on SYSEXIT).
; ---------------------------------------------------------------------------
test_sysenter:
    xor edx, edx
    mov ecx, MSR_SYSENTER_CS
    mov eax, SEL_CODE0
    wrmsr
    mov ecx, MSR_SYSENTER_ESP
    mov eax, SYSENTER_STACK
    wrmsr
    mov ecx, MSR_SYSENTER_EIP
    mov eax, sysenter_target
    wrmsr
    PL "sysenter from ring 3 (IF=1), sysexit back:"
    CLEAR_RES
    mov dword [back_hit], 0
    TRY .c1
    RING3 r3_sysenter, FL_IF
.c1:
    P " in kernel:"
    PRES16 "cs", 0
    PRES16 "ss", 1
    PRES "esp", 2
    mov eax, [res + 3*4]
    and eax, ~ARITH_FLAGS
    R "efl", eax
    NL
    P " after sysexit:"
    PRES16 "cs", 4
    PRES16 "ss", 5
    PRES "esp", 6
    PRES "eip-ok", 7
    NL
    CASE "sysenter with IA32_SYSENTER_CS=0", .c2
    xor eax, eax
    xor edx, edx
    mov ecx, MSR_SYSENTER_CS
    wrmsr
    RING3 r3_sysenter
.c2:
    CASE "sysexit from ring 3", .c3
    RING3 r3_sysexit
.c3:
    ret

r3_sysenter:
    mov ecx, ustack_top - 0x40      ; ESP for SYSEXIT
    mov edx, .back                  ; EIP for SYSEXIT
    sysenter
.back:
    mov [res + 4*4], cs
    mov [res + 5*4], ss
    mov [res + 6*4], esp
    mov dword [res + 7*4], 1
    BACK

r3_sysexit:
    sysexit
    BACK

sysenter_target:
    mov [ss:res + 0*4], cs
    mov [ss:res + 1*4], ss
    mov [ss:res + 2*4], esp
    pushfd
    pop dword [ss:res + 3*4]
    sysexit

; ---------------------------------------------------------------------------
; I/O permission (SDM Vol. 1, 19.5): CPL > IOPL consults the TSS bitmap,
; every byte of a multi-byte access must be allowed.
; ---------------------------------------------------------------------------
%macro R3IO 2-3 0
    P %1, ": "
    mov dword [back_hit], 0
    TRY %%c
    RING3 %2, %3
%%c:
    cmp dword [back_hit], 0
    je %%d
    PL "no exception"
%%d:
%endmacro

test_io:
    R3IO "IOPL0 out 80h (denied)", r3_out_denied
    R3IO "IOPL0 out 81h (allowed)", r3_out_allowed
    R3IO "IOPL0 in al, 80h (denied)", r3_in_denied
    R3IO "IOPL0 out 87h, ax (87h allowed, 88h denied)", r3_out_pair
    R3IO "IOPL0 out 86h, ax (86h, 87h allowed)", r3_out_pair_ok
    R3IO "IOPL0 outsb to 80h", r3_outsb
    R3IO "IOPL3 out 80h", r3_out_denied, FL_IOPL3
    R3IO "IOPL3 in al, 80h", r3_in_denied, FL_IOPL3
    ret

r3_out_denied:
    out PORT_DENIED, al
    BACK
r3_out_allowed:
    out PORT_ALLOWED, al
    BACK
r3_in_denied:
    in al, PORT_DENIED
    BACK
r3_out_pair:
    mov dx, PORT_PAIR_LO
    out dx, ax
    BACK
r3_out_pair_ok:
    mov dx, PORT_PAIR_LO - 1
    out dx, ax
    BACK
r3_outsb:
    mov dx, PORT_DENIED
    mov esi, res
    outsb
    BACK

; ---------------------------------------------------------------------------
; CLI/STI/POPF (SDM Vol. 2B POPF, Vol. 3A 6.8.1): at CPL 0 POPF changes IOPL
; and IF; at CPL 3 with IOPL 3 it changes IF but not IOPL; at CPL 3 with
; IOPL 0 it changes neither (silently); CLI/STI #GP when CPL > IOPL.
; ---------------------------------------------------------------------------
test_flags:
    PL "popf at CPL 0 (set IOPL=3, IF=1, AC, then clear):"
    pushfd
    pop ebx
    push dword FL_IOPL3 | FL_IF | FL_AC | FL_NT | 2
    popfd
    pushfd
    pop eax
    push ebx
    popfd
    and eax, ~ARITH_FLAGS
    P " efl="
    H32 eax
    NL
    PL "popf at CPL 3, IOPL 0 (try IOPL=3, IF=1, AC, DF, NT):"
    CLEAR_RES
    TRY .c1
    RING3 r3_popf
.c1:
    call print_popf
    PL "popf at CPL 3, IOPL 3 (try IOPL=0, IF=1, AC, DF, NT):"
    CLEAR_RES
    TRY .c2
    RING3 r3_popf_iopl3, FL_IOPL3
.c2:
    call print_popf
    R3IO "cli at CPL 3, IOPL 0", r3_cli
    R3IO "sti at CPL 3, IOPL 0", r3_sti
    R3IO "cli/sti at CPL 3, IOPL 3", r3_clisti, FL_IOPL3
    P " efl after sti="
    mov eax, [back_regs + BACK_EFL]
    and eax, ~ARITH_FLAGS
    H32 eax
    NL
    ret

r3_popf:
    pushfd
    pop dword [res + 0*4]
    push dword FL_IOPL3 | FL_IF | FL_AC | FL_DF | FL_NT | 2
    popfd
    pushfd
    pop dword [res + 1*4]
    cld
    push dword [res + 0*4]
    popfd
    BACK

r3_popf_iopl3:
    pushfd
    pop dword [res + 0*4]
    push dword FL_IF | FL_AC | FL_DF | FL_NT | 2
    popfd
    pushfd
    pop dword [res + 1*4]
    cld
    push dword [res + 0*4]
    popfd
    BACK

print_popf:
    mov eax, [res + 0*4]
    and eax, ~ARITH_FLAGS
    R "before", eax
    mov eax, [res + 1*4]
    and eax, ~ARITH_FLAGS
    R "after", eax
    NL
    ret

r3_cli:
    cli
    BACK
r3_sti:
    sti
    BACK
r3_clisti:
    cli
    sti
    BACK

section .bss
RES_WORDS       equ 16
res:        resd RES_WORDS
