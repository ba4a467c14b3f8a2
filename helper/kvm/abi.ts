// The KVM API as this engine uses it (Linux Documentation/virt/kvm/api.rst,
// include/uapi/linux/kvm.h and arch/x86/include/uapi/asm/kvm.h, x86-64 host).
// Every struct layout and ioctl number used lives here; test/helper/layouts
// compiles a C program against the installed <linux/kvm.h> and compares.

import { IO, IOR, IOW, IOWR, type StructLayout } from '../ioctl-numbers.js';

export const KVMIO = 0xae;
export const KVM_API_VERSION = 12;

/** struct kvm_userspace_memory_region */
export const USER_MEMORY_REGION: StructLayout = {
  c: 'struct kvm_userspace_memory_region',
  size: 32,
  fields: { slot: 0, flags: 4, guest_phys_addr: 8, memory_size: 16, userspace_addr: 24 },
};
export const KVM_MEM_READONLY = 2;

/** struct kvm_run: the page shared with the kernel (mmap of the vCPU fd). */
export const RUN: StructLayout = {
  c: 'struct kvm_run',
  size: 2352,
  fields: {
    request_interrupt_window: 0,
    immediate_exit: 1,
    exit_reason: 8,
    ready_for_interrupt_injection: 12,
    if_flag: 13,
    cr8: 16,
    apic_base: 24,
    'io.direction': 32,
    'io.size': 33,
    'io.port': 34,
    'io.count': 36,
    'io.data_offset': 40,
    'mmio.phys_addr': 32,
    'mmio.data': 40,
    'mmio.len': 48,
    'mmio.is_write': 52,
    'fail_entry.hardware_entry_failure_reason': 32,
    'internal.suberror': 32,
    'system_event.type': 32,
    'ex.exception': 32,
    'ex.error_code': 36,
  },
};

/** struct kvm_regs: 16 general registers (rax rbx rcx rdx rsi rdi rsp rbp r8-r15), rip, rflags. */
export const REGS: StructLayout = {
  c: 'struct kvm_regs',
  size: 144,
  fields: { rax: 0, rbx: 8, rcx: 16, rdx: 24, rsi: 32, rdi: 40, rsp: 48, rbp: 56, rip: 128, rflags: 136 },
};

/** struct kvm_segment */
export const SEGMENT: StructLayout = {
  c: 'struct kvm_segment',
  size: 24,
  fields: { base: 0, limit: 8, selector: 12, type: 14, present: 15, dpl: 16, db: 17, s: 18, l: 19, g: 20, avl: 21, unusable: 22 },
};

/** struct kvm_dtable */
export const DTABLE: StructLayout = { c: 'struct kvm_dtable', size: 16, fields: { base: 0, limit: 8 } };

/** struct kvm_sregs: segments in this order, then the descriptor tables and control registers. */
export const SREGS: StructLayout = {
  c: 'struct kvm_sregs',
  size: 312,
  fields: {
    cs: 0,
    ds: 24,
    es: 48,
    fs: 72,
    gs: 96,
    ss: 120,
    tr: 144,
    ldt: 168,
    gdt: 192,
    idt: 208,
    cr0: 224,
    cr2: 232,
    cr3: 240,
    cr4: 248,
    cr8: 256,
    efer: 264,
    apic_base: 272,
    interrupt_bitmap: 280,
  },
};

/** struct kvm_fpu: the FXSAVE-like image KVM_GET_FPU/KVM_SET_FPU move. */
export const FPU: StructLayout = {
  c: 'struct kvm_fpu',
  size: 416,
  fields: { fpr: 0, fcw: 128, fsw: 130, ftwx: 132, last_opcode: 134, last_ip: 136, last_dp: 144, xmm: 152, mxcsr: 408 },
};

/** struct kvm_irq_level */
export const IRQ_LEVEL: StructLayout = { c: 'struct kvm_irq_level', size: 8, fields: { irq: 0, level: 4 } };
/** struct kvm_interrupt (userspace PIC: KVM_INTERRUPT) */
export const INTERRUPT: StructLayout = { c: 'struct kvm_interrupt', size: 4, fields: { irq: 0 } };
/** struct kvm_pit_config */
export const PIT_CONFIG: StructLayout = { c: 'struct kvm_pit_config', size: 64, fields: { flags: 0 } };
/** struct kvm_irqchip: chip_id then a 512-byte union (kvm_pic_state / kvm_ioapic_state). */
export const IRQCHIP: StructLayout = { c: 'struct kvm_irqchip', size: 520, fields: { chip_id: 0, chip: 8 } };
/** struct kvm_pit_state2 */
export const PIT_STATE2: StructLayout = { c: 'struct kvm_pit_state2', size: 112, fields: { channels: 0, flags: 72 } };
/** struct kvm_cpuid2 header and struct kvm_cpuid_entry2 */
export const CPUID2: StructLayout = { c: 'struct kvm_cpuid2', size: 8, fields: { nent: 0, entries: 8 } };
export const CPUID_ENTRY2: StructLayout = {
  c: 'struct kvm_cpuid_entry2',
  size: 40,
  fields: { function: 0, index: 4, flags: 8, eax: 12, ebx: 16, ecx: 20, edx: 24 },
};
/** struct kvm_stats_header and struct kvm_stats_desc (KVM_GET_STATS_FD, api.rst §4.133). */
export const STATS_HEADER: StructLayout = {
  c: 'struct kvm_stats_header',
  size: 24,
  fields: { flags: 0, name_size: 4, num_desc: 8, id_offset: 12, desc_offset: 16, data_offset: 20 },
};
export const STATS_DESC: StructLayout = {
  c: 'struct kvm_stats_desc',
  size: 16,
  fields: { flags: 0, exponent: 4, size: 6, offset: 8, bucket_size: 12, name: 16 },
};

export const LAYOUTS = [
  USER_MEMORY_REGION,
  RUN,
  REGS,
  SEGMENT,
  DTABLE,
  SREGS,
  FPU,
  IRQ_LEVEL,
  INTERRUPT,
  PIT_CONFIG,
  IRQCHIP,
  PIT_STATE2,
  CPUID2,
  CPUID_ENTRY2,
  STATS_HEADER,
  STATS_DESC,
];

/** ioctls on /dev/kvm (system), the VM fd and the vCPU fd. */
export const KVM = {
  GET_API_VERSION: IO(KVMIO, 0x00),
  CREATE_VM: IO(KVMIO, 0x01),
  CHECK_EXTENSION: IO(KVMIO, 0x03),
  GET_VCPU_MMAP_SIZE: IO(KVMIO, 0x04),
  GET_SUPPORTED_CPUID: IOWR(KVMIO, 0x05, CPUID2.size),
  CREATE_VCPU: IO(KVMIO, 0x41),
  SET_USER_MEMORY_REGION: IOW(KVMIO, 0x46, USER_MEMORY_REGION.size),
  SET_TSS_ADDR: IO(KVMIO, 0x47),
  SET_IDENTITY_MAP_ADDR: IOW(KVMIO, 0x48, 8),
  CREATE_IRQCHIP: IO(KVMIO, 0x60),
  IRQ_LINE: IOW(KVMIO, 0x61, IRQ_LEVEL.size),
  GET_IRQCHIP: IOWR(KVMIO, 0x62, IRQCHIP.size),
  SET_IRQCHIP: IOR(KVMIO, 0x63, IRQCHIP.size),
  CREATE_PIT2: IOW(KVMIO, 0x77, PIT_CONFIG.size),
  GET_PIT2: IOR(KVMIO, 0x9f, PIT_STATE2.size),
  SET_PIT2: IOW(KVMIO, 0xa0, PIT_STATE2.size),
  RUN: IO(KVMIO, 0x80),
  GET_REGS: IOR(KVMIO, 0x81, REGS.size),
  SET_REGS: IOW(KVMIO, 0x82, REGS.size),
  GET_SREGS: IOR(KVMIO, 0x83, SREGS.size),
  SET_SREGS: IOW(KVMIO, 0x84, SREGS.size),
  INTERRUPT: IOW(KVMIO, 0x86, INTERRUPT.size),
  GET_FPU: IOR(KVMIO, 0x8c, FPU.size),
  SET_FPU: IOW(KVMIO, 0x8d, FPU.size),
  SET_CPUID2: IOW(KVMIO, 0x90, CPUID2.size),
  GET_STATS_FD: IO(KVMIO, 0xce),
} as const;

/** C macro name of each ioctl (the layout test prints them). */
export const KVM_IOCTL_MACROS: Record<keyof typeof KVM, string> = Object.fromEntries(
  Object.keys(KVM).map((k) => [k, `KVM_${k}`]),
) as Record<keyof typeof KVM, string>;

/** kvm_run.exit_reason values. */
export const EXIT = {
  UNKNOWN: 0,
  EXCEPTION: 1,
  IO: 2,
  HYPERCALL: 3,
  DEBUG: 4,
  HLT: 5,
  MMIO: 6,
  IRQ_WINDOW_OPEN: 7,
  SHUTDOWN: 8,
  FAIL_ENTRY: 9,
  INTR: 10,
  INTERNAL_ERROR: 17,
  SYSTEM_EVENT: 24,
} as const;
export const EXIT_IO_IN = 0;
export const EXIT_IO_OUT = 1;

/** KVM_CHECK_EXTENSION capabilities the engine needs. */
export const CAP = {
  IRQCHIP: 0,
  HLT: 1,
  USER_MEMORY: 3,
  SET_TSS_ADDR: 4,
  EXT_CPUID: 7,
  PIT2: 33,
  IMMEDIATE_EXIT: 136,
  BINARY_STATS_FD: 203,
} as const;

/** kvm_stats_desc.flags (api.rst, KVM_GET_STATS_FD). */
export const STATS_TYPE_MASK = 0xf;
export const STATS_TYPE_NAMES = ['cumulative', 'instant', 'peak', 'linear_hist', 'log_hist'] as const;
export const STATS_UNIT_SHIFT = 4;
export const STATS_UNIT_MASK = 0xf;
export const STATS_UNIT_NAMES = ['events', 'bytes', 'seconds', 'cycles', 'boolean'] as const;
export const STATS_BASE_SHIFT = 8;
export const STATS_BASE_MASK = 0xf;
export const STATS_BASE_POW2 = 1;

/** C names of the constants above, for the layout test. */
export const KVM_CONSTANT_MACROS: Record<string, number> = {
  KVM_API_VERSION,
  KVM_MEM_READONLY,
  KVM_EXIT_IO_IN: EXIT_IO_IN,
  KVM_EXIT_IO_OUT: EXIT_IO_OUT,
  ...Object.fromEntries(Object.entries(EXIT).map(([k, v]) => [`KVM_EXIT_${k}`, v])),
  ...Object.fromEntries(Object.entries(CAP).map(([k, v]) => [`KVM_CAP_${k}`, v])),
  KVM_STATS_TYPE_MASK: STATS_TYPE_MASK,
  KVM_STATS_UNIT_SHIFT: STATS_UNIT_SHIFT,
  KVM_STATS_BASE_SHIFT: STATS_BASE_SHIFT,
  KVM_STATS_TYPE_PEAK: 2,
  KVM_STATS_UNIT_SECONDS: 2 << STATS_UNIT_SHIFT,
  KVM_STATS_BASE_POW2: STATS_BASE_POW2 << STATS_BASE_SHIFT,
};
