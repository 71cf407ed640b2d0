import { env, pipeline, type AutomaticSpeechRecognitionPipeline } from '@huggingface/transformers';
// Same runtime files as the app, so only the way the model is driven differs.
import ortWasmUrl from 'ort-dist/ort-wasm-simd-threaded.jsep.wasm?url';
import ortMjsUrl from 'ort-dist/ort-wasm-simd-threaded.jsep.mjs?url';

env.backends.onnx.wasm!.wasmPaths = { wasm: new URL(ortWasmUrl, self.location.href).href, mjs: new URL(ortMjsUrl, self.location.href).href };
env.backends.onnx.logLevel = 'error';
env.allowLocalModels = false;

let asr: AutomaticSpeechRecognitionPipeline | null = null;
const totals: Record<string, { seconds: number; runs: number }> = {};

self.onmessage = async (e: MessageEvent) => {
  try {
    const m = e.data;
    if (m.type === 'load') {
      env.remoteHost = m.modelBase.endsWith('/') ? m.modelBase : `${m.modelBase}/`;
      env.remotePathTemplate = '{model}/';
      env.backends.onnx.wasm!.numThreads = m.threads;
      // (typed loosely: pipeline()'s overloads are too large a union for tsc here)
      const make = pipeline as unknown as (task: string, model: string, options: object) => Promise<AutomaticSpeechRecognitionPipeline>;
      asr = await make('automatic-speech-recognition', m.modelId, { device: m.device, dtype: m.dtype });
      const sessions = (asr.model as unknown as { sessions: Record<string, { run: (...a: unknown[]) => Promise<unknown> }> }).sessions;
      for (const [name, session] of Object.entries(sessions)) {
        const t = (totals[name] = { seconds: 0, runs: 0 });
        const run = session.run.bind(session);
        session.run = async (...args: unknown[]) => {
          const t0 = performance.now();
          try {
            return await run(...args);
          } finally {
            t.seconds += (performance.now() - t0) / 1000;
            t.runs++;
          }
        };
      }
      self.postMessage({ ok: true });
    } else if (m.type === 'run') {
      for (const t of Object.values(totals)) Object.assign(t, { seconds: 0, runs: 0 });
      // An English-only model refuses a language (transformers.js throws): pass it only to multilingual ones.
      const multilingual = (asr!.model.generation_config as { is_multilingual?: boolean }).is_multilingual !== false;
      const options = { chunk_length_s: 30, stride_length_s: 5, ...(multilingual && m.language !== 'auto' ? { language: m.language } : {}), ...(m.words ? { return_timestamps: 'word' } : {}) };
      const out = (await asr!(m.audio, options as never)) as { text: string; chunks?: { text: string; timestamp: [number, number | null] }[] };
      const enc = totals.model ?? { seconds: 0, runs: 0 };
      const dec = totals.decoder_model_merged ?? { seconds: 0, runs: 0 };
      self.postMessage({
        text: out.text,
        ...(m.words ? { words: (out.chunks ?? []).map((c) => ({ word: c.text, start: c.timestamp[0], end: c.timestamp[1] ?? c.timestamp[0] })) } : {}),
        sessionSeconds: Object.values(totals).reduce((s, t) => s + t.seconds, 0),
        encoderSeconds: enc.seconds,
        encoderRuns: enc.runs,
        decoderSeconds: dec.seconds,
        decoderRuns: dec.runs,
      });
    }
  } catch (err) {
    self.postMessage({ error: String((err as Error)?.message ?? err) });
  }
};
