; fpu.asm — system-level x87/SSE behaviour, compared between QEMU and tabvm
; (test/cpu/x87/fpu-system.test.ts; built with images/tests/lib.inc).
;
; Prints, as hex, the memory images of FNSTENV/FNSAVE in the 32-bit and
; 16-bit formats, protected and real mode (SDM Vol. 1, 8.1.10, Figures 8-9
; to 8-12),
; FLDENV/FRSTOR of crafted images read back, FXSAVE of a known state and
; FXRSTOR/FXSAVE round trips (Vol. 1, 10.5.1, Table 10-2), and the exception
; lines for: CR0.TS/EM/MP and #NM (Vol. 3A, 2.5, Table 12-1 / 9-2), CLTS
; then FNINIT, #MF with CR0.NE=1 versus FERR#/IRQ 13 with NE=0 (Vol. 1,
; D.2.1: the PC routes FERR# to IRQ 13, cleared by a write to port F0h),
; #XM versus #UD by CR4.OSXMMEXCPT (Vol. 3A, 2.5, 6.15 interrupt 19) and the
; #GP(0) of misaligned 16-byte SSE operands (Vol. 2, MOVAPS).
;
; FIP/FCS/FDP/FDS (FOP in FXSAVE) are masked to zero before printing: QEMU
; TCG does not track the last instruction and data pointers like hardware.
;
; Lives in its own directory so that test/system/kernels.test.ts (which runs
; every images/tests/*.asm on QEMU's default CPU, without SSE/FXSR) does not
; pick it up; QEMU runs it with -cpu max.

%include "lib.inc"

CR0_MP          equ 1 << 1
CR0_EM          equ 1 << 2
CR0_TS          equ 1 << 3
CR0_NE          equ 1 << 5
CR4_OSFXSR      equ 1 << 9
CR4_OSXMMEXCPT  equ 1 << 10

FCW_DEFAULT     equ 0x037f
FCW_ZE_UNMASKED equ 0x037b              ; ZM (bit 2) clear
MXCSR_DEFAULT   equ 0x1f80
MXCSR_ZE_UNMASKED equ 0x1d80            ; ZM (bit 9) clear

; 8259 pair reprogrammed so that IRQ 13 arrives on a known vector.
PIC1_CMD        equ 0x20
PIC1_DATA       equ 0x21
PIC2_CMD        equ 0xa0
PIC2_DATA       equ 0xa1
PIC_ICW1        equ 0x11                ; edge, cascade, ICW4 follows
PIC_ICW4        equ 0x01                ; 8086 mode
PIC_EOI         equ 0x20
PIC1_BASE       equ 0x20
PIC2_BASE       equ 0x28
IRQ13_VECTOR    equ PIC2_BASE + 5
PIC1_MASK_IRQ2  equ 0xfb                ; only the cascade input open
PIC2_MASK_IRQ13 equ 0xdf                ; only IRQ 13 open
FPU_ERROR_PORT  equ 0xf0

; Field offsets masked in the environment images (pointer fields).
ENV32_FIP       equ 12                  ; FIP, FCS|FOP, FDP, FDS
ENV32_PTR_BYTES equ 16
ENV16_FIP       equ 6                   ; FIP, FCS, FDP, FDS
ENV16_PTR_BYTES equ 8
FX_FOP          equ 6                   ; FOP, FIP, FCS, FDP, FDS
FX_PTR_BYTES    equ 18
ENV32_SIZE      equ 28
ENV16_SIZE      equ 14
SAVE32_SIZE     equ 108
SAVE16_SIZE     equ 94
FX_SIZE         equ 512
FILL_BYTE       equ 0xa5

main:
    PL "fpu: x87/SSE state images and exceptions"
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    or eax, CR0_MP | CR0_NE
    mov cr0, eax
    mov [cr0_base], eax
    mov eax, cr4
    or eax, CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, eax
    mov [cr4_base], eax
    call test_env_images
    call test_restore_images
    call test_real_mode
    call test_fxsave
    call test_nm
    call test_mf
    ; test_ferr_irq13 (CR0.NE=0, FERR# on IRQ 13, cleared through port
    ; F0h) cannot be compared: QEMU 7.2 aborts in tcg_handle_interrupt
    ; ("assertion failed: qemu_mutex_iothread_locked") when the x87 raises
    ; FERR#. It runs in the TABVM_ONLY build, checked against the SDM.
%ifdef TABVM_ONLY
    call test_ferr_irq13
%endif
    call test_sse_exceptions
    DONE

; ---------------------------------------------------------------------------
; Helpers
; ---------------------------------------------------------------------------

; fill_buf: buf = FILL_BYTE x FX_SIZE (so untouched bytes show).
fill_buf:
    pushad
    mov edi, buf
    mov ecx, FX_SIZE
    mov al, FILL_BYTE
    cld
    rep stosb
    popad
    ret

; zero_bytes: EDI = address, ECX = count.
zero_bytes:
    pushad
    xor eax, eax
    cld
    rep stosb
    popad
    ret

; mask_env32_reserved: zero the reserved upper halves of FCW, FSW and FTW
; in a 32-bit environment image at buf. The host CPU stores FFFFh there
; (checked natively, and on tabvm by the TABVM_ONLY build), QEMU TCG 0.
mask_env32_reserved:
%ifndef TABVM_ONLY
    mov word [buf + 2], 0
    mov word [buf + 6], 0
    mov word [buf + 10], 0
%endif
    ret

; mask_fx_reserved: zero bytes 10-15 of the eight ST/MM slots of an FXSAVE
; image at buf. The host CPU writes zeros there (checked natively, and on
; tabvm by the TABVM_ONLY build), QEMU TCG leaves the memory alone.
FX_ST0          equ 32
FX_SLOT         equ 16
FX_SLOT_USED    equ 10
mask_fx_reserved:
%ifndef TABVM_ONLY
    pushad
    mov edi, buf + FX_ST0 + FX_SLOT_USED
    mov edx, 8
.slot:
    mov ecx, FX_SLOT - FX_SLOT_USED
    call zero_bytes
    add edi, FX_SLOT
    dec edx
    jnz .slot
    popad
%endif
    ret

; dump: print ECX bytes at buf as dwords (a partial last dword as bytes),
; eight dwords a line, each line prefixed with its offset.
dump:
    pushad
    mov esi, buf
    xor ebx, ebx
.line:
    cmp ebx, ecx
    jae .end
    P "  "
    H16 ebx
    P ":"
    mov edx, 8
.word:
    cmp ebx, ecx
    jae .nl
    mov eax, ecx
    sub eax, ebx
    cmp eax, 4
    jb .bytes
    P " "
    H32 [esi + ebx]
    add ebx, 4
    dec edx
    jnz .word
    jmp .nl
.bytes:
    P " "
    H8 [esi + ebx]
    inc ebx
    cmp ebx, ecx
    jb .bytes
.nl:
    NL
    jmp .line
.end:
    popad
    ret

; A known x87 state: ST0-ST3 hold 1, pi, 1+pi (PE set) and a single;
; ST7 stays empty; FCW rounds down, 53-bit precision. (No denormal operand:
; QEMU TCG does not set DE when FLD loads one, the host CPU and tabvm do.)
load_state:
    fninit
    fldcw [fcw_known]
    fld1
    fldpi
    fld st1
    fadd st0, st1
    fld dword [single32]
    ret

; ---------------------------------------------------------------------------
; FNSTENV / FNSAVE images, 32- and 16-bit formats (protected mode).
; ---------------------------------------------------------------------------
test_env_images:
    PL "fnstenv 32-bit:"
    call load_state
    call fill_buf
    fnstenv [buf]
    mov edi, buf + ENV32_FIP
    mov ecx, ENV32_PTR_BYTES
    call zero_bytes
    call mask_env32_reserved
    mov ecx, ENV32_SIZE + 4
    call dump
    fnstcw [word_out]
    P "  fcw after fnstenv="
    H16 [word_out]
    NL

    PL "fnstenv 16-bit (o16):"
    call load_state
    call fill_buf
    o16 fnstenv [buf]
    mov edi, buf + ENV16_FIP
    mov ecx, ENV16_PTR_BYTES
    call zero_bytes
    mov ecx, ENV16_SIZE + 2
    call dump

    PL "fnsave 32-bit:"
    call load_state
    call fill_buf
    fnsave [buf]
    mov edi, buf + ENV32_FIP
    mov ecx, ENV32_PTR_BYTES
    call zero_bytes
    call mask_env32_reserved
    mov ecx, SAVE32_SIZE + 4
    call dump
    fnstsw ax
    R16 "fsw after fnsave", eax
    fnstcw [word_out]
    R16 "fcw", [word_out]
    NL

    PL "fnsave 16-bit (o16):"
    call load_state
    call fill_buf
    o16 fnsave [buf]
    mov edi, buf + ENV16_FIP
    mov ecx, ENV16_PTR_BYTES
    call zero_bytes
    mov ecx, SAVE16_SIZE + 2
    call dump
    ret

; ---------------------------------------------------------------------------
; FLDENV / FRSTOR of crafted images, read back with FNSTENV/FNSAVE and
; through the registers.
; ---------------------------------------------------------------------------
test_restore_images:
    PL "fldenv 32-bit crafted:"
    fninit
    fldenv [env32_img]
    call fill_buf
    fnstenv [buf]
    mov edi, buf + ENV32_FIP
    mov ecx, ENV32_PTR_BYTES
    call zero_bytes
    call mask_env32_reserved
    mov ecx, ENV32_SIZE
    call dump

    PL "fldenv 16-bit crafted:"
    fninit
    o16 fldenv [env16_img]
    call fill_buf
    fnstenv [buf]
    mov edi, buf + ENV32_FIP
    mov ecx, ENV32_PTR_BYTES
    call zero_bytes
    call mask_env32_reserved
    mov ecx, ENV32_SIZE
    call dump

    PL "frstor 32-bit of an fnsave image, fnsave again:"
    call load_state
    fnsave [save_a]
    fninit
    frstor [save_a]
    call fill_buf
    fnsave [buf]
    mov edi, buf + ENV32_FIP
    mov ecx, ENV32_PTR_BYTES
    call zero_bytes
    call mask_env32_reserved
    mov ecx, SAVE32_SIZE
    call dump

    PL "frstor 16-bit of an o16 fnsave image, then fxsave:"
    call load_state
    o16 fnsave [save_a]
    fninit
    o16 frstor [save_a]
    call fill_buf
    fxsave [buf]
    mov edi, buf + FX_FOP
    mov ecx, FX_PTR_BYTES
    call zero_bytes
    call mask_fx_reserved
    mov ecx, 160
    call dump

    ; FRSTOR with a tag word that contradicts the registers: the tags are
    ; recomputed from the values (FXSAVE's abridged tag shows which are valid).
    PL "frstor crafted tags, fxsave:"
    mov esi, env32_img
    mov edi, save_b
    mov ecx, ENV32_SIZE
    cld
    rep movsb
    mov esi, regs_img
    mov ecx, 80
    rep movsb
    fninit
    frstor [save_b]
    call fill_buf
    fxsave [buf]
    mov edi, buf + FX_FOP
    mov ecx, FX_PTR_BYTES
    call zero_bytes
    call mask_fx_reserved
    mov ecx, 160
    call dump
    fninit
    ret

; ---------------------------------------------------------------------------
; Real mode: FNSTENV/FNSAVE/FRSTOR in the 16-bit and (o32) 32-bit real-mode
; formats (SDM Vol. 1, Figures 8-10 and 8-12). As in modes.asm the code runs
; with a CS base of 0FFFF0h (CS=FFFFh in real mode reaches the kernel at
; 1 MiB through A20); the images go to RM_RES (DS=0) and are printed back in
; protected mode.
; ---------------------------------------------------------------------------
RM_BASE         equ 0xffff0
RM_CS           equ 0xffff
RM_STACK        equ 0x7000
RM_RES          equ 0x6000
RM_ENV16        equ RM_RES
RM_ENV32        equ RM_RES + 0x20
RM_SAVE16       equ RM_RES + 0x40
RM_SAVE32       equ RM_RES + 0xc0
RM_SAVE32B      equ RM_RES + 0x140
RM_AREA_SIZE    equ 0x1c0
SEL_CODE16      equ SEL_EXTRA
SEL_DATA16      equ SEL_EXTRA + 8

test_real_mode:
    mov edi, RM_RES
    mov ecx, RM_AREA_SIZE
    mov al, FILL_BYTE
    cld
    rep stosb
    SETDESC SEL_CODE16, RM_BASE, 0xffff, D_CODE16
    SETDESC SEL_DATA16, 0, 0xffff, D_DATA16
    mov [saved_esp], esp
    call load_state
    jmp SEL_CODE16:(LIN(rm_pm16) - RM_BASE)

bits 16
rm_pm16:
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, RM_STACK
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp RM_CS:(LIN(rm_real) - RM_BASE)
rm_real:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, RM_STACK
    fnstenv [RM_ENV16]
    o32 fnstenv [RM_ENV32]
    fnsave [RM_SAVE16]
    frstor [RM_SAVE16]
    o32 fnsave [RM_SAVE32]
    o32 frstor [RM_SAVE32]
    fldpi
    o32 fnsave [RM_SAVE32B]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword SEL_CODE0:rm_back
bits 32
rm_back:
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, [saved_esp]
    PL "real mode fnstenv 16-bit:"
    mov esi, RM_ENV16
    mov ecx, ENV16_SIZE + 2
    call dump_rm16
    PL "real mode fnstenv 32-bit (o32):"
    mov esi, RM_ENV32
    mov ecx, ENV32_SIZE + 4
    call dump_rm32
    PL "real mode fnsave 16-bit, frstor:"
    mov esi, RM_SAVE16
    mov ecx, SAVE16_SIZE + 2
    call dump_rm16
    PL "real mode fnsave 32-bit (o32) after frstor 16-bit:"
    mov esi, RM_SAVE32
    mov ecx, SAVE32_SIZE + 4
    call dump_rm32
    PL "real mode fnsave 32-bit after o32 frstor, fldpi:"
    mov esi, RM_SAVE32B
    mov ecx, SAVE32_SIZE
    call dump_rm32
    fninit
    ret

; dump_rm16/dump_rm32: copy ECX bytes from ESI to buf, mask the pointer
; fields (and the reserved halves), print.
dump_rm16:
    call copy_to_buf
    pushad
    mov edi, buf + ENV16_FIP
    mov ecx, ENV16_PTR_BYTES
    call zero_bytes
    popad
    call dump
    ret
dump_rm32:
    call copy_to_buf
    pushad
    mov edi, buf + ENV32_FIP
    mov ecx, ENV32_PTR_BYTES
    call zero_bytes
    call mask_env32_reserved
    popad
    call dump
    ret
copy_to_buf:
    pushad
    mov edi, buf
    cld
    rep movsb
    popad
    ret

; ---------------------------------------------------------------------------
; FXSAVE / FXRSTOR (32-bit format, no REX.W).
; ---------------------------------------------------------------------------
test_fxsave:
    ; The same state as test/cpu/x87/native/fpu-reserved.c, whose FXSAVE
    ; image on the host CPU the test compares with this one.
    PL "fxsave after fninit, fld1, fldpi:"
    fninit
    fld1
    fldpi
    call fill_buf
    fxsave [buf]
    mov edi, buf + FX_FOP
    mov ecx, FX_PTR_BYTES
    call zero_bytes
    call mask_fx_reserved
    mov ecx, 160
    call dump
    PL "fxsave of a known x87+SSE state (whole 512 bytes):"
    call load_state
    movaps xmm0, [xmm_pattern]
    movaps xmm1, [xmm_pattern + 16]
    pcmpeqd xmm7, xmm7
    ldmxcsr [mxcsr_known]
    call fill_buf
    fxsave [buf]
    mov edi, buf + FX_FOP
    mov ecx, FX_PTR_BYTES
    call zero_bytes
    call mask_fx_reserved
    mov ecx, FX_SIZE
    call dump

    PL "fxrstor crafted image, fxsave again:"
    fxrstor [fx_img]
    call fill_buf
    fxsave [buf]
    mov edi, buf + FX_FOP
    mov ecx, FX_PTR_BYTES
    call zero_bytes
    call mask_fx_reserved
    mov ecx, 288
    call dump
    fnstsw ax
    R16 "fsw", eax
    fnstcw [word_out]
    R16 "fcw", [word_out]
    stmxcsr [word_out]
    R "mxcsr", [word_out]
    NL

%ifdef TABVM_ONLY
    ; Not compared with QEMU: TCG 7.2 loads reserved MXCSR bits without the
    ; #GP(0) the SDM requires (Vol. 2, FXRSTOR).
    CASE "fxrstor with reserved MXCSR bits", .c1
    fxrstor [fx_bad_mxcsr]
    NOFAULT
.c1:
%endif
    CASE "fxsave misaligned", .c2
    fxsave [buf + 8]
    NOFAULT
.c2:
    ldmxcsr [mxcsr_default]
    fninit
    ret

; ---------------------------------------------------------------------------
; CR0.TS / EM / MP and #NM; CLTS then FNINIT.
; ---------------------------------------------------------------------------
%macro SETCR0 1
    mov eax, [cr0_base]
    and eax, ~(CR0_MP | CR0_EM | CR0_TS)
    or eax, %1
    mov cr0, eax
%endmacro

test_nm:
    CASE "TS=1 fninit", .c1
    SETCR0 CR0_MP | CR0_TS
    fninit
    NOFAULT
.c1:
    CASE "TS=1 MP=1 fwait", .c2
    SETCR0 CR0_MP | CR0_TS
    fwait
    NOFAULT
.c2:
    CASE "TS=1 MP=0 fwait", .c3
    SETCR0 CR0_TS
    fwait
    NOFAULT
.c3:
    CASE "EM=1 fld1", .c4
    SETCR0 CR0_EM
    fld1
    NOFAULT
.c4:
    CASE "EM=1 fwait", .c5
    SETCR0 CR0_EM
    fwait
    NOFAULT
.c5:
    CASE "EM=1 addps", .c6
    SETCR0 CR0_EM | CR0_MP
    addps xmm0, xmm1
    NOFAULT
.c6:
    CASE "TS=1 addps", .c7
    SETCR0 CR0_MP | CR0_TS
    addps xmm0, xmm1
    NOFAULT
.c7:
    CASE "TS=1 fxsave", .c8
    SETCR0 CR0_MP | CR0_TS
    fxsave [buf]
    NOFAULT
.c8:
    CASE "EM=1 fxsave", .c9
    SETCR0 CR0_EM | CR0_MP
    fxsave [buf]
    NOFAULT
.c9:
    CASE "TS=1 ldmxcsr", .c10
    SETCR0 CR0_MP | CR0_TS
    ldmxcsr [mxcsr_default]
    NOFAULT
.c10:
    CASE "clts then fninit", .c11
    SETCR0 CR0_MP | CR0_TS
    clts
    fninit
    NOFAULT
.c11:
    mov eax, [cr0_base]
    mov cr0, eax
    ret

; ---------------------------------------------------------------------------
; #MF with CR0.NE=1: reported at the next waiting x87 instruction.
; ---------------------------------------------------------------------------
test_mf:
    CASE "NE=1 1/0 unmasked then fwait", .c1
    fninit
    fldcw [fcw_ze]
    fldz
    fld1
    fdiv st0, st1
    P "(no fault at fdiv) "
    fwait
    NOFAULT
.c1:
    fnstsw ax
    R16 "fsw", eax
    NL
    CASE "NE=1 pending exception, fnstsw/fnclex do not wait", .c2
    fnstsw ax
    fnclex
    fwait
    NOFAULT
.c2:
    ; Not compared: a pending exception reported by the next waiting
    ; arithmetic instruction (FLD1 after the FDIV): QEMU TCG 7.2 only checks
    ; at FWAIT, hardware and tabvm at every waiting x87 instruction
    ; (test/cpu/x87/x87-random.test.ts compares that with the host CPU).
    fninit
    ret

; ---------------------------------------------------------------------------
; CR0.NE=0: the error goes out on FERR#, the PC routes it to IRQ 13 (slave
; 8259 input 5); the handler clears it with a write to port F0h.
; ---------------------------------------------------------------------------
test_ferr_irq13:
    ; 8259s: master at 20h, slave at 28h, only IRQ 2 and IRQ 13 open.
    mov al, PIC_ICW1
    out PIC1_CMD, al
    out PIC2_CMD, al
    mov al, PIC1_BASE
    out PIC1_DATA, al
    mov al, PIC2_BASE
    out PIC2_DATA, al
    mov al, 4
    out PIC1_DATA, al
    mov al, 2
    out PIC2_DATA, al
    mov al, PIC_ICW4
    out PIC1_DATA, al
    out PIC2_DATA, al
    mov al, PIC1_MASK_IRQ2
    out PIC1_DATA, al
    mov al, PIC2_MASK_IRQ13
    out PIC2_DATA, al
    SETGATE IRQ13_VECTOR, irq13_handler, SEL_CODE0, G_INT32
    mov eax, [cr0_base]
    and eax, ~CR0_NE
    mov cr0, eax

    CASE "NE=0 1/0 unmasked then fwait (IF=1)", .c1
    mov dword [irq13_count], 0
    fninit
    fldcw [fcw_ze]
    fldz
    fld1
    fdiv st0, st1
    sti
    fwait
    nop
    nop
    cli
    NOFAULT
.c1:
    cli
    R "irq13 count", [irq13_count]
    R16 "fsw in handler", [irq13_fsw]
    NL

    CASE "NE=0 1/0 unmasked then fwait (IF=0), then sti", .c2
    mov dword [irq13_count], 0
    fninit
    fldcw [fcw_ze]
    fldz
    fld1
    fdiv st0, st1
    fwait
    P "(after fwait) "
    sti
    nop
    cli
    NOFAULT
.c2:
    cli
    R "irq13 count", [irq13_count]
    NL

    ; Mask everything again and restore NE.
    mov al, 0xff
    out PIC1_DATA, al
    out PIC2_DATA, al
    mov eax, [cr0_base]
    mov cr0, eax
    fninit
    ret

irq13_handler:
    push eax
    push edx
    inc dword [irq13_count]
    fnstsw ax
    mov [irq13_fsw], ax
    xor al, al
    out FPU_ERROR_PORT, al
    fnclex
    mov al, PIC_EOI
    out PIC2_CMD, al
    out PIC1_CMD, al
    pop edx
    pop eax
    iretd

; ---------------------------------------------------------------------------
; SSE: #XM versus #UD (CR4.OSXMMEXCPT), #UD without CR4.OSFXSR, #GP(0) for
; misaligned 16-byte operands.
; ---------------------------------------------------------------------------
test_sse_exceptions:
%ifdef TABVM_ONLY
    ; Not compared with QEMU: TCG 7.2 never raises #XM (it sets the MXCSR
    ; flag and goes on). test/cpu/x87/fpu-system.test.ts checks these lines
    ; on tabvm against the SDM instead.
    CASE "divps by 0 unmasked, OSXMMEXCPT=1", .c1
    ldmxcsr [mxcsr_ze]
    movaps xmm0, [xmm_pattern]
    xorps xmm1, xmm1
    divps xmm0, xmm1
    NOFAULT
.c1:
    stmxcsr [word_out]
    R "mxcsr", [word_out]
    NL
    CASE "divps by 0 unmasked, OSXMMEXCPT=0", .c2
    mov eax, [cr4_base]
    and eax, ~CR4_OSXMMEXCPT
    mov cr4, eax
    ldmxcsr [mxcsr_ze]
    divps xmm0, xmm1
    NOFAULT
.c2:
    stmxcsr [word_out]
    R "mxcsr", [word_out]
    NL
    mov eax, [cr4_base]
    mov cr4, eax
%endif
    ldmxcsr [mxcsr_default]
    CASE "divss by 0 masked", .c3
    movaps xmm0, [xmm_pattern]
    xorps xmm1, xmm1
    divss xmm0, xmm1
    NOFAULT
.c3:
    stmxcsr [word_out]
    R "mxcsr", [word_out]
    NL
    ldmxcsr [mxcsr_default]
    CASE "OSFXSR=0 addps", .c4
    mov eax, [cr4_base]
    and eax, ~(CR4_OSFXSR | CR4_OSXMMEXCPT)
    mov cr4, eax
    addps xmm0, xmm1
    NOFAULT
.c4:
    mov eax, [cr4_base]
    mov cr4, eax
    CASE "movaps misaligned load", .c5
    movaps xmm0, [buf + 8]
    NOFAULT
.c5:
    CASE "movaps misaligned store", .c6
    movaps [buf + 4], xmm0
    NOFAULT
.c6:
    CASE "addps misaligned memory operand", .c7
    addps xmm0, [buf + 8]
    NOFAULT
.c7:
    CASE "movups misaligned load", .c8
    movups xmm0, [buf + 8]
    NOFAULT
.c8:
    CASE "addss misaligned memory operand", .c9
    addss xmm0, [buf + 2]
    NOFAULT
.c9:
    CASE "movdqa misaligned load", .c10
    movdqa xmm0, [buf + 8]
    NOFAULT
.c10:
    ret

; ---------------------------------------------------------------------------
; Data
; ---------------------------------------------------------------------------
section .rodata
align 16
fcw_known:      dw 0x067f               ; round down, 53-bit precision, all masked
fcw_ze:         dw FCW_ZE_UNMASKED
align 4
single32:       dd 0x3e000123
mxcsr_known:    dd 0x7fbf               ; RC toward zero, all masked, all six flags set
mxcsr_default:  dd MXCSR_DEFAULT
mxcsr_ze:       dd MXCSR_ZE_UNMASKED
align 16
xmm_pattern:    dd 0x3f800000, 0x40490fdb, 0x00000001, 0x7fc00000
                dd 0x01234567, 0x89abcdef, 0xdeadbeef, 0xfeedface
; A 32-bit environment: FCW 0x0b63 (RC up, PC 24), FSW with C3 C0 TOP=5 and
; ES/ZE set, tag word with a mix of valid/zero/special/empty, pointers.
env32_img:      dd 0xffff0b63, 0xffff6d04, 0xffff4e1b
                dd 0x00123456, 0x07ff0008, 0x00abcdef, 0xffff0010
; A 16-bit environment: FCW, FSW, FTW, FIP, FCS/FOP, FDP, FDS.
env16_img:      dw 0x0f7f, 0x3a21, 0xa5f0, 0x1234, 0x5678, 0x9abc, 0x0010
; Eight 80-bit registers for the FRSTOR with contradicting tags.
regs_img:       dq 0x8000000000000000
                dw 0x3fff               ; 1.0
                dq 0
                dw 0x8000               ; -0
                dq 0xc000000000000000
                dw 0x7fff               ; QNaN
                dq 0x0000000000001234
                dw 0x0000               ; denormal
                dq 0x4000000000000000
                dw 0x4001               ; unnormal
                dq 0x8000000000000000
                dw 0x7fff               ; infinity
                dq 0xc90fdaa22168c235
                dw 0x4000               ; pi
                dq 0x0000000000000000
                dw 0x0000               ; +0
align 16
; A crafted FXSAVE image: FCW, FSW, abridged FTW, FOP, pointers, MXCSR,
; MXCSR_MASK, registers and XMM0-7.
fx_img:
                dw 0x0a7f, 0x2801
                db 0x5a, 0
                dw 0x0123
                dd 0x11111111, 0x2222, 0x33333333, 0x4444
                dd 0x3fa0               ; MXCSR: RC down, some flags
                dd 0xffff               ; MXCSR_MASK (ignored by FXRSTOR)
%assign r 0
%rep 8
                dq 0x8000000000000000 | (r * 0x0101010101)
                dw 0x3fff + r
                times 6 db 0xcc
  %assign r r + 1
%endrep
%assign r 0
%rep 8
                dd 0x10000000 * r + 1, 0x20000000 + r, 0x30000000 + r, 0x40000000 + r
  %assign r r + 1
%endrep
                times FX_SIZE - 288 db 0x77
align 16
fx_bad_mxcsr:
                dw 0x037f, 0
                db 0, 0
                dw 0
                dd 0, 0, 0, 0
                dd 0x10000              ; reserved MXCSR bit 16
                dd 0
                times FX_SIZE - 32 db 0

section .bss
alignb 16
buf:            resb FX_SIZE + 16
save_a:         resb SAVE32_SIZE
save_b:         resb SAVE32_SIZE
alignb 4
saved_esp:      resd 1
cr0_base:       resd 1
cr4_base:       resd 1
word_out:       resd 1
irq13_count:    resd 1
irq13_fsw:      resd 1
