; paging.asm — 32-bit paging (4 KiB and 4 MiB pages) and PAE paging with
; NX: translations, #PF error codes and CR2, accessed/dirty bits, CR0.WP,
; user/supervisor and read/write at PDE and PTE level, INVLPG and CR3
; reloads, global pages (SDM Vol. 3A, chapter 4).
;
; Reserved-bit faults are not tested: QEMU 7.2 reports them with P=0 in the
; error code (e.g. 08h for a read), the SDM says P=1 (09h).
;
; Nothing here depends on TLB caching: every PTE change is followed by
; INVLPG or a CR3 reload before the address is used again.
;
; QEMU: qemu-system-i386 -M pc -m 32 -cpu qemu32,+nx -display none
;       -nodefaults -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04
;       -no-reboot -kernel paging.elf
; Needs: PSE, PGE, PAE, NX (CPUID 80000001h:EDX[20]), EFER MSR, INVLPG.

%include "lib.inc"

PG_P            equ 1 << 0
PG_RW           equ 1 << 1
PG_US           equ 1 << 2
PG_A            equ 1 << 5
PG_D            equ 1 << 6
PG_PS           equ 1 << 7
PG_G            equ 1 << 8
PG_URW          equ PG_P | PG_RW | PG_US

CR0_PG          equ 1 << 31
CR0_WP          equ 1 << 16
CR4_PSE         equ 1 << 4
CR4_PAE         equ 1 << 5
CR4_PGE         equ 1 << 7
MSR_EFER        equ 0xC0000080
EFER_NXE        equ 1 << 11

; Physical frames used by the tests (inside the 32 MiB of RAM, above the
; kernel). They are filled with paging off, so their contents are known.
FRAME_A         equ 0x01100000
FRAME_B         equ 0x01101000
FRAME_C         equ 0x01102000      ; holds a small function (see fill_frames)
FRAME_D         equ 0x01103000
BIG_FRAME       equ 0x01000000      ; 4 MiB page frame (32-bit) / 2 MiB (PAE)
VAL_A           equ 0xaaaa0001
VAL_B           equ 0xbbbb0002
VAL_C_RET       equ 0x600d600d
VAL_D           equ 0xdddd0004
VAL_BIG         equ 0xb16b1605

; 32-bit paging layout (linear addresses).
LIN_UA          equ 0x00400000      ; -> FRAME_A, user read/write
LIN_UB          equ 0x00401000      ; -> FRAME_B, user read-only
LIN_SC          equ 0x00402000      ; -> FRAME_C, supervisor read/write
LIN_SD          equ 0x00403000      ; -> FRAME_D, supervisor read-only
LIN_NP          equ 0x00404000      ; not present (PTE = 0)
LIN_NP2         equ 0x00405000      ; not present, other bits set
LIN_BIG         equ 0x00800000      ; 4 MiB page -> BIG_FRAME, user rw
LIN_PDE_SUP     equ 0x00c00000      ; PDE U/S=0 over the PT of 0x400000
LIN_PDE_RO      equ 0x01000000      ; PDE R/W=0 over the same PT

; PAE layout (linear addresses).
PLIN_A          equ 0x00200000      ; -> FRAME_A (4 KiB)
PLIN_C_NX       equ 0x00201000      ; -> FRAME_C, NX
PLIN_C          equ 0x00202000      ; -> FRAME_C, executable
PLIN_NP         equ 0x00204000      ; not present
PLIN_BIG        equ 0x00400000      ; 2 MiB page -> BIG_FRAME
PLIN_BIG_NX     equ 0x00600000      ; 2 MiB page -> BIG_FRAME, NX
PTE_HI_NX       equ 1 << 31         ; bit 63 in the high dword

main:
    PL "paging: 32-bit 4K/4M pages, PAE + NX"
    call fill_frames
    call build_tables
    call test_enable
    call test_translate
    call test_not_present
    call test_wp
    call test_user
    call test_invlpg
    call test_big_and_global
    call disable_paging
    call test_pae
    call disable_paging
    DONE

; With paging off, write recognisable values into the test frames.
fill_frames:
    mov dword [FRAME_A], VAL_A
    mov dword [FRAME_B], VAL_B
    mov dword [FRAME_D], VAL_D
    mov dword [BIG_FRAME], VAL_BIG
    ; FRAME_C: mov eax, VAL_C_RET ; ret
    mov byte [FRAME_C], 0xb8
    mov dword [FRAME_C + 1], VAL_C_RET
    mov byte [FRAME_C + 5], 0xc3
    ret

; Fill the 32-bit structures. Identity map 0-4 MiB with user pages (so ring
; 3 snippets can run from the kernel image and use ustack).
build_tables:
    mov edi, pt0
    mov eax, PG_URW
    mov ecx, 1024
.id:
    stosd
    add eax, 0x1000
    loop .id
    mov dword [pd + 0*4], pt0 + PG_URW
    mov dword [pd + 1*4], pt1 + PG_URW
    mov dword [pd + 2*4], BIG_FRAME + PG_URW + PG_PS
    mov dword [pd + 3*4], pt1 + PG_P + PG_RW          ; supervisor PDE
    mov dword [pd + 4*4], pt1 + PG_P + PG_US          ; read-only PDE
    mov dword [pt1 + 0*4], FRAME_A + PG_URW
    mov dword [pt1 + 1*4], FRAME_B + PG_P + PG_US
    mov dword [pt1 + 2*4], FRAME_C + PG_P + PG_RW
    mov dword [pt1 + 3*4], FRAME_D + PG_P
    mov dword [pt1 + 4*4], 0
    mov dword [pt1 + 5*4], FRAME_D + PG_RW + PG_US    ; P=0
    ret

%macro SHOWCR 0
    P "cr0="
    mov eax, cr0
    H32 eax
    P " cr3="
    mov eax, cr3
    H32 eax
    P " cr4="
    mov eax, cr4
    H32 eax
    NL
%endmacro

test_enable:
    mov eax, pd
    mov cr3, eax
    mov eax, cr4
    or eax, CR4_PSE
    mov cr4, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    jmp .flush
.flush:
    P "paging on: "
    SHOWCR
    ret

; R0READ addr / R0WRITE addr, value / R0EXEC addr — ring-0 access that
; prints either the result or the exception line.
%macro R0READ 1
    P "r0 read  "
    H32 %1
    P ": "
    TRY %%c
    mov eax, [%1]
    ENDTRY
    P "ok value="
    H32 eax
    NL
%%c:
%endmacro

%macro R0WRITE 2
    P "r0 write "
    H32 %1
    P ": "
    TRY %%c
    mov dword [%1], %2
    ENDTRY
    PL "ok"
%%c:
%endmacro

%macro R0EXEC 1
    P "r0 exec  "
    H32 %1
    P ": "
    TRY %%c
    xor eax, eax
    mov ecx, %1
    call ecx
    ENDTRY
    P "ok eax="
    H32 eax
    NL
%%c:
%endmacro

; Ring-3 versions: run a snippet in ring 3 with ESI = address, EDI = value.
%macro R3OP 3
    P %1
    H32 %2
    P ": "
    mov esi, %2
    mov edi, 0x3333
    mov dword [back_hit], 0
    TRY %%c
    RING3 %3
%%c:
    cmp dword [back_hit], 0
    je %%done
    P "ok eax="
    H32 [back_regs + 28]
    NL
%%done:
%endmacro
%define R3READ(a) R3OP "r3 read  ", a, r3_read
%define R3WRITE(a) R3OP "r3 write ", a, r3_write
%define R3EXEC(a) R3OP "r3 exec  ", a, r3_exec

r3_read:
    mov eax, [esi]
    BACK
r3_write:
    mov [esi], edi
    mov eax, edi
    BACK
r3_exec:
    xor eax, eax
    call esi
    BACK

; SHOWPTE name, address-of-entry — print a paging-structure entry.
%macro SHOWPTE 2
    P "  ", %1, "="
    H32 [%2]
    NL
%endmacro

test_translate:
    R0READ LIN_UA
    R0READ LIN_UB
    R0READ LIN_SC + 1
    R0READ LIN_BIG + (FRAME_A - BIG_FRAME)
    PL "accessed/dirty bits (PTE of 400000h, PDE 1):"
    and dword [pt1 + 0*4], ~(PG_A | PG_D)
    and dword [pd + 1*4], ~(PG_A | PG_D)
    invlpg [LIN_UA]
    SHOWPTE "before", pt1 + 0*4
    mov eax, [LIN_UA]
    SHOWPTE "after read pte", pt1 + 0*4
    SHOWPTE "after read pde", pd + 1*4
    mov dword [LIN_UA + 4], 0x12345678
    SHOWPTE "after write pte", pt1 + 0*4
    SHOWPTE "after write pde", pd + 1*4
    ; D is set on a write even when the TLB entry came from a read.
    and dword [pt1 + 0*4], ~(PG_A | PG_D)
    invlpg [LIN_UA]
    mov eax, [LIN_UA]
    mov dword [LIN_UA + 4], 0x9abcdef0
    SHOWPTE "read then write pte", pt1 + 0*4
    PL "accessed/dirty bits of a 4M page (PDE 2):"
    and dword [pd + 2*4], ~(PG_A | PG_D)
    invlpg [LIN_BIG]
    mov eax, [LIN_BIG]
    SHOWPTE "after read", pd + 2*4
    mov [LIN_BIG], eax
    SHOWPTE "after write", pd + 2*4
    ret

test_not_present:
    R0READ LIN_NP
    R0WRITE LIN_NP, 1
    R0READ LIN_NP2 + 0x123
    ; Accesses crossing into a non-present page: CR2 is the first byte in
    ; the faulting page (SDM Vol. 3A, 4.7), and the read does not complete.
    R0READ LIN_SD + 0xffe
    R0WRITE LIN_SD + 0xffd, 1
    R0EXEC LIN_NP
    R0EXEC LIN_SC
    ret

test_wp:
    PL "CR0.WP=0:"
    R0WRITE LIN_SD, 0x0d0d0d0d
    R0WRITE LIN_UB, 0x0b0b0b0b
    R0WRITE LIN_PDE_RO, 0x0a0a0a0a
    R0READ LIN_SD
    mov eax, cr0
    or eax, CR0_WP
    mov cr0, eax
    P "CR0.WP=1: "
    SHOWCR
    R0WRITE LIN_SD, VAL_D
    R0WRITE LIN_UB, VAL_B
    R0WRITE LIN_PDE_RO, VAL_A
    R0WRITE LIN_SC, VAL_C_RET       ; supervisor read/write: fine
    ; A dword store split over a writable and a read-only page faults on
    ; the second page and stores nothing (SDM Vol. 3A, 6.5: faults are
    ; restartable, the instruction has no effect).
    mov dword [LIN_SC + 0xffc], 0x44332211
    R0WRITE LIN_SC + 0xffe, 0x88776655
    R0READ LIN_SC + 0xffc
    R0READ LIN_SC
    mov eax, cr0
    and eax, ~CR0_WP
    mov cr0, eax
    ; restore the two dwords the WP=0 writes changed
    mov dword [LIN_SD], VAL_D
    mov dword [LIN_UB], VAL_B
    mov dword [LIN_UA], VAL_A
    ; LIN_SC: the function bytes again (the write above clobbered them)
    mov byte [LIN_SC], 0xb8
    mov dword [LIN_SC + 1], VAL_C_RET
    mov byte [LIN_SC + 5], 0xc3
    ret

test_user:
    R3READ(LIN_UA)
    R3WRITE(LIN_UA + 8)
    R3READ(LIN_UB)
    R3WRITE(LIN_UB)
    R3READ(LIN_SC)
    R3WRITE(LIN_SC + 8)
    R3EXEC(LIN_SC)
    R3READ(LIN_SD)
    R3WRITE(LIN_SD)
    R3READ(LIN_NP)
    R3WRITE(LIN_NP)
    R3EXEC(LIN_NP)
    R3READ(LIN_PDE_SUP)
    R3READ(LIN_PDE_RO)
    R3WRITE(LIN_PDE_RO + 8)
    R3READ(LIN_BIG)
    R3WRITE(LIN_BIG + 8)
    ret

test_invlpg:
    PL "remap 400000h -> FRAME_B, invlpg:"
    mov eax, [LIN_UA]               ; make sure a translation exists
    mov dword [pt1 + 0*4], FRAME_B + PG_URW
    invlpg [LIN_UA]
    R0READ LIN_UA
    PL "remap 400000h -> FRAME_A, reload cr3:"
    mov dword [pt1 + 0*4], FRAME_A + PG_URW
    mov eax, cr3
    mov cr3, eax
    R0READ LIN_UA
    PL "unmap 400000h, invlpg:"
    mov dword [pt1 + 0*4], 0
    invlpg [LIN_UA]
    R0READ LIN_UA
    mov dword [pt1 + 0*4], FRAME_A + PG_URW
    invlpg [LIN_UA]
    R0READ LIN_UA
    ret

test_big_and_global:
    PL "global page 400000h with CR4.PGE=1:"
    mov eax, cr4
    or eax, CR4_PGE
    mov cr4, eax
    or dword [pt1 + 0*4], PG_G
    invlpg [LIN_UA]
    R0READ LIN_UA
    SHOWPTE "pte", pt1 + 0*4
    P "  "
    SHOWCR
    ; Remapping a global page still takes effect after INVLPG.
    mov dword [pt1 + 0*4], FRAME_B + PG_URW + PG_G
    invlpg [LIN_UA]
    R0READ LIN_UA
    ; ... and after toggling CR4.PGE, which flushes global entries.
    mov dword [pt1 + 0*4], FRAME_A + PG_URW + PG_G
    mov eax, cr4
    and eax, ~CR4_PGE
    mov cr4, eax
    R0READ LIN_UA
    and dword [pt1 + 0*4], ~PG_G
    invlpg [LIN_UA]
    ret

disable_paging:
    mov eax, cr0
    and eax, ~CR0_PG
    mov cr0, eax
    jmp .flush
.flush:
    xor eax, eax
    mov cr3, eax
    mov cr4, eax
    ret

; ---------------------------------------------------------------------------
; PAE (SDM Vol. 3A, 4.4): PDPT with one present entry, 2 MiB and 4 KiB
; pages, 64-bit entries, NX with EFER.NXE, reserved bits.
; ---------------------------------------------------------------------------
build_pae:
    mov dword [pdpt + 0], pae_pd + PG_P
    mov dword [pdpt + 4], 0
    ; PDE 0: 2 MiB identity page for the kernel (user so ring 3 works).
    mov dword [pae_pd + 0*8], 0 + PG_URW + PG_PS
    mov dword [pae_pd + 1*8], pae_pt + PG_URW
    mov dword [pae_pd + 2*8], BIG_FRAME + PG_URW + PG_PS
    mov dword [pae_pd + 3*8], BIG_FRAME + PG_URW + PG_PS
    mov dword [pae_pd + 3*8 + 4], PTE_HI_NX
    mov dword [pae_pt + 0*8], FRAME_A + PG_URW
    mov dword [pae_pt + 1*8], FRAME_C + PG_URW
    mov dword [pae_pt + 1*8 + 4], PTE_HI_NX
    mov dword [pae_pt + 2*8], FRAME_C + PG_URW
    mov dword [pae_pt + 4*8], 0
    ret

%macro SHOWPTE64 2
    P "  ", %1, "="
    H32 [%2 + 4]
    P "_"
    H32 [%2]
    NL
%endmacro

test_pae:
    call build_pae
    mov eax, pdpt
    mov cr3, eax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    jmp .flush
.flush:
    P "PAE on: "
    SHOWCR
    mov ecx, MSR_EFER
    rdmsr
    P "efer="
    H32 edx
    P "_"
    H32 eax
    NL
    PL "EFER.NXE=0:"
    R0READ PLIN_A
    R0EXEC PLIN_C
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_NXE
    wrmsr
    rdmsr
    P "EFER.NXE=1: efer="
    H32 edx
    P "_"
    H32 eax
    NL
    R0READ PLIN_C_NX
    R0EXEC PLIN_C
    R0EXEC PLIN_C_NX
    R0EXEC PLIN_BIG_NX + (FRAME_C - BIG_FRAME)
    R0READ PLIN_BIG_NX + (FRAME_C - BIG_FRAME)
    R0READ PLIN_BIG + (FRAME_A - BIG_FRAME)
    R0EXEC PLIN_NP
    R0READ PLIN_NP
    R0WRITE PLIN_NP, 1
    R3READ(PLIN_C_NX)
    R3EXEC(PLIN_C_NX)
    R3EXEC(PLIN_C)
    PL "PAE accessed/dirty bits:"
    SHOWPTE64 "pte 200000h", pae_pt + 0*8
    R0WRITE PLIN_A + 4, 0x55
    SHOWPTE64 "pte 200000h after write", pae_pt + 0*8
    SHOWPTE64 "pte 201000h", pae_pt + 1*8
    SHOWPTE64 "pde 200000h", pae_pd + 1*8
    SHOWPTE64 "pde 400000h (2M)", pae_pd + 2*8
    SHOWPTE64 "pde 600000h (2M, NX)", pae_pd + 3*8
    PL "remap 200000h -> FRAME_B, invlpg:"
    mov dword [pae_pt + 0*8], FRAME_B + PG_URW
    invlpg [PLIN_A]
    R0READ PLIN_A
    mov ecx, MSR_EFER
    rdmsr
    and eax, ~EFER_NXE
    wrmsr
    ret

section .bss
alignb 4096
pd:         resd 1024
pt0:        resd 1024
pt1:        resd 1024
pae_pd:     resq 512
pae_pt:     resq 512
alignb 32
pdpt:       resq 4
