import type { Dtype } from './dtypes';

export interface CatalogModel {
  id: string;
  label: string;
  /** Parameters in millions, encoder and decoder (the decoder includes the 51 865-token embedding). */
  encoderParamsM: number;
  decoderParamsM: number;
  englishOnly: boolean;
  /** What it is good for (a message key, en/zh). */
  use: 'useTiny' | 'useBase' | 'useSmall' | 'useMedium' | 'useTurbo' | 'useDistil';
  /**
   * Other repos with the same weights: the plain repo where the catalog names its `_timestamped`
   * export. A model id saved before the catalog moved keeps loading what the browser already
   * stored (the loader exposes the cross-attention itself), and the picker still names it.
   */
  aliases?: readonly string[];
}

/**
 * The Whisper family as converted for transformers.js (ONNX weights in `onnx/`).
 * Parameter counts are from the model cards; sizes below are derived from them. Where the hub
 * has a `_timestamped` export (decoders with `cross_attentions.*` outputs, for word timings) the
 * catalog names it; the others give word timings through the loader's graph edit
 * (workers/asr/models/attention-outputs.ts).
 */
export const CATALOG: readonly CatalogModel[] = [
  { id: 'onnx-community/whisper-tiny_timestamped', aliases: ['onnx-community/whisper-tiny'], label: 'Whisper tiny', encoderParamsM: 8.2, decoderParamsM: 29.6, englishOnly: false, use: 'useTiny' },
  { id: 'onnx-community/whisper-tiny.en_timestamped', aliases: ['onnx-community/whisper-tiny.en'], label: 'Whisper tiny.en', encoderParamsM: 8.2, decoderParamsM: 29.6, englishOnly: true, use: 'useTiny' },
  { id: 'onnx-community/whisper-base_timestamped', aliases: ['onnx-community/whisper-base'], label: 'Whisper base', encoderParamsM: 19.8, decoderParamsM: 52.3, englishOnly: false, use: 'useBase' },
  { id: 'onnx-community/whisper-base.en_timestamped', aliases: ['onnx-community/whisper-base.en'], label: 'Whisper base.en', encoderParamsM: 19.8, decoderParamsM: 52.3, englishOnly: true, use: 'useBase' },
  { id: 'onnx-community/whisper-small_timestamped', aliases: ['onnx-community/whisper-small'], label: 'Whisper small', encoderParamsM: 88.2, decoderParamsM: 153.6, englishOnly: false, use: 'useSmall' },
  { id: 'onnx-community/whisper-small.en_timestamped', aliases: ['onnx-community/whisper-small.en'], label: 'Whisper small.en', encoderParamsM: 88.2, decoderParamsM: 153.6, englishOnly: true, use: 'useSmall' },
  { id: 'onnx-community/whisper-medium-ONNX', label: 'Whisper medium', encoderParamsM: 307.2, decoderParamsM: 456.6, englishOnly: false, use: 'useMedium' },
  { id: 'onnx-community/whisper-large-v3-turbo_timestamped', aliases: ['onnx-community/whisper-large-v3-turbo'], label: 'Whisper large-v3 turbo', encoderParamsM: 635.0, decoderParamsM: 172.8, englishOnly: false, use: 'useTurbo' },
  { id: 'distil-whisper/distil-small.en', label: 'Distil-Whisper small.en', encoderParamsM: 88.2, decoderParamsM: 78.1, englishOnly: true, use: 'useDistil' },
  { id: 'distil-whisper/distil-medium.en', label: 'Distil-Whisper medium.en', encoderParamsM: 307.2, decoderParamsM: 87.1, englishOnly: true, use: 'useDistil' },
  { id: 'distil-whisper/distil-large-v3', label: 'Distil-Whisper large-v3', encoderParamsM: 635.0, decoderParamsM: 121.0, englishOnly: false, use: 'useDistil' },
];

export const DEFAULT_MODEL_ID = 'onnx-community/whisper-base_timestamped';

/** The catalog entry for a model id, by its id or one of its aliases. */
export function catalogEntry(id: string): CatalogModel | undefined {
  return CATALOG.find((m) => m.id === id || m.aliases?.includes(id));
}

/** Bytes per parameter on disk; q4 keeps some tensors (embeddings, norms) at higher precision. */
const BYTES_PER_PARAM: Record<Dtype, number> = { fp32: 4, fp16: 2, q8: 1.05, int8: 1.05, uint8: 1.05, q4: 0.7, q4f16: 0.6, bnb4: 0.7 };

export function estimateDownloadBytes(model: CatalogModel, dtype: { encoder: Dtype; decoder: Dtype }): number {
  return Math.round(
    (model.encoderParamsM * BYTES_PER_PARAM[dtype.encoder] + model.decoderParamsM * BYTES_PER_PARAM[dtype.decoder]) * 1e6,
  );
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/** `owner/name` or a plain folder name as used on self-hosted mirrors; no URLs or path tricks. */
export function isValidModelId(id: string): boolean {
  return /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(id) && !id.includes('..');
}
