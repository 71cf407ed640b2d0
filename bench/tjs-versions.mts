/**
 * transformers.js 3.x vs 4.x, side by side in one process run: the same model, clips, dtype and
 * decoding options through each version's plain ASR pipeline (Node build, onnxruntime-node).
 * Alternates versions per round so machine noise hits both alike. Prints medians and the ratio.
 *
 *   node_modules/.bin/tsx bench/tjs-versions.mts <path to a transformers 4.x install> [rounds]
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readWav } from '../tests/fixtures/wav';

const v4Root = resolve(process.argv[2] ?? '.cache/tjs4/node_modules/@huggingface/transformers');
const rounds = Number(process.argv[3] ?? 3);
const modelDir = resolve('../shared/models/earshot-test-memorized');
const clipsDir = resolve('../shared/test-clips/memorized');
const clips = readdirSync(clipsDir).filter((f) => f.endsWith('.wav')).map((f) => readWav(join(clipsDir, f)).channels[0]);

type Lib = typeof import('@huggingface/transformers');
async function setup(lib: Lib) {
  lib.env.allowRemoteModels = false;
  lib.env.localModelPath = resolve(modelDir, '..') + '/';
  return lib.pipeline('automatic-speech-recognition', 'earshot-test-memorized', { dtype: 'q8' } as never);
}
const v3 = (await import('@huggingface/transformers')) as Lib;
const v4 = (await import(pathToFileURL(join(v4Root, 'dist/transformers.node.mjs')).href)) as Lib;
const runners = { [`3.x (${v3.env.version})`]: await setup(v3), [`4.x (${v4.env.version})`]: await setup(v4) };
const times: Record<string, number[]> = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
const texts: Record<string, string> = {};
for (let r = 0; r < rounds + 1; r++) {
  for (const [name, asr] of Object.entries(runners)) {
    const t0 = performance.now();
    let text = '';
    for (const audio of clips) text += ((await asr(audio, { language: 'en' } as never)) as { text: string }).text;
    if (r > 0) times[name].push(performance.now() - t0); // round 0 warms up
    texts[name] = text;
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const names = Object.keys(runners);
for (const n of names) console.log(`${n}: median ${median(times[n]).toFixed(0)} ms for ${clips.length} clips (runs: ${times[n].map((t) => t.toFixed(0)).join(', ')})`);
console.log(`ratio 4.x / 3.x: ${(median(times[names[1]]) / median(times[names[0]])).toFixed(3)}; same text: ${texts[names[0]] === texts[names[1]]}`);
