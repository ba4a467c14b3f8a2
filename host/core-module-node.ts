// Reading build/core.wasm from disk in Node.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The bytes of build/core.wasm, relative to the package root (works from host/ and dist/host/). */
export async function readCoreWasm(): Promise<Uint8Array<ArrayBuffer>> {
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
