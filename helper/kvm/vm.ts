// A KVM virtual machine with one vCPU (DESIGN §8, api.rst): the in-kernel
// 8259A/IOAPIC (KVM_CREATE_IRQCHIP) and 8254 (KVM_CREATE_PIT2), as QEMU's pc
// machine uses them; guest RAM registered straight from the shared
// WebAssembly.Memory (KVM_SET_USER_MEMORY_REGION on its page-aligned
// guest-RAM region), so the Wasm device models see what the guest sees with
// no copies. The VGA window 0xA0000-0xBFFFF and the BIOS area stay
// unregistered: accesses there exit to userspace as MMIO and reach the Wasm
// bus (VGA, ROM). CPUID is the host's supported set (KVM_GET_SUPPORTED_CPUID).
// UNFINISHED: the firmware path (SeaBIOS from read-only ROM slots with PAM
// shadowing) and VRAM/the VBE framebuffer as memory slots (each framebuffer
// access is an MMIO exit today).

import { closeFd, ioctl, MAP_SHARED, mmapFd, munmap, openDevice, PROT_READ, PROT_WRITE } from '../native.js';
import { CPUID2, CPUID_ENTRY2, IRQ_LEVEL, KVM, PIT_CONFIG, USER_MEMORY_REGION } from './abi.js';
import { KVM_DEVICE_PATH } from './availability.js';
import { KvmStatsReader } from './stats.js';

/** Where KVM may put its private pages (Intel VMX real-mode support), below the 4 GiB BIOS alias, as QEMU does. */
const TSS_ADDR = 0xfeffd000;
const IDENTITY_MAP_ADDR = 0xfeffc000n;
/** The legacy hole: VGA memory and option/BIOS ROMs (not RAM to the guest). */
const LOW_RAM_END = 0xa0000;
const HIGH_RAM_START = 0x100000;
/** KVM_CREATE_PIT2 flags: 0 (no speaker dummy: port 0x61 exits to the Wasm system-control port). */
const PIT_FLAGS = 0;
const MAX_CPUID_ENTRIES = 256;

export interface RamRegion {
  /** Host address of guest-physical 0 (page-aligned). */
  hostAddress: bigint;
  bytes: number;
}

export class KvmVm {
  readonly sysFd: number;
  readonly vmFd: number;
  vcpuFd = -1;
  runArea: ArrayBuffer | undefined;
  private statsReaders: KvmStatsReader[] = [];

  private constructor(sysFd: number, vmFd: number) {
    this.sysFd = sysFd;
    this.vmFd = vmFd;
  }

  /** Opens /dev/kvm and creates the VM with its in-kernel irqchip and PIT (no RAM, no vCPU yet). */
  static create(withIrqchip = true): KvmVm {
    const sys = openDevice(KVM_DEVICE_PATH);
    let vmFd: number;
    try {
      vmFd = ioctl(sys, KVM.CREATE_VM, 0, 'KVM_CREATE_VM');
    } catch (err) {
      closeFd(sys);
      throw err;
    }
    const vm = new KvmVm(sys, vmFd);
    try {
      ioctl(vmFd, KVM.SET_TSS_ADDR, TSS_ADDR, 'KVM_SET_TSS_ADDR');
      const ident = new BigUint64Array([IDENTITY_MAP_ADDR]);
      ioctl(vmFd, KVM.SET_IDENTITY_MAP_ADDR, ident, 'KVM_SET_IDENTITY_MAP_ADDR');
      if (withIrqchip) {
        ioctl(vmFd, KVM.CREATE_IRQCHIP, 0, 'KVM_CREATE_IRQCHIP');
        const pit = new Uint8Array(PIT_CONFIG.size);
        new DataView(pit.buffer).setUint32(PIT_CONFIG.fields.flags, PIT_FLAGS, true);
        ioctl(vmFd, KVM.CREATE_PIT2, pit, 'KVM_CREATE_PIT2');
      }
    } catch (err) {
      vm.close();
      throw err;
    }
    return vm;
  }

  /** One memory slot: guest-physical [guest, guest+bytes) is host memory at `host`. */
  setRegion(slot: number, guest: number, bytes: number, host: bigint, flags = 0): void {
    const r = new Uint8Array(USER_MEMORY_REGION.size);
    const dv = new DataView(r.buffer);
    const f = USER_MEMORY_REGION.fields;
    dv.setUint32(f.slot, slot, true);
    dv.setUint32(f.flags, flags, true);
    dv.setBigUint64(f.guest_phys_addr, BigInt(guest), true);
    dv.setBigUint64(f.memory_size, BigInt(bytes), true);
    dv.setBigUint64(f.userspace_addr, host, true);
    ioctl(this.vmFd, KVM.SET_USER_MEMORY_REGION, r, `KVM_SET_USER_MEMORY_REGION slot ${slot}`);
  }

  /** Guest RAM around the legacy hole: [0, 640K) and [1M, end), both from the same host region. */
  mapGuestRam(ram: RamRegion): void {
    this.setRegion(0, 0, Math.min(ram.bytes, LOW_RAM_END), ram.hostAddress);
    if (ram.bytes > HIGH_RAM_START) {
      this.setRegion(1, HIGH_RAM_START, ram.bytes - HIGH_RAM_START, ram.hostAddress + BigInt(HIGH_RAM_START));
    }
  }

  /** Creates vCPU 0, maps its kvm_run page and gives it the host's supported CPUID. */
  createVcpu(): void {
    this.vcpuFd = ioctl(this.vmFd, KVM.CREATE_VCPU, 0, 'KVM_CREATE_VCPU');
    const size = ioctl(this.sysFd, KVM.GET_VCPU_MMAP_SIZE, 0, 'KVM_GET_VCPU_MMAP_SIZE');
    this.runArea = mmapFd(this.vcpuFd, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0, 'mmap kvm_run');
    const cpuid = new Uint8Array(CPUID2.size + MAX_CPUID_ENTRIES * CPUID_ENTRY2.size);
    new DataView(cpuid.buffer).setUint32(CPUID2.fields.nent, MAX_CPUID_ENTRIES, true);
    ioctl(this.sysFd, KVM.GET_SUPPORTED_CPUID, cpuid, 'KVM_GET_SUPPORTED_CPUID');
    ioctl(this.vcpuFd, KVM.SET_CPUID2, cpuid, 'KVM_SET_CPUID2');
  }

  /** Drive an interrupt line of the in-kernel irqchip (GSI = ISA IRQ for 0-15). */
  irqLine(irq: number, level: boolean): void {
    const b = new Uint8Array(IRQ_LEVEL.size);
    const dv = new DataView(b.buffer);
    dv.setUint32(IRQ_LEVEL.fields.irq, irq, true);
    dv.setUint32(IRQ_LEVEL.fields.level, level ? 1 : 0, true);
    ioctl(this.vmFd, KVM.IRQ_LINE, b, 'KVM_IRQ_LINE');
  }

  /** KVM's binary stats for the VM and the vCPU, read through KVM_GET_STATS_FD (empty where the kernel lacks it). */
  openStats(): void {
    try {
      this.statsReaders.push(new KvmStatsReader(ioctl(this.vmFd, KVM.GET_STATS_FD, 0, 'KVM_GET_STATS_FD'), 'kvm_vm_', 'VM'));
      if (this.vcpuFd >= 0) {
        this.statsReaders.push(new KvmStatsReader(ioctl(this.vcpuFd, KVM.GET_STATS_FD, 0, 'KVM_GET_STATS_FD'), 'kvm_vcpu_', 'vCPU'));
      }
    } catch {
      // Kernels before 5.14 have no binary stats: tabvm's own counters remain.
    }
  }

  stats(): ReturnType<KvmStatsReader['read']> {
    return this.statsReaders.flatMap((r) => r.read());
  }

  close(): void {
    for (const r of this.statsReaders) r.close();
    this.statsReaders = [];
    if (this.runArea) munmap(this.runArea);
    this.runArea = undefined;
    if (this.vcpuFd >= 0) closeFd(this.vcpuFd);
    this.vcpuFd = -1;
    closeFd(this.vmFd);
    closeFd(this.sysFd);
  }
}
