; modes.asm — descriptor-table instructions, LAR/LSL/VERR/VERW/ARPL,
; 16-bit protected mode, protected -> real mode and back, real-mode
; segment arithmetic and INT through the IVT, "unreal" FS.
;
; The 16-bit code runs with a code-segment base of 0FFFF0h both in 16-bit
; protected mode and in real mode (CS=FFFFh, which with A20 enabled reaches
; the kernel at 1 MiB), so the same offsets (LIN(label) - RM_BASE) are valid in
; both. Results of the 16-bit parts are stored at RES (linear 6000h) and
; printed back in 32-bit protected mode.
;
; QEMU: qemu-system-i386 -M pc -m 32 -display none -nodefaults -serial stdio
;       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot -kernel modes.elf

%include "lib.inc"

RM_BASE         equ 0xFFFF0         ; CS base in 16-bit PM and real mode
RM_CS           equ 0xFFFF
RES             equ 0x6000          ; result area (below 64 KiB, DS base 0)
RM_STACK        equ 0x7000
STACK16_BASE    equ 0x20000         ; 64 KiB area used as a 16-bit stack
BUF16_BASE      equ 0x30000         ; 64 KiB area used as a 16-bit data segment
SEG_PROBE_LIN   equ 0x12350         ; 1234h:0010h
UNREAL_LIN      equ 0x00200000
WRAP_LIN        equ 0x1001          ; 0100h:(FFFFh+2 wrapped to 0001h)
VEC_RM          equ 0x60

SEL_CODE16      equ SEL_EXTRA + 0x00
SEL_DATA16      equ SEL_EXTRA + 0x08    ; base 0, limit FFFFh, 16-bit
SEL_BUF16       equ SEL_EXTRA + 0x10    ; base BUF16_BASE, limit FFFFh
SEL_STACK16     equ SEL_EXTRA + 0x18    ; base STACK16_BASE, limit FFFFh, B=0
; Descriptors probed with LAR/LSL/VERR/VERW.
SEL_XO          equ SEL_EXTRA + 0x20
SEL_RO          equ SEL_EXTRA + 0x28
SEL_CONF        equ SEL_EXTRA + 0x30
SEL_CALLGATE    equ SEL_EXTRA + 0x38
SEL_LDTDESC     equ SEL_EXTRA + 0x40
SEL_DATA3_SMALL equ SEL_EXTRA + 0x48
SEL_EXPDOWN     equ SEL_EXTRA + 0x50
SEL_NP          equ SEL_EXTRA + 0x58
SEL_TSS16       equ SEL_EXTRA + 0x60
SEL_INTGATE     equ SEL_EXTRA + 0x68
SEL_TASKGATE    equ SEL_EXTRA + 0x70
SEL_CODE3_XO    equ SEL_EXTRA + 0x78
SEL_CONF3       equ SEL_EXTRA + 0x80
SEL_BEYOND      equ 0x0ff8
LAR_MASK        equ 0x00F0FF00
LAR_S           equ 1 << 12             ; code/data (not system) descriptor
LAR_ACCESSED    equ 1 << 8

main:
    PL "modes: descriptor tables, LAR/LSL/VERR/VERW, 16-bit PM, real mode"
    call setup
    call test_tables
    call test_access_rights
    call test_arpl
    call test_16bit_and_real
    DONE

setup:
    SETDESC SEL_CODE16, RM_BASE, 0xffff, D_CODE16
    SETDESC SEL_DATA16, 0, 0xffff, D_DATA16
    SETDESC SEL_BUF16, BUF16_BASE, 0xffff, D_DATA16
    SETDESC SEL_STACK16, STACK16_BASE, 0xffff, D_DATA16
    SETDESC SEL_XO, 0, 0xfffff, 0xC098
    SETDESC SEL_RO, 0, 0xfffff, 0xC090
    SETDESC SEL_CONF, 0, 0xfffff, 0xC09E
    SETDESC SEL_LDTDESC, ldt_area, 0x0f, 0x0082
    SETDESC SEL_DATA3_SMALL, 0x1000, 0x1234, 0x40F2
    SETDESC SEL_EXPDOWN, 0, 0x0fff, 0x4096
    SETDESC SEL_NP, 0, 0xfffff, 0xC012
    SETDESC SEL_TSS16, ldt_area, 0x2b, 0x0081
    SETDESC SEL_CODE3_XO, 0, 0xfffff, 0xC0F8
    SETDESC SEL_CONF3, 0, 0xfffff, 0xC0FE
    ; Gates written by hand: offset 15:0, selector, params, type, offset 31:16.
    mov dword [gdt + SEL_CALLGATE], (SEL_CODE0 << 16) | 0x1234
    mov dword [gdt + SEL_CALLGATE + 4], 0x0000EC02  ; 32-bit call gate, DPL3, 2 params
    mov dword [gdt + SEL_INTGATE], (SEL_CODE0 << 16) | 0x5678
    mov dword [gdt + SEL_INTGATE + 4], 0x00008E00
    mov dword [gdt + SEL_TASKGATE], (SEL_TSS0 << 16)
    mov dword [gdt + SEL_TASKGATE + 4], 0x0000E500  ; task gate, DPL3
    ret

; ---------------------------------------------------------------------------
; SGDT/SIDT/SLDT/STR/SMSW/LMSW (SDM Vol. 2).
; ---------------------------------------------------------------------------
test_tables:
    sgdt [tmp6]
    P "sgdt limit="
    H16 [tmp6]
    P " base="
    H32 [tmp6 + 2]
    P " (gdt="
    H32 gdt
    PL ")"
    sidt [tmp6]
    P "sidt limit="
    H16 [tmp6]
    P " base="
    H32 [tmp6 + 2]
    P " (idt="
    H32 idt
    PL ")"
    mov eax, 0xdeadbeef
    sldt ax
    P "sldt ax -> eax="
    H32 eax
    mov eax, 0xdeadbeef
    str ax
    P " str ax -> eax="
    H32 eax
    mov eax, 0xdeadbeef
    smsw ax
    P " smsw ax -> eax="
    H32 eax
    NL
    ; 32-bit register forms zero-extend on P6+ (SDM: STR). SMSW r32 is
    ; left out: its upper 16 bits are undefined.
    mov eax, 0xdeadbeef
    str eax
    P "str eax="
    H32 eax
    NL
    ; LMSW loads PE/MP/EM/TS only and can set but not clear PE.
    mov ax, 0x000e                  ; PE=0, MP, EM, TS
    lmsw ax
    mov eax, cr0
    P "after lmsw 000eh: cr0="
    H32 eax
    mov ax, 0x0011
    lmsw ax
    mov eax, cr0
    P ", after lmsw 0011h: cr0="
    H32 eax
    NL
    ; LLDT with a real LDT, then back to null.
    mov ax, SEL_LDTDESC
    lldt ax
    sldt ax
    P "lldt/sldt: "
    H16 eax
    xor eax, eax
    lldt ax
    sldt ax
    P " -> "
    H16 eax
    NL
    ret

; ---------------------------------------------------------------------------
; LAR/LSL/VERR/VERW (SDM Vol. 2A). For each selector: ZF and the result
; (destination preset to DEADBEEF, unchanged when ZF=0). LAR is printed
; ANDed with LAR_MASK: bits 19:16 are undefined for 32-bit operands. For
; code/data descriptors the accessed bit is masked too, because QEMU does
; not set it when loading CS (far JMP, IRET), which the SDM (Vol. 3A,
; 3.4.5.1) says it should.
; ---------------------------------------------------------------------------
probe_selectors:
    dw 0, SEL_CODE0, SEL_DATA0, SEL_CODE3, SEL_DATA3, SEL_TSS0, SEL_CODE16
    dw SEL_DATA16, SEL_XO, SEL_RO, SEL_CONF, SEL_CALLGATE, SEL_LDTDESC
    dw SEL_DATA3_SMALL, SEL_EXPDOWN, SEL_NP, SEL_TSS16, SEL_INTGATE
    dw SEL_TASKGATE, SEL_CODE3_XO, SEL_CONF3, SEL_BEYOND, 0x000c
PROBE_COUNT     equ ($ - probe_selectors) / 2

mask_lar:
    and eax, LAR_MASK
    test eax, LAR_S
    jz .sys
    and eax, ~LAR_ACCESSED
.sys:
    ret

; probe_one: BX = selector; prints one line.
probe_one:
    P "  sel="
    H16 ebx
    mov eax, 0xdeadbeef
    lar eax, ebx
    setz cl
    call mask_lar
    P " lar="
    H8 ecx
    P ":"
    H32 eax
    mov eax, 0xdeadbeef
    lsl eax, ebx
    setz cl
    P " lsl="
    H8 ecx
    P ":"
    H32 eax
    verr bx
    setz cl
    P " verr="
    H8 ecx
    verw bx
    setz cl
    P " verw="
    H8 ecx
    NL
    ret

test_access_rights:
    PL "LAR/LSL/VERR/VERW at CPL 0 (RPL 0):"
    xor esi, esi
.l0:
    movzx ebx, word [probe_selectors + esi*2]
    call probe_one
    inc esi
    cmp esi, PROBE_COUNT
    jb .l0
    ; Same selectors with RPL 3 from ring 3: the DPL checks now matter.
    ; Output goes to a buffer in ring 3 (no I/O there); printed afterwards.
    PL "LAR/LSL/VERR/VERW at CPL 3 (RPL 3):"
    mov dword [back_hit], 0
    TRY .back
    RING3 r3_probe
.back:
    xor esi, esi
.l1:
    P "  sel="
    movzx eax, word [probe_selectors + esi*2]
    or eax, 3
    H16 eax
    lea edi, [r3_results + esi*8]
    P " lar="
    movzx eax, byte [edi]
    H8 eax
    P ":"
    mov eax, [edi + 4]
    call mask_lar
    H32 eax
    P " lsl="
    movzx eax, byte [edi + 1]
    H8 eax
    P ":"
    H32 [r3_lsl + esi*4]
    P " verr="
    movzx eax, byte [edi + 2]
    H8 eax
    P " verw="
    movzx eax, byte [edi + 3]
    H8 eax
    NL
    inc esi
    cmp esi, PROBE_COUNT
    jb .l1
    ret

r3_probe:
    xor esi, esi
.l:
    movzx ebx, word [probe_selectors + esi*2]
    or ebx, 3
    lea edi, [r3_results + esi*8]
    mov eax, 0xdeadbeef
    lar eax, ebx
    setz byte [edi]
    mov [edi + 4], eax
    mov eax, 0xdeadbeef
    lsl eax, ebx
    setz byte [edi + 1]
    mov [r3_lsl + esi*4], eax
    verr bx
    setz byte [edi + 2]
    verw bx
    setz byte [edi + 3]
    inc esi
    cmp esi, PROBE_COUNT
    jb .l
    BACK

; ---------------------------------------------------------------------------
; ARPL r/m16, r16: raise the RPL of the destination to that of the source.
; ---------------------------------------------------------------------------
%macro ARPL_CASE 2
    mov eax, 0x5555_0000 | %1
    mov ebx, %2
    arpl ax, bx
    setz cl
    P "arpl "
    H16 %1
    P ", "
    H16 %2
    P " -> eax="
    H32 eax
    P " zf="
    H8 ecx
    NL
%endmacro

test_arpl:
    ARPL_CASE 0x0010, 0x0003
    ARPL_CASE 0x0013, 0x0001
    ARPL_CASE 0x0012, 0x0012
    ARPL_CASE 0xfff8, 0x0002
    ; Memory destination.
    mov word [tmp6], 0x0029
    mov ebx, 0x0003
    arpl [tmp6], bx
    setz cl
    P "arpl [mem]=0029h, 3 -> "
    H16 [tmp6]
    P " zf="
    H8 ecx
    NL
    ret

; ---------------------------------------------------------------------------
; 16-bit protected mode and real mode.
; ---------------------------------------------------------------------------
R_PM16_PUSH16   equ RES + 0x00      ; ESP delta of PUSH AX (32-bit SS)
R_PM16_PUSH32   equ RES + 0x04      ; ESP delta of PUSH EAX (66h)
R_PM16_CALL     equ RES + 0x08      ; ESP delta of a near CALL
R_PM16_WRAP     equ RES + 0x0c      ; byte read by [bx+si] with bx+si > FFFFh
R_PM16_SIB      equ RES + 0x10      ; dword read with 67h [ebx*4+8]
R_PM16_SP16     equ RES + 0x14      ; ESP after PUSH AX with a 16-bit SS
R_PM16_SPWRAP   equ RES + 0x18      ; ESP after PUSH AX at SP=0
R_PM16_STKWORD  equ RES + 0x1c      ; word written at STACK16_BASE+FFFEh
R_PM16_OPSIZE   equ RES + 0x20      ; result of 16-bit ADD (upper half kept)
R_RM_SEG1       equ RES + 0x24      ; 1234h:0010h
R_RM_SEG2       equ RES + 0x28      ; 1235h:0000h
R_RM_HMA        equ RES + 0x2c      ; FFFFh:0010h (1 MiB)
R_RM_UNREAL     equ RES + 0x30      ; FS:[200000h] after PE=0
R_RM_INT_IP     equ RES + 0x34      ; frame pushed by INT 60h: IP
R_RM_INT_CS     equ RES + 0x36
R_RM_INT_FL     equ RES + 0x38
R_RM_INT_SP     equ RES + 0x3a      ; SP inside the handler
R_RM_FLAGS      equ RES + 0x3c      ; PUSHF in real mode (IF=0)
R_RM_CS         equ RES + 0x40
R_RM_CR0        equ RES + 0x44
R_RM_WRAP       equ RES + 0x48      ; byte at 0100h:[bx+si] wrapped
R_RM_UNREAL_W   equ RES + 0x4c      ; value written through unreal FS
R_RM_AFTER_IP   equ RES + 0x50      ; expected IP after INT 60h
RES_SIZE        equ 0x54

test_16bit_and_real:
    ; Known memory contents for the real-mode probes.
    mov edi, RES
    mov ecx, RES_SIZE / 4
    xor eax, eax
    rep stosd
    mov dword [SEG_PROBE_LIN], 0x11223344
    mov dword [UNREAL_LIN], 0xc0ffee00
    mov byte [WRAP_LIN], 0x5a
    mov byte [WRAP_LIN + 0x10000], 0xa5
    mov byte [BUF16_BASE + 1], 0x77
    mov byte [BUF16_BASE + 0x10001], 0x88
    mov dword [BUF16_BASE + 0x20], 0x13572468
    mov word [STACK16_BASE + 0xfffe], 0
    ; IVT entry for INT 60h in real mode.
    mov word [VEC_RM * 4], LIN(rm_isr) - RM_BASE
    mov word [VEC_RM * 4 + 2], RM_CS
    mov [saved_esp], esp
    jmp SEL_CODE16:(LIN(pm16_entry) - RM_BASE)

bits 16
pm16_entry:
    ; 16-bit code, but SS is still the 32-bit flat segment: pushes use ESP.
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov ebp, esp
    push ax
    mov eax, ebp
    sub eax, esp
    mov [R_PM16_PUSH16], eax
    add esp, 2
    push eax
    mov eax, ebp
    sub eax, esp
    mov [R_PM16_PUSH32], eax
    add esp, 4
    call .near
    jmp .after_call
.near:
    mov eax, ebp
    sub eax, esp
    mov [R_PM16_CALL], eax
    ret
.after_call:
    ; Operand size 16: ADD AX leaves the upper half of EAX alone; 66h
    ; prefixes the 32-bit form.
    mov eax, 0x1234ffff
    add ax, 1
    add eax, 0x10000
    mov [R_PM16_OPSIZE], eax
    ; Address size 16: BX+SI wraps at 64 KiB (SDM Vol. 1, 3.7.5).
    mov ax, SEL_BUF16
    mov fs, ax
    mov bx, 0xffff
    mov si, 2
    mov al, [fs:bx + si]
    mov [R_PM16_WRAP], al
    ; 67h: 32-bit addressing with a scaled index.
    mov ebx, 9
    mov eax, [fs:ebx*4 - 4]
    mov [R_PM16_SIB], eax
    ; A 16-bit stack segment (B=0) uses SP and keeps ESP[31:16].
    mov ax, SEL_STACK16
    mov ss, ax
    mov esp, 0x5a5a0100
    push ax
    mov [R_PM16_SP16], esp
    mov esp, 0x5a5a0000
    mov ax, 0xbeef
    push ax
    mov [R_PM16_SPWRAP], esp
    mov ax, [ss:0xfffe]
    mov [R_PM16_STKWORD], ax
    ; Now to real mode (SDM Vol. 3A, 10.9.2): 16-bit segments with 64 KiB
    ; limits in DS/ES/SS/GS; FS keeps the flat 4 GiB segment ("unreal").
    mov ax, SEL_DATA0
    mov fs, ax
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov gs, ax
    mov ss, ax
    mov esp, RM_STACK
    lidt [cs:LIN(rm_idtr) - RM_BASE]
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp RM_CS:(LIN(rm_entry) - RM_BASE)

rm_entry:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, RM_STACK
    mov ax, cs
    mov [R_RM_CS], ax
    mov eax, cr0
    mov [R_RM_CR0], eax
    ; Segment arithmetic: linear = segment * 16 + offset.
    mov ax, 0x1234
    mov es, ax
    mov eax, [es:0x0010]
    mov [R_RM_SEG1], eax
    mov ax, 0x1235
    mov es, ax
    mov eax, [es:0x0000]
    mov [R_RM_SEG2], eax
    mov ax, 0xffff                  ; FFFFh:0010h = 100000h with A20 on
    mov es, ax
    mov eax, [es:0x0010]
    mov [R_RM_HMA], eax
    ; 16-bit address wrap in real mode: 0100h:(FFFFh + 2) -> 0100h:0001h.
    mov ax, 0x0100
    mov es, ax
    mov bx, 0xffff
    mov si, 2
    mov al, [es:bx + si]
    mov [R_RM_WRAP], al
    ; Unreal mode: FS still has base 0 and a 4 GiB limit from PM.
    mov eax, [fs:dword UNREAL_LIN]
    mov [R_RM_UNREAL], eax
    mov dword [fs:dword UNREAL_LIN + 4], 0x0badf00d
    mov eax, [fs:dword UNREAL_LIN + 4]
    mov [R_RM_UNREAL_W], eax
    ; INT through the IVT: pushes FLAGS, CS, IP.
    mov word [R_RM_AFTER_IP], LIN(rm_entry.after_int) - RM_BASE
    int VEC_RM
.after_int:
    pushf
    pop ax
    mov [R_RM_FLAGS], ax
    ; Back to protected mode.
    cli
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword SEL_CODE0:pm32_back

rm_isr:
    mov bp, sp
    mov ax, [bp]
    mov [R_RM_INT_IP], ax
    mov ax, [bp + 2]
    mov [R_RM_INT_CS], ax
    mov ax, [bp + 4]
    mov [R_RM_INT_FL], ax
    mov [R_RM_INT_SP], sp
    iret

rm_idtr:
    dw 0x3ff
    dd 0

bits 32
pm32_back:
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, [saved_esp]
    lidt [idtr]
    PL "16-bit protected mode (CS.D=0):"
    P "  push ax: esp-="
    H32 [R_PM16_PUSH16]
    P ", push eax: esp-="
    H32 [R_PM16_PUSH32]
    P ", call near: esp-="
    H32 [R_PM16_CALL]
    NL
    P "  mov eax,1234ffffh; add ax,1; add eax,10000h -> "
    H32 [R_PM16_OPSIZE]
    NL
    P "  [bx+si] with bx=ffffh si=2 -> "
    H8 [R_PM16_WRAP]
    P ", 67h [ebx*4-4] with ebx=9 -> "
    H32 [R_PM16_SIB]
    NL
    P "  16-bit SS: esp after push from 5a5a0100h="
    H32 [R_PM16_SP16]
    P ", from 5a5a0000h="
    H32 [R_PM16_SPWRAP]
    P ", word at ss:fffeh="
    H16 [R_PM16_STKWORD]
    NL
    PL "real mode:"
    P "  cs="
    H16 [R_RM_CS]
    P " cr0="
    H32 [R_RM_CR0]
    NL
    P "  1234h:0010h="
    H32 [R_RM_SEG1]
    P " 1235h:0000h="
    H32 [R_RM_SEG2]
    P " ffffh:0010h="
    H32 [R_RM_HMA]
    NL
    P "  0100h:[bx+si] bx=ffffh si=2 -> "
    H8 [R_RM_WRAP]
    NL
    P "  unreal fs:[200000h]="
    H32 [R_RM_UNREAL]
    P " after write="
    H32 [R_RM_UNREAL_W]
    NL
    P "  int 60h frame: ip="
    H16 [R_RM_INT_IP]
    P " (expected "
    H16 [R_RM_AFTER_IP]
    P ") cs="
    H16 [R_RM_INT_CS]
    P " flags="
    mov eax, [R_RM_INT_FL]
    and eax, ~(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
    H16 eax
    P " sp="
    H16 [R_RM_INT_SP]
    NL
    P "  pushf (arithmetic flags masked)="
    mov eax, [R_RM_FLAGS]
    and eax, ~(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
    H16 eax
    NL
    P "back in protected mode: cr0="
    mov eax, cr0
    H32 eax
    NL
    ret

section .data
align 8
ldt_area:   times 16 db 0
tmp6:       times 8 db 0
saved_esp:  dd 0
r3_results: times 64 dq 0
r3_lsl:     times 64 dd 0
