/**
 * `npm run accuracy`: what a user can expect, per model and precision, on ../shared/audio —
 * WER (English) and CER (Mandarin, both sides in simplified characters), Earshot's file path
 * (Fast and Best) next to the plain transformers.js pipeline on the same model, dtype and audio,
 * with speed (audio seconds per wall second, model load excluded). Writes docs/accuracy.md.
 *
 * Both sides run in Node on onnxruntime-node (2 threads) — Earshot's own engine code, the same
 * the browser worker runs (workers/asr/whisper/engine.ts and long-form.ts, Silero VAD planning), so the figures compare
 * the methods; the browser's own figures are in the e2e tests' output and `npm run bench`.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_MODEL, ROOT, TINY_EN_MODEL, longEnglishRecording, speechClips, toBaselineWav, type Clip } from '../tests/e2e/fixtures';
import { simplified } from '../tests/fixtures/script';
import { wer } from '../tests/fixtures/wer';

interface Row {
  text: string;
  seconds: number;
}

const TSX = join(ROOT, 'node_modules/.bin/tsx');
const run = (script: string, args: string[]) => JSON.parse(execFileSync(TSX, [join(ROOT, script), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 }));

function pipelineRows(model: string, dtype: string, language: string, files: string[]): Row[] {
  return (run('tests/fixtures/baseline-node.ts', [model, dtype, language, ...files]) as Row[]).map((r) => ({ text: r.text, seconds: r.seconds }));
}

function earshotRows(model: string, dtype: string, language: string, accuracy: string, files: string[]): Row[] {
  return (run('tests/fixtures/transcribe-node.ts', [model, dtype, language, accuracy, ...files]) as { text: string; stats: { seconds: number; vadSeconds: number } }[]).map((r) => ({
    text: r.text,
    seconds: r.stats.seconds + r.stats.vadSeconds,
  }));
}

const audioSeconds = (files: string[]) => files.reduce((n, f) => n + Number(execFileSync('soxi', ['-D', f], { encoding: 'utf8' })), 0);

interface Config {
  name: string;
  model: string;
  dtype: string;
  language: 'en' | 'zh';
  clips: Clip[];
}

const configs: Config[] = [
  { name: 'whisper-tiny.en', model: TINY_EN_MODEL, dtype: 'q8', language: 'en', clips: speechClips('en') },
  { name: 'whisper-tiny.en', model: TINY_EN_MODEL, dtype: 'fp32/q8', language: 'en', clips: speechClips('en') },
  { name: 'whisper-base', model: BASE_MODEL, dtype: 'q8', language: 'en', clips: speechClips('en') },
  { name: 'whisper-base', model: BASE_MODEL, dtype: 'q8', language: 'zh', clips: speechClips('zh') },
];

const score = (c: Config, rows: Row[]) =>
  wer(c.clips.map((clip, i) => (c.language === 'zh' ? { reference: simplified(clip.reference), hypothesis: simplified(rows[i].text) } : { reference: clip.reference, hypothesis: rows[i].text })));
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const speed = (audio: number, rows: Row[]) => `${(audio / rows.reduce((n, r) => n + r.seconds, 0)).toFixed(1)}×`;

const lines: string[] = [];
for (const c of configs) {
  const files = c.clips.map((clip) => toBaselineWav(clip.file));
  const audio = audioSeconds(files);
  const pipe = pipelineRows(c.model, c.dtype, c.language, files);
  const fast = earshotRows(c.model, c.dtype, c.language, 'fast', files);
  const best = earshotRows(c.model, c.dtype, c.language, 'best', files);
  const line = `| ${c.name} | ${c.dtype} | ${c.language} (${c.clips.length} clips, ${audio.toFixed(0)} s) | ${pct(score(c, pipe))} · ${speed(audio, pipe)} | ${pct(score(c, fast))} · ${speed(audio, fast)} | ${pct(score(c, best))} · ${speed(audio, best)} |`;
  console.log(line);
  lines.push(line);
}

// Long form: the English clips three times over with pauses (≈ 6.5 min), one file.
const { file: long, clips: heard } = longEnglishRecording();
const longAudio = audioSeconds([long]);
const reference = heard.map((c) => c.reference).join(' ');
const longLines: string[] = [];
for (const [name, model] of [
  ['whisper-tiny.en', TINY_EN_MODEL],
  ['whisper-base', BASE_MODEL],
] as const) {
  const pipe = pipelineRows(model, 'q8', 'en', [long]);
  const fast = earshotRows(model, 'q8', 'en', 'fast', [long]);
  const best = earshotRows(model, 'q8', 'en', 'best', [long]);
  const w = (rows: Row[]) => `${pct(wer([{ reference, hypothesis: rows[0].text }]))} · ${speed(longAudio, rows)}`;
  const line = `| ${name} | q8 | ${w(pipe)} | ${w(fast)} | ${w(best)} |`;
  console.log(line);
  longLines.push(line);
}

const doc = `# Accuracy: what to expect

Produced by \`npm run accuracy\` (${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'CPU'} × ${cpus().length}). Each cell: word error
rate (English) or character error rate (Mandarin, both sides converted to simplified characters
with OpenCC) · speed in audio seconds per wall-clock second (model load excluded, 2 threads).

- **Pipeline**: the plain transformers.js \`pipeline('automatic-speech-recognition')\`, 30 s chunks,
  5 s stride, language given — what most browser Whisper apps run.
- **Earshot Fast / Best**: Earshot's file path (\`workers/asr/whisper/long-form.ts\`: Silero VAD windows,
  OpenAI's temperature fallback and no-speech gate, text from the previous window as prompt,
  word timings), greedy or 5 beams, in Auto's decoding mode (timestamp tokens in every window for
  multilingual models on Fast, text only where a window ends in a pause otherwise: see "What Auto
  picks on WASM"). Language given for English; *auto* (detected) for Mandarin.

Both run in Node on onnxruntime-node's CPU backend with the same engine code the browser worker
runs, so the columns compare methods on identical arithmetic; in the browser (WASM) the same
code's text matches within a word or two per clip (see the e2e tests' \`[accuracy]\` lines).

## Clips one by one (\`../shared/audio\`)

| model | dtype | clips | pipeline | Earshot Fast | Earshot Best |
|---|---|---|---|---|---|
${lines.join('\n')}

## One long recording (${(longAudio / 60).toFixed(1)} minutes: the English clips three times over, pauses 0.5–6 s)

| model | dtype | pipeline | Earshot Fast | Earshot Best |
|---|---|---|---|---|
${longLines.join('\n')}

## Which model for what

- **whisper-tiny.en** (40 MB q8): English only, fastest; fine for clear speech and dictation,
  weak on names and numbers. The default for English on phones and old laptops.
- **whisper-base** (100 MB q8): 99 languages with language detection; the smallest model to use
  for Mandarin, mixed-language speech or noisy recordings — and still weak on accented Mandarin
  (most of its CER above comes from the hard sherpa/paraformer clips).
- **small and up**: markedly better on accents, names and noise (OpenAI's figures), 3–10× slower;
  on WebGPU with a real GPU they run faster than base on WASM.
- **Best** (beam search) costs about twice Fast and is worth it for final transcripts; **Fast**
  is for drafts and long batches.
- English errors are mostly names and numbers ("Mr." vs "MISTER", "50" vs "fifty"): the prompt
  (names, terms, spellings) fixes the names.

## What Auto picks on WASM, and why

The rule (\`src/domain/models/dtypes.ts\`, \`src/domain/models/decoding-mode.ts\`): per model, the best
text at a speed within 10 % of the fastest, from the "Precisions" table below (Fast, the default).
Speeds near the line were measured again in interleaved runs (three of each, medians, same
process layout):

- **whisper-tiny.en: q8, text only where a window ends in a pause.** fp32 encoder + q8 decoder
  writes 10.0 % against q8's 10.4 % (one word in these clips) at 0.85× q8's speed (18.3× against
  21.5×) and a 33 MB encoder instead of 10 MB; timestamp mode costs a point (11.4 %).
- **whisper-base: q8, timestamps in every window (Fast).** WER 8.6 % against 10.0 % on English at
  0.91× the speed (11.0× against 12.2×), CER 55.6 % against 60.8 % on Mandarin at 1.12× (6.9×
  against 6.2×: fewer temperature fallbacks); over both, 1.03× the speed. On Best, text-only
  windows stay: timestamps cost 0.84× on English and 2.4 points on Mandarin.

Against faster-whisper int8 on the same clips (Fast): tiny.en 10.4 % vs 8.6 %, base 8.6 % vs
7.5 % (en) and 55.6 % vs 55.3 % (zh). What closes the rest, and its price (table below): an fp32
encoder (tiny.en fp32 8.9 % at 0.64× q8's speed; base fp32/q8 7.9 % at 0.80×), or int8 quantized
**per channel** as CTranslate2 does (tiny.en 8.6 % at 0.87×, base zh 55.6 %) — which no hub repo
ships (their \`_int8\` is per tensor, and its encoder's ConvInteger has no int8 kernel in ONNX
Runtime: the app says so and offers another precision). Pick fp32 in the precision menu when
the text matters more than the time.
`;
// The Precisions sections are `npm run precisions`'s and `precisions:browser`'s (they need Python-made files): kept as they are.
const docPath = join(ROOT, 'docs/accuracy.md');
const old = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
const kept = [/<!-- precisions:[\s\S]*?<!-- \/precisions -->/, /<!-- precisions-browser:[\s\S]*?<!-- \/precisions-browser -->/].map((re) => re.exec(old)?.[0]).filter(Boolean);
writeFileSync(docPath, [doc.trimEnd(), ...kept].join('\n\n') + '\n');
console.log('wrote docs/accuracy.md');
