// Linux sees tabvm's IDE drives (issue 4: "ATA hard disks (PIO and
// bus-master DMA ...) and ATAPI CD-ROM (... Linux's sr driver)"). Two boots,
// one direct and one from the CD through SeaBIOS, each with the prepared CD
// and a blank hard disk the test makes attached: the initramfs's /bin/tabvm-disks loads ata_piix, sd_mod and
// sr_mod (and runs again harmlessly); the guest sees /dev/sda with the model our IDENTIFY reports and the
// disk's size, libata picks a DMA mode, the guest makes a FAT file system on
// the disk, writes a file of random bytes and unmounts it; after power-off
// the host finds that file in the image through the FAT structures and its
// SHA-256 equals the guest's. /dev/sr0 reads the ISO: the guest's SHA-256 of
// its first MiB equals the host's.
//
// Needs `tabvm images prepare` (CI runs it); skipped with a message otherwise.

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { GUEST_DISKS_SCRIPT, ISO_IMAGE, imagesDir, readManifest } from '../../helper/images.js';

import { linuxSession } from './linux-session.js';

const BOOT_TIMEOUT_S = 600;
const COMMAND_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 30_000;
const MIB = 1024 * 1024;
const SECTOR = 512;
const DISK_MIB = 32;
/** core-as/devices/ide-ata.ts IDENTIFY words 27-46 and ide-atapi.ts INQUIRY product. */
const DISK_MODEL = 'TABVM HARDDISK';
const CD_MODEL = 'TABVM DVD-ROM';
const CD_BLOCK = 2048;
const CD_CHECKED_BYTES = MIB;
const FILE_KIB = 200;
/** The file's 8.3 name: upper case, so vfat stores only the short entry. */
const FILE_NAME = 'RAND.BIN';

/**
 * A file in the root directory of a FAT12/16/32 image (Microsoft's FAT
 * specification, "FAT: General Overview of On-Disk Format" 1.03: BPB fields,
 * directory entries, cluster chains).
 */
function readFatFile(img: Uint8Array, shortName: string): Uint8Array | undefined {
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const bytesPerSector = dv.getUint16(11, true);
  const sectorsPerCluster = img[13];
  const reserved = dv.getUint16(14, true);
  const fats = img[16];
  const rootEntries = dv.getUint16(17, true);
  const totalSectors = dv.getUint16(19, true) || dv.getUint32(32, true);
  const fatSectors16 = dv.getUint16(22, true);
  const fatSectors = fatSectors16 || dv.getUint32(36, true);
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const firstData = reserved + fats * fatSectors + rootDirSectors;
  const clusters = Math.floor((totalSectors - firstData) / sectorsPerCluster);
  // FAT32 by its BPB (no 16-bit FAT size), as Linux's fat driver decides, whatever the cluster
  // count (busybox's mkdosfs makes FAT32 below the specification's 65525 clusters); else by count.
  const type = fatSectors16 === 0 ? 32 : clusters < 4085 ? 12 : 16;
  const fat = reserved * bytesPerSector;
  const clusterBytes = sectorsPerCluster * bytesPerSector;
  const next = (c: number): number => {
    if (type === 32) return dv.getUint32(fat + c * 4, true) & 0x0fffffff;
    if (type === 16) return dv.getUint16(fat + c * 2, true);
    const v = dv.getUint16(fat + Math.floor((c * 3) / 2), true);
    return c & 1 ? v >> 4 : v & 0xfff;
  };
  const endOfChain = type === 32 ? 0x0ffffff8 : type === 16 ? 0xfff8 : 0xff8;
  const chain = (first: number): Uint8Array => {
    const parts: Uint8Array[] = [];
    for (let c = first, n = 0; c >= 2 && c < endOfChain && n <= clusters; c = next(c), n++) {
      const at = (firstData + (c - 2) * sectorsPerCluster) * bytesPerSector;
      parts.push(img.subarray(at, at + clusterBytes));
    }
    const out = new Uint8Array(parts.length * clusterBytes);
    parts.forEach((p, i) => out.set(p, i * clusterBytes));
    return out;
  };
  const root =
    type === 32 ? chain(dv.getUint32(44, true)) : img.subarray((reserved + fats * fatSectors) * bytesPerSector, firstData * bytesPerSector);
  const [base, ext = ''] = shortName.split('.');
  const want = base.padEnd(8, ' ') + ext.padEnd(3, ' ');
  const ATTR_LONG_NAME = 0x0f;
  const DELETED = 0xe5;
  for (let e = 0; e + 32 <= root.length; e += 32) {
    if (root[e] === 0) break;
    if (root[e] === DELETED || root[e + 11] === ATTR_LONG_NAME) continue;
    if (new TextDecoder('latin1').decode(root.subarray(e, e + 11)) !== want) continue;
    const rd = new DataView(root.buffer, root.byteOffset + e, 32);
    const first = rd.getUint16(26, true) | (rd.getUint16(20, true) << 16);
    return chain(first).slice(0, rd.getUint32(28, true));
  }
  return undefined;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const dir = imagesDir();
const ready = readManifest(dir) !== undefined && existsSync(join(dir, ISO_IMAGE));
if (!ready) console.warn(`Linux disk test skipped: no prepared images in ${dir} (run: node bin/tabvm images prepare)`);

describe.skipIf(!ready)('Linux sees the IDE disk and CD-ROM', () => {
  const work = mkdtempSync(join(tmpdir(), 'tabvm-linux-disks-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const iso = join(dir, ISO_IMAGE);
  // The two ways the guest starts: its kernel loaded directly (the CLI's and the browser's default),
  // and SeaBIOS booting the CD through ISOLINUX, where the firmware has used both drives first.
  const paths: [string, string[]][] = [
    [
      'booted directly',
      ['--kernel', join(dir, 'vmlinuz'), '--initrd', join(dir, 'initrd.gz'), '--append', 'console=ttyS0 panic=-1 cryptomgr.notests'],
    ],
    ['booted from the CD through SeaBIOS', ['--boot', 'd']],
  ];
  it.each(paths)(
    'formats, writes and reads back /dev/sda with DMA and reads the ISO from /dev/sr0, %s',
    async (_name, bootArgs) => {
      const disk = join(work, `blank-${bootArgs[0].slice(2)}.img`);
      writeFileSync(disk, '');
      truncateSync(disk, DISK_MIB * MIB);
      const { answers, status } = await linuxSession(
        [...bootArgs, '--cdrom', iso, '--hda', disk, '--mem', '128'],
        [
          // Twice: the second run finds the modules loaded and succeeds. The kernel's messages stay in
          // its log (dmesg -n 1), out of the console where the answers are read.
          `dmesg -n 1 && ${GUEST_DISKS_SCRIPT} && ${GUEST_DISKS_SCRIPT} && cut -d' ' -f1 /proc/modules | grep -xE 'ata_piix|sd_mod|sr_mod'`,
          'cat /sys/block/sda/device/model /sys/block/sda/size /sys/block/sr0/device/model',
          // libata's transfer modes (drivers/ata/libata-transport.c), and the ports with their bus-master registers.
          "for d in 1.0 2.0; do echo dev$d $(cat /sys/class/ata_device/dev$d/xfer_mode); done; dmesg | grep -E 'ata[12]: PATA'",
          'mkdir -p /mnt && mkdosfs -n TABVM /dev/sda >/dev/null && mount -t vfat /dev/sda /mnt && ' +
            `dd if=/dev/urandom of=/mnt/${FILE_NAME} bs=1024 count=${FILE_KIB} 2>/dev/null && sha256sum /mnt/${FILE_NAME} && ` +
            'umount /mnt && sync && echo fs-$((40+2))',
          `dd if=/dev/sr0 bs=${CD_BLOCK} count=${CD_CHECKED_BYTES / CD_BLOCK} 2>/dev/null | sha256sum`,
        ],
        // Power off through ACPI: tabvm exits, and every write has reached the image file.
        { bootTimeoutS: BOOT_TIMEOUT_S, commandTimeoutMs: COMMAND_TIMEOUT_MS, end: { poweroffWithinMs: EXIT_TIMEOUT_MS } },
      );
      const [modules, sysfs, dma, fs, cd] = answers;
      expect(modules.match(/^(ata_piix|sd_mod|sr_mod)(?=\r?$)/gm)?.sort()).toEqual(['ata_piix', 'sd_mod', 'sr_mod']);
      const line = (text: string): RegExp => new RegExp(`^${text}\\s*$`, 'm');
      expect(sysfs).toMatch(line(DISK_MODEL));
      expect(sysfs).toMatch(line(String((DISK_MIB * MIB) / SECTOR)));
      expect(sysfs).toMatch(line(CD_MODEL));
      // libata set a bus-master DMA mode on both drives (ata_piix gives the PIIX3 up to multiword DMA mode 2).
      expect(dma).toMatch(/^dev1\.0 XFER_(MW_DMA|UDMA)_\d\r?$/m);
      expect(dma).toMatch(/^dev2\.0 XFER_(MW_DMA|UDMA)_\d\r?$/m);
      expect(dma).toMatch(/ata1: PATA max \w+ cmd 0x1f0 ctl 0x3f6 bmdma 0x[0-9a-f]+ irq 14/);
      expect(fs).toMatch(/fs-42/);
      const guestSum = new RegExp(`([0-9a-f]{64})  /mnt/${FILE_NAME.replace('.', '\\.')}`).exec(fs)?.[1];
      expect(guestSum).toBeDefined();
      expect(cd).toContain(sha256(new Uint8Array(readFileSync(iso)).subarray(0, CD_CHECKED_BYTES)));
      expect(status).toBe(0);
      // The file, found through the FAT the guest wrote, holds the bytes the guest hashed.
      const file = readFatFile(new Uint8Array(readFileSync(disk)), FILE_NAME);
      expect(file?.length).toBe(FILE_KIB * 1024);
      expect(sha256(file ?? new Uint8Array())).toBe(guestSum);
    },
    (BOOT_TIMEOUT_S + 120) * 1000,
  );
});
