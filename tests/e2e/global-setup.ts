import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BASELINE_DIST } from './baseline';
import { ROOT } from './fixtures';

/**
 * The e2e tests run against the production build (`npm test` builds first), and compare the app
 * with the plain pipeline's page (bench/baseline), built here when missing.
 */
export default function setup() {
  if (!existsSync(join(ROOT, 'dist/index.html'))) {
    throw new Error('dist/ is missing: run `npm run build` first (the `npm test` script does).');
  }
  if (!existsSync(join(BASELINE_DIST, 'index.html'))) {
    execFileSync(join(ROOT, 'node_modules/.bin/vite'), ['build', '-c', 'bench/vite.config.ts', '--logLevel', 'error'], { cwd: ROOT, stdio: 'inherit' });
  }
}
