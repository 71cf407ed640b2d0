/** Is `encoder_hidden_states` needed in the cached branch? Logits with it empty vs full, and the time: `npx tsx bench/decoder-step-empty-states.ts whisper-base`. */
import * as ort from 'onnxruntime-web';
ort.env.wasm.numThreads = 1;
const model = process.argv[2] ?? 'whisper-base';
const cfg = JSON.parse((await import('node:fs')).readFileSync(`../shared/models/${model}/config.json`, 'utf8'));
const L = cfg.decoder_layers, H = cfg.decoder_attention_heads, D = cfg.d_model, hd = D / H;
const s = await ort.InferenceSession.create(`../shared/models/${model}/onnx/decoder_model_merged_quantized.onnx`);
const f32 = (dims: number[]) => new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b)).map(() => Math.random() * 0.1), dims);
const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', BigInt64Array.from([50257n]), [1, 1]), encoder_hidden_states: f32([1, 1500, D]), use_cache_branch: new ort.Tensor('bool', [true], [1]) };
for (let i = 0; i < L; i++) for (const k of ['decoder', 'encoder']) for (const v of ['key', 'value']) feeds[`past_key_values.${i}.${k}.${v}`] = f32([1, H, k === 'decoder' ? 50 : 1500, hd]);
const lean = ['logits', ...Array.from({ length: L }, (_, i) => [`present.${i}.decoder.key`, `present.${i}.decoder.value`]).flat()];
const a = await s.run(feeds, lean);
const small = { ...feeds, encoder_hidden_states: new ort.Tensor('float32', new Float32Array(0), [1, 0, D]) };
const b = await s.run(small, lean);
let diff = 0; const la = a.logits.data as Float32Array, lb = b.logits.data as Float32Array; for (let i = 0; i < la.length; i++) diff = Math.max(diff, Math.abs(la[i] - lb[i]));
console.log('max logits diff with empty encoder_hidden_states:', diff);
async function time(label: string, f: Record<string, ort.Tensor>, n = 20, all = false) { const go = () => (all ? s.run(f) : s.run(f, lean)); for (let i = 0; i < 3; i++) await go(); const t0 = performance.now(); for (let i = 0; i < n; i++) await go(); console.log(model, label, ((performance.now() - t0) / n).toFixed(1), 'ms'); }
for (let r = 0; r < 2; r++) { await time('lean fetches, full encoder_hidden_states', feeds); await time('lean fetches, empty encoder_hidden_states', small); await time('all outputs, full', feeds, 20, true); }
