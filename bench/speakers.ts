/**
 * `npm run bench:speakers`: speaker diarization of a 10-minute conversation (the synthetic
 * conversations of tests/fixtures/conversations.ts, joined until 10 minutes: 2–4 speakers, some
 * overlap, known turns), in the production app in headless Chromium (WASM, 2 threads), side by
 * side with transcribing the same file with whisper-tiny.en q8; and the same Diarizer in Node
 * (onnxruntime-node, 2 threads) for comparison. Prints the figures and writes
 * bench/results/speakers.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { diarizationError } from '../src/domain/diarization/der';
import type { SpeakerTurn } from '../src/domain/diarization/types';
import { launch } from '../tests/e2e/browser';
import { openApp, transcribe } from '../tests/e2e/app';
import { startServer } from '../tests/e2e/server';
import { buildConversation, CONVERSATIONS, SPEAKERS } from '../tests/fixtures/conversations';
import { createDiarizer } from '../tests/fixtures/diarize-node';
import { writeWav16 } from '../tests/fixtures/wav';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '../shared');
const SECONDS = Number(process.env.BENCH_SPEAKERS_SECONDS ?? 600);

function tenMinutes(): { audio: Float32Array; reference: SpeakerTurn[] } {
  const parts: Float32Array[] = [];
  const reference: SpeakerTurn[] = [];
  let at = 0;
  const voices = Object.keys(SPEAKERS);
  for (let round = 0; at < SECONDS * 16_000; round++) {
    for (const spec of CONVERSATIONS) {
      const c = buildConversation(spec);
      parts.push(c.audio);
      // A reader is one speaker wherever they appear (the voices recur across the parts).
      for (const t of c.reference) reference.push({ start: t.start + at / 16_000, end: t.end + at / 16_000, speaker: voices.indexOf(spec.speakers[t.speaker]) });
      at += c.audio.length;
      if (at >= SECONDS * 16_000) break;
    }
  }
  const audio = new Float32Array(at);
  let o = 0;
  for (const p of parts) {
    audio.set(p, o);
    o += p.length;
  }
  return { audio, reference };
}


const { audio, reference } = tenMinutes();
const duration = audio.length / 16_000;
const dir = join(ROOT, '.cache/bench');
mkdirSync(dir, { recursive: true });
const file = join(dir, 'conversation-10min.wav');
writeWav16(file, audio);
process.stderr.write(`  ${duration.toFixed(0)} s conversation written\n`);

// Node: the same Diarizer on onnxruntime-node.
const node = await createDiarizer(2);
const n0 = performance.now();
const nodeResult = await node.run(audio);
const nodeSeconds = (performance.now() - n0) / 1000;
process.stderr.write(`  node: ${nodeSeconds.toFixed(1)} s, ${nodeResult.speakers} speakers\n`);

const server = await startServer(join(ROOT, 'dist'), { 'whisper-tiny.en': join(SHARED, 'models/whisper-tiny.en') });
const browser = await launch();
const page = await browser.newPage();
await openApp(page, server, 'whisper-tiny.en', 'wasm', 'q8', 'threads=2');
const t0 = Date.now();
const r = await transcribe(page, file, 1_200_000);
const transcribeSeconds = (Date.now() - t0) / 1000;
if (r.state !== 'done') throw new Error(`transcription ended in ${r.state}`);
const diarize = async () => {
  const s0 = Date.now();
  await page.click('[data-testid=diarize]');
  await page.waitForSelector('[data-testid=speakers-panel][data-state=done], [data-testid=error]', { timeout: 1_200_000 });
  return (Date.now() - s0) / 1000;
};
const coldSeconds = await diarize();
const warmSeconds = await diarize();
const speakers = await page.$$eval('[data-testid=speaker-item]', (els) => els.length);
const turns = await page.$$eval('[data-testid=transcript] [data-testid=segment]', (els) =>
  els.map((el) => ({ start: Number(el.getAttribute('data-start')), end: Number(el.getAttribute('data-end')), speaker: Number(el.getAttribute('data-speaker')?.slice(1) ?? 0) - 1 })),
);
await browser.close();
await server.close();

const row = {
  audio: `${duration.toFixed(0)} s synthetic conversation (2–4 speakers per part)`,
  device: 'wasm-2t',
  transcribe_s: transcribeSeconds,
  transcribe_rtf: transcribeSeconds / duration,
  diarize_cold_s: coldSeconds,
  diarize_warm_s: warmSeconds,
  diarize_rtf: warmSeconds / duration,
  diarize_to_transcribe: warmSeconds / transcribeSeconds,
  node_diarize_s: nodeSeconds,
  node_rtf: nodeSeconds / duration,
  node_stats: node.stats,
  reference_speakers: new Set(reference.map((t) => t.speaker)).size,
  speakers_found: speakers,
  node_speakers_found: nodeResult.speakers,
  /** DER of the app's segments (what the user sees and exports) and of the Node turns, ±0.25 s collar. */
  app_segments_der: diarizationError(reference, turns, { collar: 0.25 }).der,
  node_der: diarizationError(reference, nodeResult.turns, { collar: 0.25 }).der,
};
console.log(JSON.stringify(row, null, 2));
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/speakers.json'), JSON.stringify(row, null, 2) + '\n');
