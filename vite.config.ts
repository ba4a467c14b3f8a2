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

/** The embedding module's entry: dist/web/tabvm-embed.js, a stable URL for pages that embed machines. */
const EMBED_ENTRY = 'tabvm-embed';

export default defineConfig({
  root: 'web',
  // Relative URLs throughout the build, so dist/web works from any folder of a
  // host (https://example.org/some/sub/), not only from its root.
  base: './',
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
        // The embedding module under a name that stays: other pages load ./tabvm-embed.js (embed.html).
        [EMBED_ENTRY]: resolve(import.meta.dirname, 'web/embed.ts'),
      },
      preserveEntrySignatures: 'exports-only',
      output: {
        entryFileNames: (chunk) => (chunk.name === EMBED_ENTRY ? `${EMBED_ENTRY}.js` : 'assets/[name]-[hash].js'),
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
        // Every block of a region a function of its own (translate.ts clusters): each jump between blocks leaves one.
        test: {
          name: 'cpu-jit',
          include: ['test/cpu/**/*.test.ts'],
          env: { TABVM_ENGINE: 'jit', TABVM_JIT_THRESHOLD: '1', TABVM_JIT_CLUSTER_BYTES: '1' },
        },
      },
    ],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
