// The /dev/kqemu ABI (kqemu.h of kqemu 1.3.0pre11, KQEMU_VERSION 0x010300, and
// of kqemu 1.4.0pre1, 0x010400; Fabrice Bellard, as QEMU 0.9/0.10 used it),
// for an x86-64 host. ioctl magic 'q': EXEC 1, INIT 2, GET_VERSION 3,
// MODIFY_RAM_PAGES 4, SET_PHYS_MEM 5 (1.4 only). EXEC leaves its verdict in
// kqemu_cpu_state.retval: ABORT, an exception or interrupt to deliver, or
// SOFTMMU ("emulate this"), which the device may answer for anything.

import { IOR, IOW, IOWR, type StructLayout } from '../ioctl-numbers.js';

export const KQEMU_MAGIC = 0x71; // 'q'
export const KQEMU_VERSION_1_3 = 0x010300;
export const KQEMU_VERSION_1_4 = 0x010400;

export const RET_ABORT = -1;
export const RET_EXCEPTION = 0x0000;
export const RET_INT = 0x0100;
export const RET_SOFTMMU = 0x0200;
export const RET_INTR = 0x0201;
export const RET_SYSCALL = 0x0300;
export const RET_KIND_MASK = 0xff00;
export const RET_VECTOR_MASK = 0xff;

export const MAX_PAGES_TO_FLUSH = 512;
export const FLUSH_ALL = MAX_PAGES_TO_FLUSH + 1;
export const MAX_RAM_PAGES_TO_UPDATE = 512;
export const MAX_MODIFIED_RAM_PAGES = 512;

export const IO_MEM_RAM = 0;
export const IO_MEM_ROM = 1;
export const IO_MEM_COMM = 2;
export const IO_MEM_UNASSIGNED = 3;

/** One ABI version: its struct layouts (x86-64 host) and ioctl numbers. */
export interface KqemuAbi {
  version: number;
  segment: StructLayout;
  cpuState: StructLayout;
  init: StructLayout;
  /** 1.4 only. */
  physMem?: StructLayout;
  ioctls: { EXEC: number; INIT: number; GET_VERSION: number; MODIFY_RAM_PAGES: number; SET_PHYS_MEM?: number };
}

const PHYS_MEM: StructLayout = {
  c: 'struct kqemu_phys_mem',
  size: 32,
  fields: { phys_addr: 0, size: 8, ram_addr: 16, io_index: 24 },
};

/** Segment order in segs[]: ES CS SS DS FS GS (QEMU's R_ES..R_GS), as tabvm's SEG_* order. */
const CPU_STATE_1_4: StructLayout = {
  c: 'struct kqemu_cpu_state',
  size: 584,
  fields: {
    regs: 0,
    eip: 128,
    eflags: 136,
    segs: 144,
    ldt: 288,
    tr: 312,
    gdt: 336,
    idt: 360,
    cr0: 384,
    cr2: 392,
    cr3: 400,
    cr4: 408,
    a20_mask: 416,
    sysenter_cs: 424,
    sysenter_esp: 432,
    sysenter_eip: 440,
    efer: 448,
    star: 456,
    tsc_offset: 496,
    dr0: 504,
    dr7: 544,
    cpl: 552,
    user_only: 553,
    error_code: 556,
    next_eip: 560,
    nb_pages_to_flush: 568,
    retval: 572,
    nb_ram_pages_to_update: 576,
    nb_modified_ram_pages: 580,
  },
};

const CPU_STATE_1_3: StructLayout = {
  c: 'struct kqemu_cpu_state',
  size: 608,
  fields: {
    regs: 0,
    eip: 128,
    eflags: 136,
    segs: 168,
    ldt: 312,
    tr: 336,
    gdt: 360,
    idt: 384,
    cr0: 408,
    cr2: 424,
    cr3: 432,
    cr4: 440,
    a20_mask: 448,
    sysenter_cs: 452,
    sysenter_esp: 456,
    sysenter_eip: 460,
    efer: 464,
    star: 472,
    tsc_offset: 512,
    dr0: 520,
    dr7: 560,
    cpl: 568,
    user_only: 569,
    error_code: 572,
    next_eip: 576,
    nb_pages_to_flush: 584,
    retval: 592,
    nb_ram_pages_to_update: 600,
    nb_modified_ram_pages: 604,
  },
};

/** Field widths that differ between versions (bytes): retval is a long in 1.3, int32 in 1.4. */
export const RETVAL_BYTES = { [KQEMU_VERSION_1_3]: 8, [KQEMU_VERSION_1_4]: 4 } as const;

export const ABI_1_4: KqemuAbi = {
  version: KQEMU_VERSION_1_4,
  segment: {
    c: 'struct kqemu_segment_cache',
    size: 24,
    fields: { selector: 0, flags: 4, base: 8, limit: 16 },
  },
  cpuState: CPU_STATE_1_4,
  init: {
    c: 'struct kqemu_init',
    size: 48,
    fields: { ram_base: 0, ram_size: 8, ram_dirty: 16, pages_to_flush: 24, ram_pages_to_update: 32, modified_ram_pages: 40 },
  },
  physMem: PHYS_MEM,
  ioctls: {
    EXEC: IOWR(KQEMU_MAGIC, 1, CPU_STATE_1_4.size),
    INIT: IOW(KQEMU_MAGIC, 2, 48),
    GET_VERSION: IOR(KQEMU_MAGIC, 3, 4),
    MODIFY_RAM_PAGES: IOW(KQEMU_MAGIC, 4, 4),
    SET_PHYS_MEM: IOW(KQEMU_MAGIC, 5, PHYS_MEM.size),
  },
};

export const ABI_1_3: KqemuAbi = {
  version: KQEMU_VERSION_1_3,
  segment: {
    c: 'struct kqemu_segment_cache',
    size: 24,
    fields: { selector: 0, base: 8, limit: 16, flags: 20 },
  },
  cpuState: CPU_STATE_1_3,
  init: {
    c: 'struct kqemu_init',
    size: 56,
    fields: {
      ram_base: 0,
      ram_size: 8,
      ram_dirty: 16,
      phys_to_ram_map: 24,
      pages_to_flush: 32,
      ram_pages_to_update: 40,
      modified_ram_pages: 48,
    },
  },
  ioctls: {
    EXEC: IOWR(KQEMU_MAGIC, 1, CPU_STATE_1_3.size),
    INIT: IOW(KQEMU_MAGIC, 2, 56),
    GET_VERSION: IOR(KQEMU_MAGIC, 3, 4),
    MODIFY_RAM_PAGES: IOW(KQEMU_MAGIC, 4, 4),
  },
};

/** GET_VERSION is the same number in every version: ask it first, then pick the layout. */
export const GET_VERSION = IOR(KQEMU_MAGIC, 3, 4);

export function abiFor(version: number): KqemuAbi | undefined {
  return version === KQEMU_VERSION_1_4 ? ABI_1_4 : version === KQEMU_VERSION_1_3 ? ABI_1_3 : undefined;
}
