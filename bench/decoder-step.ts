/**
 * One decoder step of the shared merged Whisper decoder on onnxruntime-web (WASM, Node, 1 thread),
 * with all outputs, with only the outputs the app uses, and without the per-step copy of the encoder
 * side: `npx tsx bench/decoder-step.ts whisper-base` (run from the repository root). See docs/performance.md.
 */
import * as ort from 'onnxruntime-web';
ort.env.wasm.numThreads = 1;
const model = process.argv[2] ?? 'whisper-base';
const cfg = JSON.parse((await import('node:fs')).readFileSync(`../shared/models/${model}/config.json`, 'utf8'));
const L = cfg.decoder_layers, H = cfg.decoder_attention_heads, D = cfg.d_model, hd = D / H;
const s = await ort.InferenceSession.create(`../shared/models/${model}/onnx/decoder_model_merged_quantized.onnx`);
const past = 50;
const f32 = (dims: number[]) => new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b)).map(() => Math.random() * 0.1), dims);
const feeds: Record<string, ort.Tensor> = {
  input_ids: new ort.Tensor('int64', BigInt64Array.from([50257n]), [1, 1]),
  encoder_hidden_states: f32([1, 1500, D]),
  use_cache_branch: new ort.Tensor('bool', [true], [1]),
};
for (let i = 0; i < L; i++) {
  feeds[`past_key_values.${i}.decoder.key`] = f32([1, H, past, hd]);
  feeds[`past_key_values.${i}.decoder.value`] = f32([1, H, past, hd]);
  feeds[`past_key_values.${i}.encoder.key`] = f32([1, H, 1500, hd]);
  feeds[`past_key_values.${i}.encoder.value`] = f32([1, H, 1500, hd]);
}
const lean = ['logits', ...Array.from({ length: L }, (_, i) => [`present.${i}.decoder.key`, `present.${i}.decoder.value`]).flat()];
const withAttn = [...lean, ...Array.from({ length: L }, (_, i) => `cross_attentions.${i}`)];
async function time(label: string, fetches?: string[], n = 20) {
  for (let i = 0; i < 3; i++) await (fetches ? s.run(feeds, fetches) : s.run(feeds));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await (fetches ? s.run(feeds, fetches) : s.run(feeds));
  console.log(model, label, ((performance.now() - t0) / n).toFixed(1), 'ms/step');
}
for (let round = 0; round < 2; round++) {
  await time('all outputs (as transformers.js runs it)');
  await time('logits + self-attention presents + cross_attentions', withAttn);
  await time('logits + self-attention presents only', lean);
}
// The input copy: the same step with the cross-attention K/V and encoder states as 1-frame stand-ins is not
// the same computation, so the copy is timed alone: one JS→WASM copy of every encoder-side input per step.
const bytes = Object.entries(feeds).filter(([k]) => k.includes('encoder')).reduce((a, [, t]) => a + (t.data as Float32Array).byteLength, 0);
for (let i = 0; i < L; i++) {
  feeds[`past_key_values.${i}.encoder.key`] = f32([1, H, 1, hd]);
  feeds[`past_key_values.${i}.encoder.value`] = f32([1, H, 1, hd]);
}
feeds.encoder_hidden_states = f32([1, 1, D]);
await time('encoder side 1 frame instead of 1500 (no 40 MB copy; cross-attention ~free)', lean);
await time('encoder side 1 frame instead of 1500 (no 40 MB copy; cross-attention ~free)', lean);
console.log(model, 'encoder-side inputs per step:', (bytes / 1e6).toFixed(1), 'MB');
