/**
 * The two speaker models (pyannote segmentation 3.0, CAM++) fetched from `base` and kept in Cache
 * Storage, so diarization works offline after the first time. They are not Whisper models and do
 * not go through transformers.js's loader; the deployer puts them next to the app (see README).
 */
import { asrError } from './loader';

export const SPEAKER_MODEL_FILES = { segmentation: 'pyannote-segmentation-3.0.int8.onnx', embedding: 'campplus-zh-en.onnx' } as const;
const CACHE = 'earshot-speaker-models';

async function fetchModel(url: string): Promise<Uint8Array> {
  const cache = typeof caches !== 'undefined' ? await caches.open(CACHE).catch(() => null) : null;
  const hit = await cache?.match(url);
  if (hit) return new Uint8Array(await hit.arrayBuffer());
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw asrError('NetworkError', `Could not download the speaker model ${url}: ${(err as Error).message}`, err);
  }
  if (response.status === 404) throw asrError('SpeakerModelsMissing', `The speaker models are not at ${url}.`);
  if (!response.ok) throw asrError('NetworkError', `The speaker model ${url} answered ${response.status}.`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  // ONNX files are protobuf; an HTML page (a static host's fallback for missing files) starts with '<'.
  if (bytes[0] === 0x3c) throw asrError('SpeakerModelsMissing', `${url} is a web page, not a model.`);
  try {
    await cache?.put(url, new Response(bytes.slice()));
  } catch {
    // Full storage: diarization still works this session.
  }
  return bytes;
}

export async function loadSpeakerModels(base: string): Promise<{ segmentation: Uint8Array; embedding: Uint8Array }> {
  const root = base.endsWith('/') ? base : `${base}/`;
  const [segmentation, embedding] = await Promise.all([fetchModel(root + SPEAKER_MODEL_FILES.segmentation), fetchModel(root + SPEAKER_MODEL_FILES.embedding)]);
  return { segmentation, embedding };
}
