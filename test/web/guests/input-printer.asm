; A boot sector for the browser tests (test/web): prints what reaches the
; guest's input devices on COM1, so a test can check the page's keyboard,
; mouse and serial paths end to end.
;
; It says "INPUT-READY" on COM1 and the screen, enables the 8042's aux port
; (command 0xA8), sends the mouse the IntelliMouse knock (sample rates 200,
; 100, 80: 4-byte packets with a wheel byte), asks its id (0xF2: "m03"
; afterwards) and enables reporting (0xF4). Then, with the keyboard and mouse
; interrupts masked at the PICs so the BIOS handlers take nothing, it prints
; every byte the 8042 delivers as "kXX " (keyboard) or "mXX " (mouse: status
; bit 5) and every byte COM1 receives as "sXX ", sleeping in HLT between
; timer ticks (its own IRQ0 handler: SeaBIOS's would read COM1 for its serial
; console). References: IBM PS/2 Technical Reference (8042 status
; bits 0, 1, 5; commands 0xA8, 0xD4), Microsoft IntelliMouse protocol, 16550
; LSR bits 0 (data ready) and 5 (THR empty).
bits 16
org 0x7c00

KBC_DATA   equ 0x60
KBC_STATUS equ 0x64
COM1       equ 0x3f8
COM1_LSR   equ COM1 + 5
PIC1_COMMAND equ 0x20
PIC1_MASK  equ 0x21
PIC_EOI    equ 0x20
IVT_IRQ0   equ 8 * 4           ; vector 8: the master PIC's IRQ0 under the BIOS
PIC2_MASK  equ 0xa1
TEXT_SEGMENT   equ 0xb800    ; written directly: SeaBIOS copies BIOS teletype output to COM1 too
TEXT_ROW_12    equ 12 * 160
TEXT_ATTRIBUTE equ 0x1f

start:
  cli
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  cld
  in al, PIC1_MASK
  or al, 0x02                ; IRQ1 (keyboard)
  out PIC1_MASK, al
  in al, PIC2_MASK
  or al, 0x10                ; IRQ12 (mouse)
  out PIC2_MASK, al
  mov word [IVT_IRQ0], timer  ; our own timer handler: SeaBIOS's would poll COM1 for its serial console
  mov word [IVT_IRQ0 + 2], 0
  mov si, hello
  call puts
  mov al, 0xa8               ; enable the aux port
  call command
  mov si, mouse_commands
.next:
  lodsb
  or al, al
  jz wait_input
  push ax
  mov al, 0xd4               ; the next data byte goes to the mouse
  call command
  pop ax
  call data
  call print_kbc             ; its acknowledge (FA)
  jmp .next

wait_input:
  sti
  hlt                        ; until the next timer tick
  cli
.drain:
  in al, KBC_STATUS
  test al, 1
  jz .serial
  call print_kbc
  jmp .drain
.serial:
  mov dx, COM1_LSR
  in al, dx
  test al, 1
  jz wait_input
  mov dx, COM1
  in al, dx
  mov bh, al
  mov bl, 's'
  call print_byte
  jmp .drain

timer:                       ; IRQ0: only wakes the HLT
  push ax
  mov al, PIC_EOI
  out PIC1_COMMAND, al
  pop ax
  iret

command:                     ; AL to the 8042's command port, once its input buffer is empty
  mov ah, al
.w: in al, KBC_STATUS
  test al, 2
  jnz .w
  mov al, ah
  out KBC_STATUS, al
  ret

data:                        ; AL to the 8042's data port
  mov ah, al
.w: in al, KBC_STATUS
  test al, 2
  jnz .w
  mov al, ah
  out KBC_DATA, al
  ret

print_kbc:                   ; wait for a byte from the 8042, print it as kXX or mXX
.w: in al, KBC_STATUS
  test al, 1
  jz .w
  mov bl, 'k'
  test al, 0x20
  jz .k
  mov bl, 'm'
.k: in al, KBC_DATA
  mov bh, al
print_byte:                  ; BL, then BH in hex, then a space
  mov al, bl
  call putc
  mov al, bh
  shr al, 4
  call hex
  mov al, bh
  and al, 15
  call hex
  mov al, ' '
  jmp putc
hex:
  add al, '0'
  cmp al, '9'
  jbe putc
  add al, 'A' - '9' - 1
putc:                        ; AL to COM1
  push dx
  push ax
  mov dx, COM1_LSR
.w: in al, dx
  test al, 0x20
  jz .w
  pop ax
  mov dx, COM1
  out dx, al
  pop dx
  ret

puts:                        ; SI's string to COM1 and, white on blue, to the text screen's row 12
  push es
  mov ax, TEXT_SEGMENT
  mov es, ax
  mov di, TEXT_ROW_12
.next:
  lodsb
  or al, al
  jz .r
  call putc
  cmp al, ' '
  jb .next
  mov ah, TEXT_ATTRIBUTE
  stosw
  jmp .next
.r: pop es
  ret

hello db 'INPUT-READY', 13, 10, 0
mouse_commands db 0xf3, 200, 0xf3, 100, 0xf3, 80, 0xf2, 0xf4, 0

times 510 - ($ - $$) db 0
dw 0xaa55
