// The libm program (issue 3): sin, cos, tan, exp, log, pow and atan2 over
// 3,766 arguments (specials, large trig arguments, near 0, near exp
// overflow/underflow, negatives), computed through the x87 transcendental
// instructions and through SSE2 code, printed as hex bit patterns
// (images/tests/libm/libm.c). tabvm runs the -m32 Multiboot build, the host
// CPU the -m64 native build of the same source; the transcripts are
// compared line by line.
//
// Why not "the same -m32 binary natively": this host cannot execute 32-bit
// code at all (execve of an ELF32 fails with "Exec format error", and a far
// call into a 32-bit code segment takes #GP: it is a PVM guest). The two
// builds instead execute the same instruction semantics: the x87 part is
// compiled with -mfpmath=387 -ffast-math so gcc expands FSIN, FCOS, FPTAN,
// FPATAN, FYL2X, F2XM1, FSCALE and FRNDINT inline (build.mjs checks the
// disassembly of both builds), the SSE part is scalar double arithmetic
// with -ffp-contract=off; both behave identically in 32- and 64-bit mode.
//
// What must match: every SSE result (S lines) and every x87 result rounded
// to double (X lines), exactly. The SDM bounds the transcendentals' error
// rather than defining their last bit, and tabvm rounds a 128-bit
// evaluation once where the host's microcode is not correctly rounded, so
// the full 80-bit x87 results (L lines) are compared and counted but, as in
// x87-random.test.ts, only required to agree at double precision.
//
// pow is the exception: its X lines are counted, not required (1 of 588
// differs), because the host's FYL2X is the one that is off. gcc expands
// x^y = 2^(y log2 x) as FYL2X (with ST(1) = 1), FMUL by y, FRNDINT, FSUB,
// F2XM1, FADD 1, FSCALE. The differing line (x 4035bf3d923390c9 = 21.747..,
// y 402b225815a00000 = 13.567..; host 43b35c73d9e26965): tabvm and the host
// agree on every step but FYL2X, run one by one on both with the other's
// inputs. log2 x = 4001:8e2afb1e375fa34c + 0.512 ulp (exact, 120 digits), so
// the correctly rounded result is ..a34d (tabvm); the host returns ..a34c
// (0.512 ulp off). y multiplies that ulp into the fraction fed to F2XM1, and
// the results are 403b:9ae39ecf134b2bd8 (host, 26 ulp below the exact x^y
// 403b:9ae39ecf134b2bf2) and ..2c0e (tabvm, 28 ulp above). The exact x^y lies
// 1,010 of 2,048 units above a double, 14 units from the midpoint: the host's
// error rounds it to the nearer double, tabvm's to the other.
// Measured natively (AMD EPYC; 100,000 random arguments at nearest and
// 100,000 across the four modes, against exact values): the host's FYL2X is
// correctly rounded in 96.7% of cases. Its value before rounding is off by
// up to 0.094 ulp (about 67.4 good bits): it misrounds ~50% of the values
// within 2^-7 ulp of a rounding boundary, 13% of those 2^-4..2^-5 away and
// none beyond 2^-3.4; maximum error 0.59 ulp (nearest), 1.04 ulp (directed).
// Rounding the exact value to 64+k bits and then to 64 reproduces it for no
// k (best: k = 4, 98.4%), so the error is the microcode's own and tabvm
// cannot reproduce it deterministically; it keeps the correctly rounded
// result (30,000 of 30,000 in the four modes, same measurement).
//
// For information (not run here): the static -m32 glibc build
// (build.mjs --libc32) under qemu-i386-static prints the same S lines as
// the host, but 397 X and 1,466 L lines differ (QEMU's x87 transcendentals
// are its own softfloat approximations); qemu-system-i386 gives the same.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { runOnTabvm } from '../../system/tabvm.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const LIBM_DIR = join(REPO_ROOT, 'images', 'tests', 'libm');
const BUILD_SCRIPT = join(LIBM_DIR, 'build.mjs');
const KERNEL = join(LIBM_DIR, 'build', 'libm.elf');
const NATIVE = join(LIBM_DIR, 'build', 'libm-native');
const TABVM_CLI_MODULE = join(REPO_ROOT, 'dist', 'helper', 'cli.js');
const MEM_MIB = 32;
const TABVM_TIMEOUT_MS = 240_000;
const TEST_TIMEOUT_MS = TABVM_TIMEOUT_MS + 60_000;
/** isa-debug-exit status after the program writes 0 to port 0xf4. */
const STATUS_DONE = 1;
const MAX_REPORTS = 10;

function build(): string | undefined {
  const r = spawnSync(process.execPath, [BUILD_SCRIPT], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `libm build failed (needs gcc with -m32 support, gcc-multilib): ${r.stderr || r.error?.message}`;
  return undefined;
}

const skipReason = !existsSync(TABVM_CLI_MODULE) ? 'tabvm CLI not built (npm run build:host)' : build();
if (skipReason) console.log(`libm program: SKIPPED: ${skipReason}`);

function lines(text: string): string[] {
  const out = text.replace(/\r\n/g, '\n').split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

describe('libm program (x87 and SSE math, tabvm -m32 vs host CPU -m64)', () => {
  it.skipIf(Boolean(skipReason))(
    'sin cos tan exp log pow atan2 results match the host CPU bit for bit (x87 at double precision)',
    () => {
      const native = spawnSync(NATIVE, [], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      expect(native.status, native.stderr).toBe(0);
      const got = runOnTabvm(KERNEL, { memMiB: MEM_MIB, timeoutMs: TABVM_TIMEOUT_MS });
      const want = lines(native.stdout);
      const have = lines(got.stdout);
      expect(want[want.length - 1]).toBe('done');
      const counts = { S: 0, X: 0, L: 0, P: 0 };
      const bad = { S: 0, X: 0, L: 0, P: 0 };
      const reports: string[] = [];
      for (let i = 0; i < want.length; i++) {
        let kind = want[i][0] as keyof typeof counts;
        if (!(kind in counts) || kind === 'P') continue;
        if (kind === 'X' && want[i].startsWith('X pow ')) kind = 'P';
        counts[kind]++;
        if (have[i] === want[i]) continue;
        bad[kind]++;
        if ((kind === 'S' || kind === 'X') && reports.length < MAX_REPORTS)
          reports.push(`line ${i + 1}: host ${want[i]}\n${' '.repeat(String(i + 1).length + 7)}tabvm ${have[i] ?? '(missing)'}`);
      }
      console.log(
        `libm program: ${want.length} lines; SSE ${counts.S} compared, ${bad.S} mismatches; ` +
          `x87 at double ${counts.X} compared, ${bad.X} mismatches (pow: ${counts.P - bad.P} of ${counts.P} identical); ` +
          `x87 in all 80 bits ${counts.L - bad.L} of ${counts.L} identical`,
      );
      if (reports.length) console.log(reports.join('\n'));
      expect(have.length, got.stderr).toBe(want.length);
      expect(bad.S).toBe(0);
      expect(bad.X).toBe(0);
      expect(got.status, got.stderr).toBe(STATUS_DONE);
    },
    TEST_TIMEOUT_MS,
  );
});
