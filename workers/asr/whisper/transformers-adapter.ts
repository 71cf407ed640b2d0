/**
 * Every place Earshot reaches inside transformers.js (v3) and patches its objects, in one module:
 * the fields it reads that are not public API, and the three patches it makes — a hook before the
 * model's `forward` (yield between decoder steps), a wrapper around each session's `run` (the ORT
 * lock and timings), and a hook on `InferenceSession.create` while a model loads (graph edits).
 * A transformers.js upgrade is checked here; nothing else casts its objects.
 */
import type { PreTrainedTokenizer, Processor, Tensor, WhisperForConditionalGeneration } from '@huggingface/transformers';
import type { InferenceSession } from 'onnxruntime-web';

type Model = WhisperForConditionalGeneration;
type Outputs = Record<string, Tensor>;
type Pkv = Record<string, Tensor>;
type Run = (...args: unknown[]) => Promise<unknown>;

/** What Earshot uses of a model's internals. */
export interface ModelInternals {
  forward(inputs: Record<string, unknown>): Promise<Outputs>;
  getPastKeyValues(outputs: Outputs, previous: Pkv | null, disposeEncoder?: boolean): Pkv;
  _prepare_encoder_decoder_kwargs_for_generation(a: unknown): Promise<{ encoder_outputs: Tensor }>;
  generation_config: unknown;
  config: unknown;
  forward_params: string[];
  sessions: Record<string, InferenceSession>;
}

export const internals = (model: Model) => model as unknown as ModelInternals;

/** The model's ONNX sessions by transformers.js's names (`model` = encoder, `decoder_model_merged`). */
export const sessionsOf = (model: Model) => internals(model).sessions;

export const generationConfigOf = <T>(model: Model) => model.generation_config as unknown as T;
export const configOf = <T>(model: Model) => model.config as unknown as T;

/** The tokenizer's vocabulary, special tokens included. */
export const tokenIdsOf = (tokenizer: PreTrainedTokenizer) => (tokenizer as unknown as { model: { tokens_to_ids: Map<string, number> } }).model.tokens_to_ids;

export const featureExtractorOf = <T>(processor: Processor) => (processor as unknown as { feature_extractor?: T }).feature_extractor;

/** The ONNX Runtime tensor under a transformers.js tensor (GPU data is read through it). */
export const ortTensorOf = <T = unknown>(t: Tensor) => (t as unknown as { ort_tensor: T }).ort_tensor;

/**
 * generate() keeps only kwargs named in `forward_params`; without `encoder_outputs` there it
 * drops ours and silently runs the encoder a second time for every window.
 */
export function acceptEncoderOutputs(model: Model) {
  const m = internals(model);
  if (!m.forward_params.includes('encoder_outputs')) m.forward_params = [...m.forward_params, 'encoder_outputs'];
}

/**
 * Run `fn` with `before` awaited ahead of every call of the model's `forward` (restored after).
 * `before` gets the call's inputs and may throw to end a generate() early: transformers.js 3.8's
 * `WhisperForConditionalGeneration.generate()` drops `stopping_criteria` (it never passes them on
 * to `super.generate()`), so throwing from here is the only way to stop one between steps. See
 * `releasePastKeyValues` for what such a throw must free.
 */
export async function withForwardHook<T>(model: Model, before: (inputs: unknown) => Promise<void>, fn: () => Promise<T>): Promise<T> {
  const m = model as unknown as { forward: (inputs: unknown) => Promise<unknown> };
  const forward = m.forward;
  m.forward = async (inputs: unknown) => {
    await before(inputs);
    return forward.call(model, inputs);
  };
  try {
    return await fn();
  } finally {
    m.forward = forward;
  }
}

/**
 * A generate() ended by a throw from the forward hook skips its own clean-up: the KV cache it was
 * about to pass in stays allocated. On the GPU that is device memory no garbage collector frees
 * (generate() disposes exactly these, `gpu-buffer` ones, when it ends normally); on the CPU it is
 * plain JavaScript memory.
 */
export function releasePastKeyValues(inputs: unknown) {
  const past = (inputs as { past_key_values?: Record<string, { location?: string; dispose(): void }> | null }).past_key_values;
  for (const t of Object.values(past ?? {})) if (t.location === 'gpu-buffer') t.dispose();
}

/** Wrap each session's `run` (for the lifetime of the sessions). */
export function wrapSessionRuns(sessions: Record<string, InferenceSession>, wrap: (name: string, run: Run) => Run) {
  for (const [name, session] of Object.entries(sessions)) {
    const s = session as unknown as { run: Run };
    s.run = wrap(name, s.run.bind(session));
  }
}

/**
 * While a model loads, pass every ONNX file it creates a session from through `edit` (which may
 * return other bytes); `restore()` puts `InferenceSession.create` back.
 */
export function hookSessionCreate(ort: { InferenceSession: unknown }, edit: (bytes: Uint8Array, options: InferenceSession.SessionOptions | undefined) => Uint8Array): { restore(): void } {
  const sessions = ort.InferenceSession as { create: (...args: unknown[]) => Promise<InferenceSession> };
  const create = sessions.create;
  sessions.create = (...args: unknown[]) => {
    if (args[0] instanceof Uint8Array) args[0] = edit(args[0], args[1] as InferenceSession.SessionOptions | undefined);
    return create.apply(ort.InferenceSession, args);
  };
  return { restore: () => void (sessions.create = create) };
}
