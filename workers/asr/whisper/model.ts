/**
 * What a loaded Whisper is to the engine and the decoder loop: transformers.js's model, processor
 * and tokenizer, and the graph cuts the loader made (models/decoder-graph.ts). Its own module, so
 * the decoder loop and the engine both read it without importing each other.
 */
import type { PreTrainedTokenizer, Processor, WhisperForConditionalGeneration } from '@huggingface/transformers';
import type { InferenceSession } from 'onnxruntime-web';

export interface LoadedWhisper {
  model: WhisperForConditionalGeneration;
  processor: Processor;
  tokenizer: PreTrainedTokenizer;
  /** The decoder's cached step on its own (WASM; decoder-graph.ts), or null: every step runs the merged decoder. */
  step?: CachedStep | null;
  /** The encoder takes any even number of mel frames up to 3 000 (decoder-graph.ts), not only a whole window. */
  anyLengthEncoder?: boolean;
}

export interface CachedStep {
  session: InferenceSession;
  /** Its `past_key_values.{i}.encoder.key` inputs are transposed: `[batch, heads, head_dim, frames]`. */
  keysTransposed: boolean;
}
