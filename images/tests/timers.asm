; timers.asm — the 8259A pair, the 8254 and the MC146818 driven the way an
; operating system drives them, with interrupts taken by the CPU.
;
; Programs both 8259As (vectors 0x20/0x28), runs PIT channel 0 in mode 2 at
; ~100 Hz and counts timer interrupts with HLT; checks the 8254 read-back
; status byte, channel 2's OUT through port 0x61, the 8259A poll command and
; ISR inside a handler; takes RTC periodic and update-ended interrupts
; through the slave; prints the CMOS bytes QEMU's pc machine defines. Only
; timing-independent facts are printed (counts are waited for, not sampled).
;
; QEMU: qemu-system-i386 -M pc -m 32 -display none -nodefaults -serial stdio
;       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot
;       -kernel timers.elf

%include "lib.inc"

PIC1            equ 0x20
PIC2            equ 0xa0
PIT_CH0         equ 0x40
PIT_CH2         equ 0x42
PIT_CTRL        equ 0x43
PORT_B          equ 0x61
CMOS_INDEX      equ 0x70
CMOS_DATA       equ 0x71
VEC_TIMER       equ 0x20
VEC_SPURIOUS1   equ 0x27
VEC_RTC         equ 0x28
VEC_SPURIOUS2   equ 0x2f
PIT_100HZ       equ 11932
TICKS_WANTED    equ 10
RTC_IRQS_WANTED equ 8
POLL_LIMIT      equ 50000000

; CMOSR reg — AL = CMOS register reg (NMI stays enabled).
%macro CMOSR 1
    mov al, %1
    out CMOS_INDEX, al
    in al, CMOS_DATA
%endmacro
; CMOSW reg, value
%macro CMOSW 2
    mov al, %1
    out CMOS_INDEX, al
    mov al, %2
    out CMOS_DATA, al
%endmacro

main:
    SETGATE VEC_TIMER, timer_irq, SEL_CODE0, G_INT32
    SETGATE VEC_SPURIOUS1, spurious_irq, SEL_CODE0, G_INT32
    SETGATE VEC_RTC, rtc_irq, SEL_CODE0, G_INT32
    SETGATE VEC_SPURIOUS2, spurious_irq, SEL_CODE0, G_INT32
    call pic_init

    ; --- 8254 channel 0, mode 2, lo/hi, binary.
    mov al, 0x34
    out PIT_CTRL, al
    mov ax, PIT_100HZ
    out PIT_CH0, al
    mov al, ah
    out PIT_CH0, al
    ; Read-back of channel 0's status: RW, mode, BCD. OUT and NULL COUNT are
    ; masked: QEMU never sets NULL COUNT, and its mode 2 OUT is low except
    ; for one tick where the 8254 datasheet has it high except for one tick.
    mov al, 0xe2
    out PIT_CTRL, al
    in al, PIT_CH0
    and al, 0x3f
    P "pit status="
    H8 eax
    NL

    ; --- IRQ 0 only, then count ticks with HLT (STI;HLT is atomic).
    mov al, 0xfe
    out PIC1 + 1, al
.wait_ticks:
    cli
    cmp dword [ticks], TICKS_WANTED
    jae .ticks_done
    sti
    hlt
    jmp .wait_ticks
.ticks_done:
    P "timer ticks="
    H32 [ticks]
    NL
    P "isr in handler="
    H8 [isr_seen]
    NL

    ; --- Poll command: with IF=0, wait for IRR0, then poll.
    mov ecx, POLL_LIMIT
.wait_irr:
    mov al, 0x0a
    out PIC1, al
    in al, PIC1
    test al, 1
    jnz .irr_set
    dec ecx
    jnz .wait_irr
.irr_set:
    mov al, 0x0c
    out PIC1, al
    in al, PIC1
    P "poll="
    H8 eax
    NL
    mov al, 0x0b
    out PIC1, al
    in al, PIC1
    P "isr after poll="
    H8 eax
    NL
    mov al, 0x20
    out PIC1, al
    mov al, 0xff
    out PIC1 + 1, al

    ; --- Channel 2 mode 0 through port 0x61: OUT2 low, then high at terminal count.
    in al, PORT_B
    and al, 0xfc
    or al, 0x01                 ; gate on, speaker off
    out PORT_B, al
    mov al, 0xb0
    out PIT_CTRL, al
    mov al, 0xe8                ; 1000
    out PIT_CH2, al
    mov al, 0x03
    out PIT_CH2, al
    in al, PORT_B
    and al, 0x21
    P "port61 after load="
    H8 eax
    NL
    mov ecx, POLL_LIMIT
.wait_out2:
    in al, PORT_B
    test al, 0x20
    jnz .out2_high
    dec ecx
    jnz .wait_out2
.out2_high:
    in al, PORT_B
    and al, 0x21
    P "port61 at terminal count="
    H8 eax
    NL

    ; --- RTC registers as the firmware leaves them (A's UIP masked).
    CMOSR 0x0a
    and al, 0x7f
    P "rtc A="
    H8 eax
    CMOSR 0x0b
    P " B="
    H8 eax
    CMOSR 0x0d
    P " D="
    H8 eax
    NL

    ; --- RTC periodic interrupt at 1024 Hz through the slave (IRQ 8).
    CMOSW 0x0a, 0x26
    CMOSR 0x0c                  ; clear stale flags
    mov al, 0xfb                ; master: cascade only
    out PIC1 + 1, al
    mov al, 0xfe                ; slave: IRQ 8
    out PIC2 + 1, al
    CMOSR 0x0b
    or al, 0x40
    mov bl, al
    CMOSW 0x0b, bl
.wait_rtc:
    cli
    cmp dword [rtc_irqs], RTC_IRQS_WANTED
    jae .rtc_done
    sti
    hlt
    jmp .wait_rtc
.rtc_done:
    CMOSR 0x0b
    and al, ~0x40
    mov bl, al
    CMOSW 0x0b, bl
    P "rtc periodic irqs="
    H32 [rtc_irqs]
    P " flags="
    mov al, [rtc_flags]
    and al, 0xc0                ; IRQF, PF (UF and AF depend on the date)
    H8 eax
    NL

    ; --- Update-ended interrupt: the next second's update.
    mov dword [rtc_irqs], 0
    mov byte [rtc_flags], 0
    CMOSR 0x0c
    CMOSR 0x0b
    or al, 0x10
    mov bl, al
    CMOSW 0x0b, bl
.wait_uf:
    cli
    cmp dword [rtc_irqs], 1
    jae .uf_done
    sti
    hlt
    jmp .wait_uf
.uf_done:
    CMOSR 0x0b
    and al, ~0x10
    mov bl, al
    CMOSW 0x0b, bl
    P "rtc update irq flags="
    mov al, [rtc_flags]
    and al, 0x90                ; IRQF, UF (PF runs without PIE)
    H8 eax
    NL

    ; --- CMOS NVRAM as QEMU's pc machine fills it (32 MiB of RAM).
    P "cmos base="
    CMOSR 0x16
    H8 eax
    CMOSR 0x15
    H8 eax
    P " ext="
    CMOSR 0x18
    H8 eax
    CMOSR 0x17
    H8 eax
    P " ext2="
    CMOSR 0x31
    H8 eax
    CMOSR 0x30
    H8 eax
    P " high="
    CMOSR 0x35
    H8 eax
    CMOSR 0x34
    H8 eax
    P " cpus-1="
    CMOSR 0x5f
    H8 eax
    P " century="
    CMOSR 0x32
    H8 eax
    NL

    mov al, 0xff
    out PIC1 + 1, al
    out PIC2 + 1, al
    P "spurious="
    H32 [spurious]
    NL
    DONE

; Both 8259As: edge triggered, cascade on IR2, 8086 mode, all masked.
pic_init:
    mov al, 0x11
    out PIC1, al
    out PIC2, al
    mov al, VEC_TIMER
    out PIC1 + 1, al
    mov al, VEC_RTC
    out PIC2 + 1, al
    mov al, 0x04
    out PIC1 + 1, al
    mov al, 0x02
    out PIC2 + 1, al
    mov al, 0x01
    out PIC1 + 1, al
    out PIC2 + 1, al
    mov al, 0xff
    out PIC1 + 1, al
    out PIC2 + 1, al
    ret

timer_irq:
    push eax
    inc dword [ticks]
    cmp dword [ticks], 1
    jne .eoi
    mov al, 0x0b                ; read ISR while in service
    out PIC1, al
    in al, PIC1
    mov [isr_seen], al
    mov al, 0x0a
    out PIC1, al
.eoi:
    mov al, 0x20
    out PIC1, al
    pop eax
    iretd

rtc_irq:
    push eax
    mov al, 0x0c
    out CMOS_INDEX, al
    in al, CMOS_DATA            ; reading C acknowledges the RTC
    or [rtc_flags], al
    inc dword [rtc_irqs]
    mov al, 0x20
    out PIC2, al
    out PIC1, al
    pop eax
    iretd

spurious_irq:
    inc dword [spurious]
    iretd

section .data
ticks:      dd 0
rtc_irqs:   dd 0
spurious:   dd 0
isr_seen:   db 0
rtc_flags:  db 0
