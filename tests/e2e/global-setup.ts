import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fixtures';

/** The e2e tests run against the production build (`npm test` builds first). */
export default function setup() {
  if (!existsSync(join(ROOT, 'dist/index.html'))) {
    throw new Error('dist/ is missing: run `npm run build` first (the `npm test` script does).');
  }
}
