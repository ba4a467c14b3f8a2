; hdboot: tabvm's hard-disk boot loader for Linux (nasm -f bin; 6 sectors).
;
; The BIOS loads sector 0 (this file's first 512 bytes, with an MBR partition
; table and the 55 AA signature) at 0x7C00 and jumps to it with DL = the boot
; drive. hdboot reads its other sectors, then loads a bzImage and an initrd
; from the disk with INT 13h extended reads (AH=42h, EDD 3.0) and starts the
; kernel through the 16-bit Linux boot protocol:
;
;   Linux Documentation/arch/x86/boot.rst: "Loading the rest of the kernel",
;   "Running the kernel" (real-mode code at X = 0x90000, heap to X + 0xDE00,
;   command line at X + 0xE000, jump to X:0x200 with CS = X/16 + 0x20,
;   DS = ES = SS = X/16, SP = 0xE000), protocol 2.04 or newer.
;
; The protected-mode kernel and the initrd are read in 32 KiB chunks into a
; bounce buffer at 0x10000 and copied above 1 MiB with INT 15h AH=87h (move
; extended memory). The initrd goes as high as the largest E820 RAM region
; below 4 GiB and the kernel's initrd_addr_max allow, above what the kernel
; needs to decompress itself (pref_address + init_size, protocol 2.10).
;
; The parameter block at 0x200 (sector 1) is filled in by the image builder
; (helper/images.ts buildDiskImage): "TVBP", the kernel's LBA and length in
; bytes, the initrd's LBA and length, and the command line (NUL-terminated,
; at most 491 bytes). Messages go to COM1 and to the screen (INT 10h).

bits 16
org 0x7c00

LOADER_SECTORS    equ 6
SETUP_SEG         equ 0x9000          ; X = 0x90000
HEAP_END          equ 0xde00          ; X + 0xDE00 (boot.rst: 0xE000 - 0x200)
CMDLINE_OFF       equ 0xe000          ; X + 0xE000
STACK_TOP         equ 0xe000
BOUNCE_SEG        equ 0x1000          ; 0x10000
BOUNCE_LINEAR     equ 0x10000
CHUNK_SECTORS     equ 64              ; 32 KiB per read and copy
KERNEL_HIGH       equ 0x100000
COM1              equ 0x3f8
E820_BUF          equ 0x0600          ; 20-byte E820 entry buffer (below 0x7C00)
SMAP              equ 0x534d4150

; Offsets in the kernel's real-mode header.
HDR_SETUP_SECTS   equ 0x1f1
HDR_HEADER        equ 0x202
HDR_VERSION       equ 0x206
HDR_TYPE_OF_LOADER equ 0x210
HDR_LOADFLAGS     equ 0x211
HDR_RAMDISK_IMAGE equ 0x218
HDR_RAMDISK_SIZE  equ 0x21c
HDR_HEAP_END_PTR  equ 0x224
HDR_CMD_LINE_PTR  equ 0x228
HDR_INITRD_MAX    equ 0x22c
HDR_CMDLINE_SIZE  equ 0x238
HDR_PREF_ADDRESS  equ 0x258
HDR_INIT_SIZE     equ 0x260
LOADED_HIGH       equ 0x01
CAN_USE_HEAP      equ 0x80

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    cld
    mov [boot_drive], dl
    mov si, msg_hello
    call print
    mov ah, 0x41                      ; INT 13h extensions present?
    mov bx, 0x55aa
    mov dl, [boot_drive]
    int 0x13
    jc .noext
    cmp bx, 0xaa55
    jne .noext
    mov eax, 1                        ; the rest of hdboot to 0x7E00
    mov cx, LOADER_SECTORS - 1
    xor dx, dx
    mov bx, 0x7e00
    call read_sectors
    jmp main
.noext:
    mov si, msg_noext
    jmp fail

; read_sectors: CX sectors from LBA EAX to DX:BX (segment:offset); CX <= 127.
read_sectors:
    mov [dap_count], cx
    mov [dap_offset], bx
    mov [dap_segment], dx
    mov [dap_lba], eax
    mov si, dap
    mov ah, 0x42
    mov dl, [boot_drive]
    int 0x13
    jc .err
    ret
.err:
    mov si, msg_read
    jmp fail

; print: the NUL-terminated string at DS:SI to COM1 and the screen.
print:
    pusha
.next:
    lodsb
    test al, al
    jz .done
    mov bl, al
    mov dx, COM1 + 5
    mov cx, 0xffff
.wait:
    in al, dx                         ; LSR.THRE
    test al, 0x20
    jnz .send
    loop .wait
.send:
    mov al, bl
    mov dx, COM1
    out dx, al
    mov ah, 0x0e
    mov bh, 0
    int 0x10
    jmp .next
.done:
    popa
    ret

fail:
    call print
    mov si, msg_halt
    call print
.stop:
    cli
    hlt
    jmp .stop

boot_drive: db 0
align 4
dap:        db 16, 0
dap_count:  dw 0
dap_offset: dw 0
dap_segment: dw 0
dap_lba:    dd 0, 0

msg_hello:  db 'tabvm hdboot: ', 0
msg_noext:  db 'no INT 13h extensions', 0
msg_read:   db 'disk read error', 0
msg_halt:   db '; halted', 13, 10, 0

    times 446 - ($ - $$) db 0
partitions: times 64 db 0             ; filled in by the image builder
    dw 0xaa55

; ---- sector 1: the parameter block (0x7E00) ----
params:
p_magic:        db 'TVBP'
p_kernel_lba:   dd 0
p_kernel_bytes: dd 0
p_initrd_lba:   dd 0
p_initrd_bytes: dd 0
p_cmdline:      times 512 - ($ - params) db 0

; ---- sectors 2-5: the loader (0x8000) ----
main:
    cmp dword [p_magic], 'TVBP'
    jne .badparams
    cmp dword [p_kernel_bytes], 0
    je .badparams
    mov si, msg_kernel
    call print

    ; The first sector of the kernel, then the rest of its real-mode part.
    mov eax, [p_kernel_lba]
    mov cx, 1
    mov dx, SETUP_SEG
    xor bx, bx
    call read_sectors
    push SETUP_SEG
    pop es
    cmp word [es:0x1fe], 0xaa55
    jne .notlinux
    movzx cx, byte [es:HDR_SETUP_SECTS]
    test cx, cx
    jnz .have_setup
    mov cx, 4                         ; boot.rst: 0 means 4
.have_setup:
    mov [setup_sects], cx
    mov eax, [p_kernel_lba]
    inc eax
    mov dx, SETUP_SEG
    mov bx, 0x200
    call read_sectors
    push SETUP_SEG
    pop es
    cmp dword [es:HDR_HEADER], 'HdrS'
    jne .notlinux
    cmp word [es:HDR_VERSION], 0x0204
    jb .tooold
    test byte [es:HDR_LOADFLAGS], LOADED_HIGH
    jz .notlinux

    ; The protected-mode kernel: the rest of the file, to 1 MiB.
    movzx eax, word [setup_sects]
    inc eax
    mov ebx, eax                      ; setup sectors + boot sector
    shl eax, 9
    mov ecx, [p_kernel_bytes]
    sub ecx, eax
    jbe .notlinux
    mov [pm_bytes], ecx
    add ecx, 511
    shr ecx, 9
    mov eax, [p_kernel_lba]
    add eax, ebx
    mov edi, KERNEL_HIGH
    call load_high

    ; Where the kernel decompresses itself: it must stay clear of the initrd.
    push SETUP_SEG
    pop es
    mov eax, KERNEL_HIGH
    add eax, [pm_bytes]
    mov [kernel_end], eax
    cmp word [es:HDR_VERSION], 0x020a
    jb .no_init_size
    mov eax, [es:HDR_PREF_ADDRESS]
    add eax, [es:HDR_INIT_SIZE]
    cmp eax, [kernel_end]
    jbe .no_init_size
    mov [kernel_end], eax
.no_init_size:

    mov ecx, [p_initrd_bytes]
    test ecx, ecx
    jz .no_initrd
    mov si, msg_initrd
    call print
    call place_initrd                 ; EAX = address, or CF on failure
    jc .nofit
    mov [initrd_addr], eax
    mov edi, eax
    mov ecx, [p_initrd_bytes]
    add ecx, 511
    shr ecx, 9
    mov eax, [p_initrd_lba]
    call load_high
.no_initrd:

    ; The header fields a boot loader writes (boot.rst, "Details of header fields").
    push SETUP_SEG
    pop es
    mov byte [es:HDR_TYPE_OF_LOADER], 0xff
    or byte [es:HDR_LOADFLAGS], CAN_USE_HEAP
    mov word [es:HDR_HEAP_END_PTR], HEAP_END
    mov dword [es:HDR_CMD_LINE_PTR], SETUP_SEG * 16 + CMDLINE_OFF
    mov eax, [initrd_addr]
    mov [es:HDR_RAMDISK_IMAGE], eax
    mov eax, [p_initrd_bytes]
    mov [es:HDR_RAMDISK_SIZE], eax
    ; The command line, cut to the kernel's cmdline_size (2.06+; 255 before).
    mov ecx, 255
    cmp word [es:HDR_VERSION], 0x0206
    jb .cmdsize
    mov ecx, [es:HDR_CMDLINE_SIZE]
.cmdsize:
    cmp ecx, 511
    jbe .cmdcopy
    mov ecx, 511
.cmdcopy:
    mov si, p_cmdline
    mov di, CMDLINE_OFF
.cmdnext:
    jecxz .cmdend
    lodsb
    test al, al
    jz .cmdend
    stosb
    dec ecx
    jmp .cmdnext
.cmdend:
    mov byte [es:di], 0

    mov si, msg_boot
    call print
    ; boot.rst "Running the kernel": segments X/16, SP at the top of the heap, enter at X/16+0x20:0.
    cli
    mov ax, SETUP_SEG
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov sp, STACK_TOP
    jmp SETUP_SEG + 0x20:0

.badparams:
    mov si, msg_params
    jmp fail
.notlinux:
    mov si, msg_notlinux
    jmp fail
.tooold:
    mov si, msg_tooold
    jmp fail
.nofit:
    mov si, msg_nofit
    jmp fail

; load_high: ECX sectors from LBA EAX to linear address EDI (above 1 MiB),
; through the bounce buffer and INT 15h AH=87h.
load_high:
    mov [lh_lba], eax
    mov [lh_left], ecx
    mov [lh_dest], edi
.chunk:
    mov ecx, [lh_left]
    test ecx, ecx
    jz .done
    cmp ecx, CHUNK_SECTORS
    jbe .n
    mov ecx, CHUNK_SECTORS
.n:
    mov [lh_count], ecx
    mov eax, [lh_lba]
    mov dx, BOUNCE_SEG
    xor bx, bx
    call read_sectors
    ; The move descriptors: source = the bounce buffer, destination = EDI.
    mov eax, BOUNCE_LINEAR
    mov [gdt_src + 2], ax
    shr eax, 16
    mov [gdt_src + 4], al
    mov [gdt_src + 7], ah
    mov eax, [lh_dest]
    mov [gdt_dst + 2], ax
    shr eax, 16
    mov [gdt_dst + 4], al
    mov [gdt_dst + 7], ah
    mov ecx, [lh_count]
    shl ecx, 8                        ; words = sectors * 256
    push ds
    pop es
    mov si, move_gdt
    mov ah, 0x87
    int 0x15
    jc .err
    mov ecx, [lh_count]
    add [lh_lba], ecx
    sub [lh_left], ecx
    shl ecx, 9
    add [lh_dest], ecx
    mov si, msg_dot
    call print
    jmp .chunk
.done:
    ret
.err:
    mov si, msg_move
    jmp fail

; place_initrd: EAX = the highest page-aligned address for p_initrd_bytes in
; an E820 RAM region below 4 GiB and initrd_addr_max, above kernel_end; CF if none.
place_initrd:
    push SETUP_SEG
    pop es
    mov eax, [es:HDR_INITRD_MAX]
    inc eax                           ; the initrd's end may touch initrd_addr_max + 1
    jnz .limit_ok
    mov eax, 0xfffff000               ; initrd_addr_max = 4 GiB - 1
.limit_ok:
    mov [limit], eax
    mov dword [best], 0
    xor ebx, ebx
.next:
    push ds
    pop es
    mov di, E820_BUF
    mov eax, 0xe820
    mov ecx, 20
    mov edx, SMAP
    int 0x15
    jc .end
    cmp eax, SMAP
    jne .end
    cmp dword [E820_BUF + 16], 1      ; type RAM
    jne .cont
    cmp dword [E820_BUF + 4], 0       ; base below 4 GiB
    jne .cont
    mov eax, [E820_BUF]               ; region end, capped at 4 GiB and the limit
    mov edx, [E820_BUF + 8]
    add edx, eax
    jc .cap
    cmp dword [E820_BUF + 12], 0
    je .capped
.cap:
    mov edx, 0xfffff000
.capped:
    cmp edx, [limit]
    jbe .lim
    mov edx, [limit]
.lim:
    sub edx, [p_initrd_bytes]
    jb .cont
    and edx, 0xfffff000
    cmp edx, [E820_BUF]               ; inside the region
    jb .cont
    cmp edx, [kernel_end]             ; above the kernel
    jb .cont
    cmp edx, [best]
    jbe .cont
    mov [best], edx
.cont:
    test ebx, ebx
    jnz .next
.end:
    mov eax, [best]
    cmp eax, 1                        ; CF = (best == 0)
    ret

align 8
move_gdt:   times 16 db 0             ; INT 15h AH=87h: dummy, GDT alias
gdt_src:    dw 0xffff, 0
            db 0, 0x93, 0, 0
gdt_dst:    dw 0xffff, 0
            db 0, 0x93, 0, 0
            times 16 db 0             ; BIOS code and stack, filled in by the BIOS

setup_sects: dw 0
pm_bytes:    dd 0
kernel_end:  dd 0
initrd_addr: dd 0
lh_lba:      dd 0
lh_left:     dd 0
lh_dest:     dd 0
lh_count:    dd 0
limit:       dd 0
best:        dd 0

msg_kernel:   db 'loading the kernel', 0
msg_initrd:   db 13, 10, 'loading the initrd', 0
msg_boot:     db 13, 10, 'booting', 13, 10, 0
msg_dot:      db '.', 0
msg_params:   db 'no parameter block (not built by tabvm images prepare)', 0
msg_notlinux: db 'not a Linux bzImage', 0
msg_tooold:   db 'the kernel boot protocol is older than 2.04', 0
msg_nofit:    db 13, 10, 'the initrd does not fit in RAM above the kernel', 0
msg_move:     db 'INT 15h AH=87h (move to extended memory) failed', 0

    times LOADER_SECTORS * 512 - ($ - $$) db 0
