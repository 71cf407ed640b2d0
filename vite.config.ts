import { fileURLToPath } from 'node:url';
import { defaultClientConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import type { Plugin } from 'vite';
import { existsSync } from 'node:fs';
import { contentSecurityPolicy } from './src/domain/csp';

/** Component tests run in real Chromium (vitest browser mode) — the system one, as the e2e tests do. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const componentTests = existsSync(CHROMIUM);
if (!componentTests && process.env.VITEST) console.warn(`component tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

/**
 * The Content Security Policy goes into the built index.html as a <meta> (static hosts cannot
 * send headers). `EARSHOT_MODEL_ORIGINS=https://models.example.org,https://…` adds model sources
 * this copy may download from (see src/domain/csp.ts).
 */
function csp(): Plugin {
  const extra = (process.env.EARSHOT_MODEL_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  return {
    name: 'earshot-csp',
    apply: 'build',
    transformIndexHtml: (html) => html.replace('<meta charset="UTF-8" />', `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(extra)}" />`),
  };
}

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
  plugins: [
    svelte(),
    csp(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'workers/sw',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icons/apple-touch-icon.png'],
      manifest: {
        name: 'Earshot — private speech-to-text',
        short_name: 'Earshot',
        description: 'Private speech-to-text in your browser. Whisper runs on your device; your audio never leaves it.',
        lang: 'en',
        start_url: './',
        scope: './',
        display: 'standalone',
        theme_color: '#1f3a5f',
        background_color: '#f4f6f9',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        // The app shell, onnxruntime's wasm and glue, the capture worklet and the VAD model:
        // everything but the Whisper weights (cached by transformers.js when first loaded).
        // (The manifest and its icons are added by the plugin itself.)
        globPatterns: ['**/*.{html,js,mjs,css,wasm,onnx,svg}'],
        // Self-hosted models put in public/models/ (README) are not precached: transformers.js
        // keeps each model in its own cache when it is first loaded.
        globIgnores: ['icons/*.svg', 'models/**'],
        maximumFileSizeToCacheInBytes: 32 * 1024 * 1024,
      },
      devOptions: { enabled: false },
    }),
  ],
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
      // Component tests run in real Chromium (vitest browser mode): their own config, kept out of
      // this file's type check (the browser provider's types break svelte-check's program).
      ...(componentTests ? ['tests/component/vitest.config.ts'] : []),
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
