; A boot sector for the browser tests (test/web): shows what the boot disk's
; second sector held and writes a new generation of a marker there, so a
; test can follow the guest's writes through the page's copy-on-write overlay,
; its export and its import into another machine.
;
; Through the BIOS disk services (int 13h AH=02h read, AH=03h write, CHS
; 0/0/2 of the boot drive DL) it prints on COM1
; "BEFORE: <text of sector 2>", then writes "MARK n" (n one more than the
; marker it found, else 1) and prints "WROTE: MARK n", then sleeps in HLT.
bits 16
org 0x7c00

COM1     equ 0x3f8
COM1_LSR equ COM1 + 5
BUFFER   equ 0x8000
TEXT_MAX equ 32

start:
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7c00
  cld
  mov [drive], dl
  mov ax, 0x0201             ; read one sector
  call disk
  mov si, before
  call puts
  mov si, BUFFER
  mov cx, TEXT_MAX
.show:
  lodsb
  cmp al, ' '
  jb .shown
  cmp al, '~'
  ja .shown
  call put
  loop .show
.shown:
  mov si, crlf
  call puts
  mov si, BUFFER             ; "MARK " there: the next generation, else the first
  mov di, mark
  mov cx, 5
  repe cmpsb
  mov al, '1'
  jne .first
  mov al, [BUFFER + 5]
  inc al
.first:
  mov si, mark
  mov di, BUFFER
  mov cx, 5
  rep movsb
  stosb
  xor al, al
  stosb
  mov ax, 0x0301             ; write it back
  call disk
  mov si, wrote
  call puts
  mov si, BUFFER
  call puts
  mov si, crlf
  call puts
  sti                        ; HLT with interrupts on: the machine idles, it does not stop
.sleep:
  hlt
  jmp .sleep

disk:                        ; AH/AL = service/count on CHS 0/0/2 of the boot drive, buffer BUFFER
  mov cx, 0x0002
  xor dh, dh
  mov dl, [drive]
  mov bx, BUFFER
  int 0x13
  jnc .ok
  mov si, failed
  call puts
  jmp start.sleep
.ok: ret

put:                         ; AL to COM1 (not the BIOS teletype: SeaBIOS copies that to COM1 as well)
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

puts:
  lodsb
  or al, al
  jz .r
  call put
  jmp puts
.r: ret

drive  db 0
mark   db 'MARK '
before db 'BEFORE: ', 0
wrote  db 'WROTE: ', 0
failed db 'DISK-ERROR', 13, 10, 0
crlf   db 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
