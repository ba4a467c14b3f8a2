import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';
import { tabvmImages } from './web/server/images-plugin.js';

// SharedArrayBuffer (the guest's shared memory) needs cross-origin isolation
// (DESIGN §3): every server that serves the app must send these two headers
// (web/hosting.html explains static hosting without them).
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: 'web',
  publicDir: 'public',
  plugins: [tabvmImages()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'web/index.html'),
        embed: resolve(import.meta.dirname, 'web/embed.html'),
        hosting: resolve(import.meta.dirname, 'web/hosting.html'),
      },
    },
  },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  worker: { format: 'es' },
  test: {
    root: '.',
    // The CPU suites run twice: on the interpreter, and with the JIT compiling
    // every block at its first entry (issue 5: the JIT must pass them the same).
    projects: [
      { extends: true, test: { name: 'tabvm', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'cpu-jit', include: ['test/cpu/**/*.test.ts'], env: { TABVM_ENGINE: 'jit', TABVM_JIT_THRESHOLD: '1' } },
      },
    ],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
