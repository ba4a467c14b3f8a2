; hello.asm — smoke-test kernel and the default guest of `npm start`.
;
; Prints a greeting, the Multiboot boot magic and a few fields of the
; Multiboot information structure (Multiboot spec 3.3). QEMU and tabvm are
; both run with 32 MiB of RAM, so mem_lower/mem_upper must match.
;
; QEMU: qemu-system-i386 -M pc -m 32 -display none -nodefaults -serial stdio
;       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot -kernel hello.elf

%include "lib.inc"

MBI_FLAGS       equ 0
MBI_MEM_LOWER   equ 4
MBI_MEM_UPPER   equ 8
MBI_CMDLINE     equ 16
MBI_F_MEM       equ 1 << 0
MBI_F_CMDLINE   equ 1 << 2

main:
    PL "hello from tabvm test kernel"
    P "multiboot magic="
    H32 [mb_magic]
    NL
    mov ebx, [mb_info]
    P "mbi flags="
    ; Only the bits this kernel asked about are compared: mem (0) and
    ; cmdline (2). Loaders are free to set more (QEMU sets mmap, name...).
    mov eax, [ebx + MBI_FLAGS]
    and eax, MBI_F_MEM | MBI_F_CMDLINE
    H32 eax
    NL
    test dword [ebx + MBI_FLAGS], MBI_F_MEM
    jz .nomem
    P "mem_lower="
    H32 [ebx + MBI_MEM_LOWER]
    P " KiB, mem_upper="
    H32 [ebx + MBI_MEM_UPPER]
    PL " KiB"
.nomem:
    test dword [ebx + MBI_FLAGS], MBI_F_CMDLINE
    jz .nocmd
    ; QEMU passes "<kernel path> <-append text>"; the path differs between
    ; hosts, so only its last component and the arguments are printed.
    mov esi, [ebx + MBI_CMDLINE]
    mov edi, esi                ; start of the last path component
.scan:
    mov al, [esi]
    test al, al
    jz .args
    cmp al, ' '
    je .args
    inc esi
    cmp al, '/'
    jne .scan
    mov edi, esi
    jmp .scan
.args:
    P "cmdline kernel="
.kname:
    cmp edi, esi
    je .kname_end
    mov al, [edi]
    call putc
    inc edi
    jmp .kname
.kname_end:
    cmp byte [esi], ' '
    jne .print_args
    inc esi
.print_args:
    P " args=", '"'
    call puts
    PL '"'
.nocmd:
    DONE
