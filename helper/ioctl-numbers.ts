// Linux ioctl request numbers (include/uapi/asm-generic/ioctl.h, as x86 uses
// it): bits 0-7 the number, 8-15 the type ("magic"), 16-29 the argument size,
// 30-31 the direction (1 write = user to kernel, 2 read, 3 both).

const NR_SHIFT = 0;
const TYPE_SHIFT = 8;
const SIZE_SHIFT = 16;
const DIR_SHIFT = 30;
const SIZE_MASK = 0x3fff;
const DIR_NONE = 0;
const DIR_WRITE = 1;
const DIR_READ = 2;

function ioc(dir: number, type: number, nr: number, size: number): number {
  if (size > SIZE_MASK) throw new RangeError(`ioctl argument of ${size} bytes does not fit the size field`);
  return ((dir << DIR_SHIFT) | (size << SIZE_SHIFT) | (type << TYPE_SHIFT) | (nr << NR_SHIFT)) >>> 0;
}

export const IO = (type: number, nr: number): number => ioc(DIR_NONE, type, nr, 0);
export const IOW = (type: number, nr: number, size: number): number => ioc(DIR_WRITE, type, nr, size);
export const IOR = (type: number, nr: number, size: number): number => ioc(DIR_READ, type, nr, size);
export const IOWR = (type: number, nr: number, size: number): number => ioc(DIR_READ | DIR_WRITE, type, nr, size);

/** A C struct as this code uses it: its size and the byte offsets of the fields it touches. */
export interface StructLayout {
  /** The C name, e.g. "struct kvm_regs" (the layout test compiles offsetof() against it). */
  c: string;
  size: number;
  fields: Record<string, number>;
}
