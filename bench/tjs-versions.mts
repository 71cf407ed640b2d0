/**
 * transformers.js 3.x vs 4.x, side by side in one run: the same model, clips, dtype and options
 * through each version's plain ASR pipeline (Node build). Each measurement is its own process
 * (two onnxruntime-node versions cannot share one), alternating versions round by round so
 * machine noise hits both alike. Prints medians and the ratio. Node only: it compares the
 * libraries' JS and their ORT versions, not onnxruntime-web in a browser (that is `npm run bench`).
 *
 *   node_modules/.bin/tsx bench/tjs-versions.mts <transformers 4.x package dir> [rounds]
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const clipsDir = resolve('../shared/test-clips/memorized');
const modelDir = resolve('../shared/models/earshot-test-memorized');

if (process.argv[2] === '--child') {
  const lib = (await import(process.argv[3])) as typeof import('@huggingface/transformers');
  const { readWav } = await import('../tests/fixtures/wav');
  lib.env.allowRemoteModels = false;
  lib.env.localModelPath = resolve(modelDir, '..') + '/';
  const asr = await lib.pipeline('automatic-speech-recognition', 'earshot-test-memorized', { dtype: 'q8' } as never);
  const clips = readdirSync(clipsDir).filter((f) => f.endsWith('.wav')).map((f) => readWav(join(clipsDir, f)).channels[0]);
  await asr(clips[0], { language: 'en' } as never); // warm-up
  const t0 = performance.now();
  let text = '';
  for (const audio of clips) text += ((await asr(audio, { language: 'en' } as never)) as { text: string }).text;
  process.stdout.write(JSON.stringify({ version: lib.env.version, ms: performance.now() - t0, text }));
} else {
  const v4Dir = resolve(process.argv[2] ?? '.cache/tjs4/node_modules/@huggingface/transformers');
  const rounds = Number(process.argv[3] ?? 3);
  const libs = [resolve('node_modules/@huggingface/transformers/dist/transformers.node.mjs'), join(v4Dir, 'dist/transformers.node.mjs')];
  const runs: Record<string, { ms: number[]; text: string }> = {};
  for (let r = 0; r < rounds; r++) {
    for (const lib of libs) {
      const out = JSON.parse(execFileSync(process.execPath, [...process.execArgv, import.meta.filename, '--child', pathToFileURL(lib).href], { encoding: 'utf8' }));
      (runs[out.version] ??= { ms: [], text: out.text }).ms.push(out.ms);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [a, b] = Object.keys(runs);
  for (const v of [a, b]) console.log(`transformers ${v}: median ${median(runs[v].ms).toFixed(0)} ms for 24 clips (${runs[v].ms.map((t) => t.toFixed(0)).join(', ')})`);
  console.log(`ratio ${b} / ${a}: ${(median(runs[b].ms) / median(runs[a].ms)).toFixed(3)}; identical text: ${runs[a].text === runs[b].text}`);
}
