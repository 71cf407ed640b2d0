import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

/** Builds the baseline page into .cache/bench-dist (served beside the app by `npm run bench`). */
export default defineConfig({
  root: fileURLToPath(new URL('./baseline', import.meta.url)),
  base: './',
  worker: { format: 'es' },
  resolve: {
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
    alias: [{ find: /^ort-dist\//, replacement: fileURLToPath(new URL('../node_modules/onnxruntime-web/dist/', import.meta.url)) }],
  },
  build: { outDir: fileURLToPath(new URL('../.cache/bench-dist', import.meta.url)), emptyOutDir: true, target: 'es2022' },
});
