/**
 * `bench/results/latest.json` keeps one row per configuration: the real-speech and live scripts
 * replace their own rows (same model, dtype, device, audio / mode) and leave bench/run.ts's.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const RESULTS = resolve(import.meta.dirname, 'results');
const key = (r: Record<string, unknown>) => ['mode', 'model', 'dtype', 'device', 'audio'].map((k) => String(r[k] ?? '')).join('|');

export function upsertLatest(rows: Record<string, unknown>[], source: string) {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, 'latest.json');
  const latest = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { rows?: Record<string, unknown>[] } & Record<string, unknown>) : {};
  const kept = (latest.rows ?? []).filter((r) => !rows.some((n) => key(n) === key(r)));
  const stamped = rows.map((r) => ({ ...r, source, date: new Date().toISOString() }));
  writeFileSync(file, JSON.stringify({ ...latest, rows: [...kept, ...stamped] }, null, 2) + '\n');
}
