// I/O port dispatch (the ISA bus's 64 KiB I/O space).
//
// Ports no device decodes read as all ones (an undriven ISA bus) and ignore writes.

export function portRead(port: u32, size: u32): u32 {
  return size == 32 ? 0xffffffff : size == 16 ? 0xffff : 0xff;
}

export function portWrite(port: u32, value: u32, size: u32): void {}
