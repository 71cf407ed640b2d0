import { playwright } from '@vitest/browser-playwright';
import { defineProject } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The editor's components in real Chromium (vitest browser mode), the system browser as in tests/e2e. */
export default defineProject({
  plugins: [svelte()],
  test: {
    name: 'component',
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/component/**/*.test.ts'],
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: {
          executablePath: CHROMIUM,
          args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required'],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
