/**
 * Checking a self-hosted model source as soon as it is set (from a `?models=` link or the
 * field), so a wrong address is explained where it was typed, before anything downloads:
 * outside this copy's Content Security Policy, not answering, or answering with something that
 * is not a model (a web page: an SPA fallback, a relative path resolved the wrong way).
 */
import { connectAllowed } from '../domain/csp';
import { MODEL_CACHE } from './model-storage';

export type SourceProblem =
  | { key: 'errSourceBlocked'; params: { host: string } }
  | { key: 'errModelNotFound'; params: { model: string } }
  | { key: 'errNotAModelSource'; params: { url: string } }
  | { key: 'errSourceUnreachable'; params: { host: string } };

/** A base URL as typed or linked, resolved against the page (`models/` works like `./models/`); null if unusable. */
export function resolveBase(base: string, page: string): URL | null {
  try {
    const url = new URL(base.endsWith('/') ? base : `${base}/`, page);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}

/**
 * Where the speaker models are looked for, in order: `<base>/diarization/` of a self-hosted source
 * (beside its Whisper folders: its own copy wins), then the site's own `models/diarization/`,
 * which every build ships (public/models/diarization/; the Hub has no copy of these exact files).
 */
export function speakerModelBases(sourceKind: string, customBaseUrl: string, page: string): string[] {
  const custom = sourceKind === 'custom' ? resolveBase(customBaseUrl, page) : null;
  const own = new URL('models/diarization/', page).href;
  const theirs = custom ? new URL('diarization/', custom).href : null;
  return theirs && theirs !== own ? [theirs, own] : [own];
}

export async function checkModelSource(
  base: URL,
  modelId: string,
  options: { policy: string | null; pageOrigin: string; offline: boolean; signal?: AbortSignal },
): Promise<SourceProblem | null> {
  if (options.policy && !connectAllowed(options.policy, base.href, options.pageOrigin)) return { key: 'errSourceBlocked', params: { host: base.host } };
  if (options.offline && base.origin !== options.pageOrigin) return null; // nothing may be asked; the load says what is missing
  const config = new URL(`${modelId}/config.json`, base);
  // A model already on this device was good when it came: no request (a second load, and
  // offline use, make none).
  if (typeof caches !== 'undefined' && (await (await caches.open(MODEL_CACHE)).match(config.href))) return null;
  let response: Response;
  try {
    response = await fetch(config, { signal: options.signal, cache: 'no-store' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    return { key: 'errSourceUnreachable', params: { host: base.host } };
  }
  if (response.status === 404) return { key: 'errModelNotFound', params: { model: modelId } };
  const body = await response.text();
  try {
    const json = JSON.parse(body) as { model_type?: unknown };
    if (response.ok && typeof json.model_type === 'string') return null;
  } catch {
    /* not JSON: below */
  }
  return { key: 'errNotAModelSource', params: { url: config.href } };
}
