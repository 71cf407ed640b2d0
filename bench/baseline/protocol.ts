export interface BaselineRequest {
  modelBase: string;
  modelId: string;
  device: 'wasm' | 'webgpu';
  dtype: string;
  threads: number;
}

export interface BaselineResult {
  text: string;
  sessionSeconds: number;
  encoderSeconds: number;
  encoderRuns: number;
  decoderSeconds: number;
  decoderRuns: number;
}
