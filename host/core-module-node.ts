// Reading build/core.wasm from disk in Node.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

/**
 * Bytes of Liftoff code a Wasm function runs before V8 recompiles it with
 * TurboFan (V8's default is 1.8 M). The JIT makes hundreds of modules, most
 * of them warm rather than hot, and at the default nearly every one was
 * recompiled: on the bench's Linux boot, 403 TurboFan compiles of JIT code
 * taking 2.9 s of background CPU, more than the kernel phase's compiled code
 * ran for. At 200 M, 126 compiles taking 1.7 s; the hot regions (the
 * decompressor, the workload) still tier up within a fraction of a second,
 * and process CPU to the shell prompt fell ~0.5 s (medians of 3 boots).
 */
const WASM_TIERING_BUDGET = 200_000_000;
let v8Tuned = false;

/** Set V8's Wasm tiering budget for this process, unless the user chose one (node flags or NODE_OPTIONS). */
function tuneV8(): void {
  if (v8Tuned) return;
  v8Tuned = true;
  const chosen = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--wasm-tiering-budget'));
  if (!chosen) setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
}

/** The bytes of build/core.wasm, relative to the package root (works from host/ and dist/host/); tunes V8 for the JIT first. */
export async function readCoreWasm(): Promise<Uint8Array<ArrayBuffer>> {
  tuneV8();
  const candidates = [new URL('../build/core.wasm', import.meta.url), new URL('../../build/core.wasm', import.meta.url)];
  for (const url of candidates) {
    try {
      return new Uint8Array(await readFile(fileURLToPath(url)));
    } catch {
      // try the next location
    }
  }
  throw new Error('build/core.wasm not found: run "npm run build" first.');
}
