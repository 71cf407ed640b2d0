import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, ROOT } from './fixtures';

/** Transcripts from the plain Node pipeline (cached by model, dtype, language and files). */
export function baselineTranscripts(modelDir: string, dtype: string, language: string, files: string[]): Map<string, string> {
  const key = createHash('sha256').update(JSON.stringify([modelDir, dtype, language, files])).digest('hex').slice(0, 16);
  const cached = join(CACHE, `baseline-${key}.json`);
  if (!existsSync(cached)) {
    const json = execFileSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'tests/fixtures/baseline-node.ts'), modelDir, dtype, language, ...files], {
      cwd: ROOT,
      maxBuffer: 64 << 20,
      encoding: 'utf8',
    });
    writeFileSync(cached, json);
  }
  const rows = JSON.parse(readFileSync(cached, 'utf8')) as { file: string; text: string }[];
  return new Map(rows.map((r) => [r.file, r.text]));
}
