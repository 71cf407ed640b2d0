export interface BaselineRequest {
  modelBase: string;
  modelId: string;
  device: 'wasm' | 'webgpu';
  dtype: string;
  threads: number;
}

export interface BaselineResult {
  text: string;
  /** With `words`: the pipeline's `return_timestamps: 'word'` chunks. */
  words?: { word: string; start: number; end: number }[];
  sessionSeconds: number;
  encoderSeconds: number;
  encoderRuns: number;
  decoderSeconds: number;
  decoderRuns: number;
}
