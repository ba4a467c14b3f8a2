; profile-loops.asm — the guest profiler's test guest (core-as/cpu/profile.ts).
;
; Runs two loops of the same three instructions: loop_three for 3 × N
; iterations, then loop_one for N, and exits. A profile of this kernel must
; give loop_three 3/4 and loop_one 1/4 of the samples (all else is a few
; hundred instructions of setup and printing). The loops have no inner labels,
; so every address of a loop belongs to the loop's own symbol (nm -n).
;
; QEMU: qemu-system-i386 -M pc -m 32 -display none -nodefaults -serial stdio
;       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot
;       -kernel profile-loops.elf

%include "lib.inc"

ITERATIONS      equ 1000000         ; N: loop_one's iterations (3 instructions each)

main:
    xor eax, eax
    mov ecx, 3 * ITERATIONS
    call loop_three
    mov ecx, ITERATIONS
    call loop_one
    P "sum="
    H32 eax
    NL
    DONE

; ECX iterations of three instructions.
loop_three:
    add eax, 3
    dec ecx
    jnz loop_three
    ret

; ECX iterations of three instructions.
loop_one:
    add eax, 1
    dec ecx
    jnz loop_one
    ret
