/**
 * The two speaker models (pyannote segmentation 3.0, CAM++) fetched from `base` and kept in Cache
 * Storage, so diarization works offline after the first time. They are not Whisper models and do
 * not go through transformers.js's loader. Every build ships them (public/models/diarization/,
 * not precached: fetched and kept the first time someone finds speakers); a self-hosted model
 * source may carry its own copy in `diarization/`.
 */
import { asrError } from '../runtime/errors';

export const SPEAKER_MODEL_FILES = { segmentation: 'pyannote-segmentation-3.0.onnx', embedding: 'campplus-zh-en.onnx' } as const;
/**
 * The int8 segmentation model earlier builds shipped (it misses quiet far-field speech: see
 * tools/export_segmentation.py). Used only where the full-precision file cannot be had — a
 * self-hosted mirror made before, or a speaker search offline after an update, from the copy kept
 * in Cache Storage then.
 */
export const PREVIOUS_SEGMENTATION = 'pyannote-segmentation-3.0.int8.onnx';
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

/**
 * Both models from the first of `bases` that has them (a self-hosted source's own copy, then the
 * site's); the full-precision segmentation model from any of them before the previous int8 one.
 */
export async function loadSpeakerModels(bases: readonly string[]): Promise<{ segmentation: Uint8Array; embedding: Uint8Array }> {
  const errors: Error[] = [];
  for (const segmentationFile of [SPEAKER_MODEL_FILES.segmentation, PREVIOUS_SEGMENTATION]) {
    for (const base of bases) {
      const root = base.endsWith('/') ? base : `${base}/`;
      try {
        const [segmentation, embedding] = await Promise.all([fetchModel(root + segmentationFile), fetchModel(root + SPEAKER_MODEL_FILES.embedding)]);
        return { segmentation, embedding };
      } catch (err) {
        // A host without them may also refuse (403 from object stores) or fail CORS: try the next.
        errors.push(err as Error);
      }
    }
  }
  // None had them: a network failure says more than "missing" (it may be why); the errors of the
  // current model's file come first.
  throw errors.find((e) => e.name !== 'SpeakerModelsMissing') ?? errors[0] ?? asrError('SpeakerModelsMissing', 'No place to look for the speaker models was given.');
}
