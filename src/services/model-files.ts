/**
 * Which precisions a model ships, per part, before anything is downloaded — so the precision
 * menu offers what the chosen model actually has. A folder from the disk says it by its file
 * names; the Hugging Face hub and hf-mirror.com list a repo's files in one request
 * (`/api/models/<id>`); a self-hosted source is asked with a HEAD request per file. Answers are
 * kept on the device (localStorage), so a model is asked about once, and a reload or offline use
 * makes no request. Null: not known (offline, an answer that is not a file list) — then every
 * precision is offered and the load says what is missing.
 */
import { DTYPE_FILE_SUFFIX, DTYPES, shippedFrom, type Dtype, type ModelPart } from '../domain/models/dtypes';
import type { ModelSource } from '../../workers/asr/protocol';

export type Shipped = Record<ModelPart, Dtype[]>;

const STORE = 'earshot.shipped';
const HUB: Record<string, string> = { huggingface: 'https://huggingface.co/', 'hf-mirror': 'https://hf-mirror.com/' };

function remembered(): Record<string, Shipped> {
  try {
    return JSON.parse(localStorage.getItem(STORE) ?? '{}') as Record<string, Shipped>;
  } catch {
    return {};
  }
}

function remember(key: string, shipped: Shipped) {
  try {
    localStorage.setItem(STORE, JSON.stringify({ ...remembered(), [key]: shipped }));
  } catch {
    /* storage full or disabled: asked again next time */
  }
}

/** Every ONNX file transformers.js could load for a Whisper model, relative to the model's folder. */
export function candidateFiles(): string[] {
  return DTYPES.flatMap((d) => [`onnx/encoder_model${DTYPE_FILE_SUFFIX[d]}.onnx`, `onnx/decoder_model_merged${DTYPE_FILE_SUFFIX[d]}.onnx`]);
}

export async function shippedDtypes(source: ModelSource, modelId: string, options: { offline: boolean; signal?: AbortSignal; page?: string }): Promise<Shipped | null> {
  if (source.kind === 'folder') return shippedFrom(Object.keys(source.files));
  const key = `${source.kind === 'custom' ? source.baseUrl : source.kind}|${modelId}`;
  const known = remembered()[key];
  if (known) return known;
  if (options.offline) return null;
  let shipped: Shipped | null = null;
  try {
    if (source.kind === 'custom') {
      const base = new URL(`${modelId}/`, new URL(source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`, options.page ?? location.href));
      const found = await Promise.all(
        candidateFiles().map(async (f) => ((await fetch(new URL(f, base), { method: 'HEAD', signal: options.signal }).catch(() => null))?.ok ? f : null)),
      );
      shipped = shippedFrom(found.filter((f): f is string => f !== null));
    } else {
      const response = await fetch(`${HUB[source.kind]}api/models/${modelId}`, { signal: options.signal });
      if (!response.ok) return null;
      const info = (await response.json()) as { siblings?: { rfilename?: string }[] };
      if (!Array.isArray(info.siblings)) return null;
      shipped = shippedFrom(info.siblings.map((s) => s.rfilename ?? ''));
    }
  } catch {
    return null;
  }
  // Nothing found is not remembered: the source may be down, or the id mistyped and then fixed.
  if (shipped.encoder.length === 0 && shipped.decoder.length === 0) return null;
  remember(key, shipped);
  return shipped;
}
