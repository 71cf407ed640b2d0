/**
 * `npm run precisions`: what each precision the hub ships costs in text and speed, on WASM's
 * arithmetic (onnxruntime-node CPU, 2 threads, the app's own engine), per model, next to
 * faster-whisper int8 on the same audio — the evidence Auto's choice on WASM rests on
 * (src/domain/models/dtypes.ts). Writes the "Precisions" section of docs/accuracy.md.
 *
 * Needs the real models in every precision, made once by `tools/make_precisions.py` into
 * .cache/precisions/ (Python, from PyPI; see that file), and faster-whisper for the reference
 * column (`PYTHON=/path/to/python` with faster-whisper installed; the column is left empty
 * without it). Each row runs in its own process, one after the other.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT, speechClips, toBaselineWav, type Clip } from '../tests/e2e/fixtures';
import { simplified } from '../tests/fixtures/script';
import { wer } from '../tests/fixtures/wer';

const PRECISIONS = join(ROOT, '.cache/precisions');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const PYTHON = process.env.PYTHON ?? 'python3';

interface Row {
  text: string;
  seconds: number;
}
interface Config {
  model: 'tiny.en' | 'base';
  language: 'en' | 'zh';
  clips: Clip[];
}

const configs: Config[] = [
  { model: 'tiny.en', language: 'en', clips: speechClips('en') },
  { model: 'base', language: 'en', clips: speechClips('en') },
  { model: 'base', language: 'zh', clips: speechClips('zh') },
];
/** encoder/decoder: the hub's suffixes as transformers.js names them; fp32/q4 is Auto's WebGPU pick. */
const DTYPES = ['q8', 'int8', 'q4', 'fp32', 'fp32/q8', 'fp32/q4', 'q8/q4'];
const TIMESTAMP_DTYPES = ['q8', 'fp32'];

/** `mode`: the engine's decoding mode (text only where a window ends in a pause, or timestamps everywhere). */
function earshot(dir: string, dtype: string, language: string, accuracy: 'fast' | 'best', files: string[], mode = 'text-where-possible'): Row[] {
  const out = execFileSync(TSX, [join(ROOT, 'tests/fixtures/transcribe-node.ts'), dir, dtype, language, accuracy, ...files], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, MODE: mode } });
  return (JSON.parse(out) as { text: string; stats: { seconds: number; vadSeconds: number } }[]).map((r) => ({ text: r.text, seconds: r.stats.seconds + r.stats.vadSeconds }));
}

function fasterWhisper(model: string, language: string, beam: number, files: string[]): Row[] | null {
  try {
    const args = [join(ROOT, 'bench/faster_whisper_ref.py'), '--model', model, '--threads', '2', '--beam', String(beam), ...(language === 'en' ? ['--language', 'en'] : []), ...files];
    const out = execFileSync(PYTHON, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim().split('\n').map((l) => JSON.parse(l) as { text: string; wall_s: number }).map((r) => ({ text: r.text, seconds: r.wall_s }));
  } catch {
    return null;
  }
}

const audioSeconds = (files: string[]) => files.reduce((n, f) => n + Number(execFileSync('soxi', ['-D', f], { encoding: 'utf8' })), 0);
const score = (c: Config, rows: Row[]) =>
  wer(c.clips.map((clip, i) => (c.language === 'zh' ? { reference: simplified(clip.reference), hypothesis: simplified(rows[i].text) } : { reference: clip.reference, hypothesis: rows[i].text })));
const cell = (c: Config, audio: number, rows: Row[] | null) => (rows ? `${(score(c, rows) * 100).toFixed(1)} % · ${(audio / rows.reduce((n, r) => n + r.seconds, 0)).toFixed(1)}×` : '–');

const lines: string[] = [];
for (const c of configs) {
  const dir = join(PRECISIONS, `whisper-${c.model}`);
  if (!existsSync(join(dir, 'onnx/decoder_model_merged.onnx'))) {
    console.warn(`skipped ${c.model}: run \`python3 tools/make_precisions.py --model ${c.model}\` first`);
    continue;
  }
  const files = c.clips.map((clip) => toBaselineWav(clip.file));
  const audio = audioSeconds(files);
  const language = c.language === 'en' ? 'en' : 'auto';
  const what = `${c.language} (${c.clips.length} clips, ${audio.toFixed(0)} s)`;
  const fw = `${cell(c, audio, fasterWhisper(c.model, c.language, 1, files))} | ${cell(c, audio, fasterWhisper(c.model, c.language, 5, files))}`;
  lines.push(`| whisper-${c.model} | ${what} | faster-whisper int8 | ${fw} |`);
  console.log(lines.at(-1));
  for (const dtype of DTYPES) {
    lines.push(`| whisper-${c.model} | ${what} | ${dtype} | ${cell(c, audio, earshot(dir, dtype, language, 'fast', files))} | ${cell(c, audio, earshot(dir, dtype, language, 'best', files))} |`);
    console.log(lines.at(-1));
  }
  // The other decoding mode, on WASM Auto's precision and on full precision.
  for (const dtype of TIMESTAMP_DTYPES) {
    lines.push(`| whisper-${c.model} | ${what} | ${dtype}, timestamp mode | ${cell(c, audio, earshot(dir, dtype, language, 'fast', files, 'timestamps'))} | ${cell(c, audio, earshot(dir, dtype, language, 'best', files, 'timestamps'))} |`);
    console.log(lines.at(-1));
  }
}

const section = `<!-- precisions: written by \`npm run precisions\` -->
## Precisions (${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'CPU'} × ${cpus().length})

Precisions made from OpenAI's weights by \`tools/make_precisions.py\` (a plain optimum export:
fp32; \`q4\`: MatMulNBits 4 bits, block 32, symmetric, as the hub's \`_q4\`; \`int8\`: **per output
channel**, as CTranslate2 quantizes — not the hub's \`_int8\`, which transformers.js's
\`quantize.py\` makes per tensor like its \`_quantized\`; \`q8\`: the shared per-tensor files, as
the hub's \`_quantized\`), through Earshot's file path in Node (onnxruntime-node CPU, 2 threads:
WASM's arithmetic, a little faster than the browser). encoder/decoder where they differ. Each
cell: WER (CER for zh) · audio seconds per wall second, Fast (greedy) | Best (5 beams). Decoding
mode: text only where a window ends in a pause (the app's), or *timestamp mode* (timestamp tokens
in every window, as OpenAI and faster-whisper decode). faster-whisper (CTranslate2 int8,
\`cpu_threads=2\`, greedy | beam 5) on the same audio above each model. Rows run one after the
other on an otherwise idle machine; speeds are comparable within a model only.

| model | clips | precision | Fast | Best |
|---|---|---|---|---|
${lines.join('\n')}
<!-- /precisions -->`;

const docPath = join(ROOT, 'docs/accuracy.md');
const doc = readFileSync(docPath, 'utf8');
const block = /<!-- precisions:[\s\S]*?<!-- \/precisions -->/;
writeFileSync(docPath, block.test(doc) ? doc.replace(block, section) : `${doc.trimEnd()}\n\n${section}\n`);
console.log('wrote the Precisions section of docs/accuracy.md');
