// Machine settings (what the manager edits and idb-keyval stores) and the
// defaults of the prepared Linux guest.

import { createStore, del, entries, get, set, type UseStore } from 'idb-keyval';

export type Engine = 'interp' | 'jit';
/** As the CLI: the JIT unless the settings say otherwise. */
export const DEFAULT_ENGINE: Engine = 'jit';
export type BootOrder = 'c' | 'd' | 'a';
export type DiskSlot = 'hda' | 'cdrom' | 'fda';

/** Where a disk's bytes come from; writes always go to the machine's overlay. */
export type DiskSource =
  | { type: 'url'; url: string; name: string }
  | { type: 'file'; key: string; name: string; size: number }
  | { type: 'blank'; size: number; name: string };

export interface DiskConfig {
  slot: DiskSlot;
  source: DiskSource;
}

export interface MachineConfig {
  id: string;
  name: string;
  memoryMiB: number;
  engine: Engine;
  /** 'linux': the host loads kernel + initrd (direct boot); 'firmware': SeaBIOS boots the disks. */
  boot: 'linux' | 'firmware';
  bootOrder: BootOrder;
  kernelUrl: string;
  initrdUrl: string;
  cmdline: string;
  disks: DiskConfig[];
  /** false: the guest's disk writes stay in memory (embedding's `readonly`); default true (browser storage). */
  persistDisks?: boolean;
  created: number;
}

/**
 * The prepared images, served by the dev/preview server (web/server/images-plugin.ts) or copied into the build:
 * the app's images/ folder, found from this module (web/lib/ in the sources, assets/ in the build: one level
 * below the app), not from the page, so a page elsewhere that embeds machines (tabvm-embed.js) finds them too.
 */
export function imagesBase(): string {
  // A variable, not the literal pattern new URL('…', import.meta.url), which Vite would take for an asset to bundle.
  const here = import.meta.url;
  return new URL('../images/', here).href;
}
/**
 * Kernel messages on the screen and COM1; the last console= (COM1) is
 * /dev/console, where the shell runs. tsc=reliable: tabvm's TSC counts the
 * machine's one virtual clock (1 GHz, the clock PIT, RTC, APIC and PM timer
 * count too), but early in boot Linux checks it against jiffies, and jiffies
 * fall behind whenever the emulated CPU lags the host clock by more than a
 * PIT period (the 8254 model folds missed periods into one interrupt, as a
 * late timer interrupt does on hardware): the watchdog then calls the TSC
 * unstable ("Marking clocksource 'tsc-early' as unstable because the skew is
 * too large") and the kernel keeps time with jiffies and the PM timer. Two
 * busy machines in one tab (embed.html) or a loaded host make it likely.
 */
export const DEFAULT_CMDLINE = 'console=tty0 console=ttyS0 noapic tsc=reliable panic=-1 cryptomgr.notests';
/** Whether Linux's /dev/console (its last console=, where the initramfs starts the shell) is a serial port. */
export function shellOnSerial(cmdline: string): boolean {
  const consoles = [...cmdline.matchAll(/(?:^|\s)console=(\S+)/g)].map((m) => m[1]);
  return /^ttyS/.test(consoles.at(-1) ?? '');
}

export const DEFAULT_MEMORY_MIB = 128;
export const MIN_MEMORY_MIB = 8;
export const MAX_MEMORY_MIB = 1024;

export function newId(): string {
  return `m${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** The default machine's data disk: blank, its writes kept in the machine's overlay (the guest sees /dev/sda). */
export const DEFAULT_DATA_DISK_MIB = 16;
const MIB = 1024 * 1024;

/**
 * The default guest: Debian's 686 kernel with the busybox initramfs, shell on
 * COM1 and the screen, and a blank data disk on the primary IDE master that
 * survives reloads (`tabvm-disks` in the guest loads the IDE and FAT drivers).
 */
export function defaultMachine(name = 'Linux (default image)'): MachineConfig {
  return {
    id: newId(),
    name,
    memoryMiB: DEFAULT_MEMORY_MIB,
    engine: DEFAULT_ENGINE,
    boot: 'linux',
    bootOrder: 'c',
    kernelUrl: imagesBase() + 'vmlinuz',
    initrdUrl: imagesBase() + 'initrd.gz',
    cmdline: DEFAULT_CMDLINE,
    disks: [
      { slot: 'hda', source: { type: 'blank', size: DEFAULT_DATA_DISK_MIB * MIB, name: `data disk (${DEFAULT_DATA_DISK_MIB} MiB)` } },
    ],
    created: Date.now(),
  };
}

/** A machine that boots a user's image through SeaBIOS (the slot decides the drive and boot order). */
export function firmwareMachine(name: string, disk: DiskConfig): MachineConfig {
  const order: Record<DiskSlot, BootOrder> = { hda: 'c', cdrom: 'd', fda: 'a' };
  return {
    ...defaultMachine(name),
    boot: 'firmware',
    bootOrder: order[disk.slot],
    kernelUrl: '',
    initrdUrl: '',
    cmdline: '',
    disks: [disk],
  };
}

/** Guess the drive from a file name and size: floppies by size, .iso on the CD-ROM, else a hard disk. */
export function slotFor(name: string, size: number): DiskSlot {
  const FLOPPY = [368640, 737280, 1228800, 1474560, 2949120];
  if (/\.iso$/i.test(name)) return 'cdrom';
  if (FLOPPY.includes(size) || /\.(ima|flp|vfd)$/i.test(name)) return 'fda';
  return 'hda';
}

/** IndexedDB stores, opened on first use. */
const stores = new Map<string, UseStore>();
const store = (db: string, name: string) => (): UseStore => {
  let s = stores.get(db);
  if (!s) stores.set(db, (s = createStore(db, name)));
  return s;
};
const settingsStore = store('tabvm-settings', 'machines');
const fileStore = store('tabvm-files', 'files');
const thumbStore = store('tabvm-thumbs', 'thumbs');

export async function listMachines(): Promise<MachineConfig[]> {
  const all = await entries<string, MachineConfig>(settingsStore());
  return all.map(([, v]) => v).sort((a, b) => a.created - b.created);
}
export const getMachine = (id: string): Promise<MachineConfig | undefined> => get<MachineConfig>(id, settingsStore());
export const saveMachine = (m: MachineConfig): Promise<void> => set(m.id, m, settingsStore());
export const deleteMachineSettings = (id: string): Promise<void> => del(id, settingsStore());
export const saveFile = (key: string, file: Blob): Promise<void> => set(key, file, fileStore());
export const getFile = (key: string): Promise<Blob | undefined> => get<Blob>(key, fileStore());
export const deleteFile = (key: string): Promise<void> => del(key, fileStore());
export const saveThumbnail = (id: string, dataUrl: string): Promise<void> => set(id, dataUrl, thumbStore());
export const getThumbnail = (id: string): Promise<string | undefined> => get<string>(id, thumbStore());
export const deleteThumbnail = (id: string): Promise<void> => del(id, thumbStore());
