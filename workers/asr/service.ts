import { transfer } from 'comlink';
import * as ort from 'onnxruntime-web';
// Silero v6 (the package's `silero_vad_v6.onnx`; same inputs as v5): v5 missed short phrases
// ("ask not" in the JFK clip) that v6 finds, and a missed phrase is a lost phrase.
import sileroUrl from '@ricky0123/vad-web/dist/silero_vad_v6.onnx?url';
import { WHISPER_SAMPLE_RATE_HZ } from '../../src/domain/audio/constants';
import { VAD_FRAME_SAMPLES } from '../../src/domain/audio/vad-segmenter';
import { downmix } from '../../src/domain/audio/downmix';
import { resample } from '../../src/domain/audio/resample';
import { WhisperEngine } from './whisper/engine';
import { MAX_PROMPT_TOKENS } from './whisper/limits';
import { LiveSession } from './live/live';
import { asrError, capabilities, loadWhisper } from './models/loader';
import { outOfMemory } from './models/load-errors';
import type { AsrApi, Capabilities, LoadedModel } from './protocol';
import { createRecording } from './live/recording';
import { SileroVad, type OrtRuntime } from './runtime/vad';
import { DiarizationCancelled, Diarizer } from './diarization/diarize';
import { loadSpeakerModels } from './diarization/speaker-models';

/** Silero VAD, loaded once per worker from the copy Vite emitted next to the app. */
async function loadVad(): Promise<SileroVad> {
  const response = await fetch(sileroUrl);
  if (!response.ok) throw asrError('NetworkError', `The voice-activity model could not be loaded (HTTP ${response.status}).`);
  return SileroVad.create(ort as unknown as OrtRuntime, new Uint8Array(await response.arrayBuffer()));
}

/** How many decoded files the worker keeps (see `prepareAudio`). */
const KEPT_AUDIO = 2;

/**
 * The worker's API. One model at a time (a new load disposes the old one), one inference at a
 * time (a second transcribe while one runs is refused with `Busy`).
 */
export function createAsrService(): AsrApi {
  const kept = new Map<string, Float32Array>();
  /** Silero's speech probabilities over a kept file, once per file: the transcription and the speaker search both use them. */
  const keptSpeech = new Map<string, Float32Array>();
  let audioCount = 0;
  const keptAudio = (handle: string) => {
    const audio = kept.get(handle);
    if (!audio) throw asrError('AudioGone', 'This audio is no longer kept in the worker.');
    return audio;
  };
  let caps: Capabilities | null = null;
  let engine: WhisperEngine | null = null;
  let loaded: LoadedModel | null = null;
  let dispose: (() => Promise<void>) | null = null;
  let busy = false;
  const cancelled = new Set<number>();
  let vad: Promise<SileroVad> | null = null;
  let live: LiveSession | null = null;
  let diarizer: { base: string; model: Promise<Diarizer> } | null = null;

  const getCaps = async () => (caps ??= await capabilities());

  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (busy) throw asrError('Busy', 'The model is busy with another job.');
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
    }
  };

  const getVad = () =>
    (vad ??= loadVad().catch((err) => {
      vad = null;
      throw err;
    }));

  const speechOf = async (handle: string, isCancelled: () => boolean): Promise<Float32Array> => {
    const known = keptSpeech.get(handle);
    if (known) return known;
    const probabilities = await (await getVad()).fileProbabilities(keptAudio(handle), undefined, undefined, isCancelled);
    // A cancelled run stopped part-way: not kept.
    if (!isCancelled() && kept.has(handle)) keptSpeech.set(handle, probabilities);
    return probabilities;
  };

  /** The speaker models from the first of `bases` that has them, loaded once (a failed load is tried again next time). */
  const getDiarizer = (bases: readonly string[]): Promise<Diarizer> => {
    const base = bases.join(' ');
    if (diarizer?.base !== base) {
      const model = loadSpeakerModels(bases).then((m) => Diarizer.create(ort as unknown as OrtRuntime, m.segmentation, m.embedding));
      diarizer = { base, model };
      model.catch(() => (diarizer = null));
    }
    return diarizer.model;
  };

  const requireLive = () => {
    if (!live) throw asrError('BadRequest', 'No live session is running.');
    return live;
  };

  const requireEngine = () => {
    if (!engine) throw asrError('NoModelLoaded', 'Load a model first.');
    return engine;
  };

  return {
    capabilities: getCaps,

    load: (request, onProgress) =>
      exclusive(async () => {
        const started = performance.now();
        await dispose?.();
        engine = null;
        loaded = null;
        dispose = null;
        const c = await getCaps();
        const { whisper, device, dtype, stored, dtypeReason, crossAttentionsAdded } = await loadWhisper(request, c, onProgress);
        engine = new WhisperEngine(whisper);
        dispose = async () => {
          await whisper.model.dispose();
          await whisper.step?.session.release();
        };
        // Compile shaders (WebGPU), or get V8 to compile the WASM kernels' hot code (see
        // warmUpWasm), now rather than in the user's first job: a live session begun right after
        // load otherwise paid it in its first finals. With the VAD's kernels too, which every
        // live frame and every file's plan runs.
        onProgress({ files: {}, phase: 'warmup' });
        const warmStarted = performance.now();
        if (device === 'webgpu') await engine.warmUp();
        else {
          // Only a head start: a model it fails on is reported by the job that runs it, with
          // that job's message (out of memory, say), not by a load that would otherwise succeed.
          await engine.warmUpWasm().catch((err) => console.warn('Warm-up failed; the first job will be slower.', err));
          // Likewise a VAD that fails to load: the job that needs it says so.
          await getVad()
            .then(async (v) => {
              await v.fileProbabilities(new Float32Array(WHISPER_SAMPLE_RATE_HZ));
              await v.probabilities(Array.from({ length: 32 }, () => new Float32Array(VAD_FRAME_SAMPLES)));
              v.reset();
            })
            .catch(() => {});
        }
        const warmUpSeconds = (performance.now() - warmStarted) / 1000;
        loaded = {
          modelId: request.modelId,
          device,
          dtype,
          threads: device === 'wasm' ? Math.max(1, Math.min(request.threads ?? c.threads, c.threads)) : 1,
          multilingual: engine.multilingual,
          seconds: (performance.now() - started) / 1000,
          stored,
          dtypeReason,
          wordTimings: !engine.alignable ? 'none' : crossAttentionsAdded ? 'added' : 'exported',
          warmUpSeconds,
        };
        return loaded;
      }),

    async prepareAudio({ channels, sampleRate }) {
      if (channels.length === 0 || channels[0].length === 0) throw asrError('BadAudio', 'The file has no audio.');
      const mono = resample(downmix(channels), sampleRate, WHISPER_SAMPLE_RATE_HZ);
      const id = `a${++audioCount}`;
      kept.set(id, mono);
      // The transcript shown and one more (a queue's next file): an hour of audio is 230 MB here.
      for (const old of [...kept.keys()].slice(0, -KEPT_AUDIO)) {
        kept.delete(old);
        keptSpeech.delete(old);
      }
      return { id, seconds: mono.length / WHISPER_SAMPLE_RATE_HZ };
    },

    async audioSamples(handle) {
      const samples = keptAudio(handle).slice();
      return transfer(samples, [samples.buffer]);
    },

    detectLanguage: (audio) => exclusive(() => requireEngine().detectLanguage(audio)),

    transcribe: (request, onUpdate) =>
      exclusive(async () => {
        const e = requireEngine();
        cancelled.delete(request.jobId);
        const isCancelled = () => cancelled.has(request.jobId);
        try {
          // Voice activity over the whole file plans the windows (cut in pauses) and checks
          // that every stretch of speech got words.
          const kept = keptAudio(request.audio);
          const audio = request.fromSeconds ? kept.subarray(Math.min(kept.length, Math.round(request.fromSeconds * WHISPER_SAMPLE_RATE_HZ))) : kept;
          const speech = request.fromSeconds ? await getVad().then((v) => v.fileProbabilities(audio, undefined, undefined, isCancelled)) : await speechOf(request.audio, isCancelled);
          return await e.transcribe(
            audio,
            {
              language: request.language,
              task: request.task,
              promptIds: e.encodePrompt(request.prompt ?? ''),
              accuracy: request.accuracy,
              context: request.context,
              fallback: request.fallback,
              preferredLanguages: request.preferredLanguages,
              previousIds: request.previousText ? e.encodePrompt(request.previousText).slice(-MAX_PROMPT_TOKENS) : [],
              speech,
              isCancelled,
            },
            onUpdate,
          );
        } catch (err) {
          throw outOfMemory(err) ?? err;
        } finally {
          cancelled.delete(request.jobId);
        }
      }),

    diarize: (request, onProgress) =>
      exclusive(async () => {
        const t0 = performance.now();
        cancelled.delete(request.jobId);
        const isCancelled = () => cancelled.has(request.jobId);
        try {
          if (diarizer?.base !== request.modelBases.join(' ')) onProgress({ windows: 0, total: 0, phase: 'models' });
          const d = await getDiarizer(request.modelBases);
          const audio = keptAudio(request.audio);
          // Silero's speech regions recover speech the segmentation model misses (far-field rooms);
          // without the VAD the speakers are found all the same.
          const speech = await speechOf(request.audio, isCancelled).catch(() => undefined);
          let last = 0;
          const result = await d.run(audio, {
            count: request.count,
            speech,
            isCancelled,
            onProgress: (windows, total) => {
              const now = performance.now();
              if (now - last < 100 && windows < total) return;
              last = now;
              onProgress({ windows, total, phase: 'speakers' });
            },
          });
          return { ...result, cancelled: false, seconds: (performance.now() - t0) / 1000 };
        } catch (err) {
          if (err instanceof DiarizationCancelled) return { turns: [], speakers: 0, likely: null, cancelled: true, seconds: (performance.now() - t0) / 1000 };
          throw err;
        } finally {
          cancelled.delete(request.jobId);
        }
      }),

    cancel(jobId) {
      cancelled.add(jobId);
    },

    ping: () => true,

    async liveStart(port, options, onUpdate) {
      const e = requireEngine();
      if (busy) throw asrError('Busy', 'The model is busy with another job.');
      busy = true;
      try {
        const v = await getVad();
        v.reset();
        // Speaker labels need the speaker models: missing ones stop the start with a clear error
        // (nothing is recorded yet), rather than a session that silently has no labels.
        const speakers = options.speakerModels?.length ? await getDiarizer(options.speakerModels) : null;
        live = new LiveSession(e, v, port, await createRecording(), options, onUpdate, speakers);
      } catch (err) {
        busy = false;
        throw err;
      }
    },

    livePause() {
      requireLive().pause();
    },

    liveResume() {
      requireLive().resume();
    },

    async liveStop() {
      const session = requireLive();
      try {
        return await session.stop();
      } finally {
        live = null;
        busy = false;
      }
    },

    async dispose() {
      await dispose?.();
      engine = null;
      loaded = null;
      dispose = null;
    },
  };
}
