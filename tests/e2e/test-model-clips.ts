/**
 * Clips for `earshot-test-tiny`, made the way ../shared/test-model.md says: sentences of its
 * vocabulary spoken by espeak-ng in its training voices, resampled to 16 kHz with sox.
 * Deterministic (seeded), cached in .cache/fixtures/test-tiny.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, SHARED, type Clip } from './fixtures';

const EN_VOICES = ['en-us', 'en-gb', 'en-gb-x-rp', 'en-gb-scotland', 'en-us-nyc'];
const EN_VARIANTS = ['m1', 'm3', 'f1', 'f2', 'klatt', 'steph'];
const ZH_VARIANTS = ['m1', 'm2', 'f1', 'f2'];

/** The vocabulary lines of test-model.md (the model's own VOCABULARY.md says the same). */
export function vocabulary(): { en: string[]; zh: string[] } {
  const text = readFileSync(join(SHARED, 'test-model.md'), 'utf8');
  const after = (heading: RegExp) => {
    const lines = text.split('\n');
    const i = lines.findIndex((l) => heading.test(l));
    return lines[i + 1].trim().split(/\s+/);
  };
  return { en: after(/^English \(\d+ words/), zh: after(/^Mandarin \(\d+ words/) };
}

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeClips(language: 'en' | 'zh', count: number, seed: number): Clip[] {
  const vocab = vocabulary()[language];
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const dir = join(FIXTURES, 'test-tiny');
  mkdirSync(dir, { recursive: true });
  const clips: Clip[] = [];
  for (let i = 0; i < count; i++) {
    const n = language === 'en' ? 3 + Math.floor(rand() * 8) : 2 + Math.floor(rand() * 6);
    const words = Array.from({ length: n }, () => pick(vocab));
    const spoken = language === 'en' ? words.join(' ') : words.join('');
    const reference = language === 'en' ? `${spoken[0].toUpperCase()}${spoken.slice(1)}.` : `${spoken}。`;
    const voice = language === 'en' ? `${pick(EN_VOICES)}+${pick(EN_VARIANTS)}` : `cmn+${pick(ZH_VARIANTS)}`;
    const speed = 130 + Math.floor(rand() * 50);
    const pitch = 30 + Math.floor(rand() * 40);
    const out = join(dir, `${language}-${seed}-${i}.wav`);
    if (!existsSync(out)) {
      const raw = `${out}.raw.wav`;
      execFileSync('espeak-ng', ['-v', voice, '-s', String(speed), '-p', String(pitch), '-w', raw, spoken]);
      execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', out]);
    }
    clips.push({ file: out, language, reference });
  }
  return clips;
}
