import { fileURLToPath } from 'node:url';
import { defaultClientConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Cross-origin isolation (COOP/COEP) makes SharedArrayBuffer available, which multi-threaded
 * ONNX Runtime WASM and the worker's instant-cancel flag need. Sent by `vite preview` (the
 * README's start command) and the dev server.
 */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  plugins: [svelte()],
  resolve: {
    // onnxruntime-web's build that loads its emscripten glue from a URL (ours, emitted by Vite)
    // instead of inlining it: its pthread workers then load that small file, not our worker chunk.
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
    // The runtime's .wasm/.mjs files are not in the package's `exports`; reach them by path.
    alias: [{ find: /^ort-dist\//, replacement: fileURLToPath(new URL('./node_modules/onnxruntime-web/dist/', import.meta.url)) }],
  },
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 1200 },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          globalSetup: ['tests/e2e/global-setup.ts'],
        },
      },
    ],
  },
});
