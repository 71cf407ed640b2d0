/**
 * The app's Content Security Policy, built into index.html at build time (a `<meta>`: static
 * hosts cannot send headers), and the check the app makes before it connects to a model source.
 *
 * `connect-src` allows only the app's own origin, the Hugging Face hub (and the storage hosts it
 * redirects file downloads to) and hf-mirror.com, plus origins the deployer lists at build time
 * (`EARSHOT_MODEL_ORIGINS`). A link such as `?models=https://elsewhere.example` therefore cannot
 * make the app contact a host the deployer did not choose.
 */
export const HUB_ORIGINS = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co', 'https://hf-mirror.com', 'https://*.hf-mirror.com'];

export function contentSecurityPolicy(extraModelOrigins: readonly string[] = []): string {
  return [
    "default-src 'self'",
    // WebAssembly (onnxruntime) needs 'wasm-unsafe-eval'; no inline or third-party scripts.
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    `connect-src 'self' ${[...HUB_ORIGINS, ...extraModelOrigins].join(' ')}`,
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "style-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
  ].join('; ');
}

/** Whether `policy`'s connect-src lets a page at `selfOrigin` fetch `url`. */
export function connectAllowed(policy: string, url: string, selfOrigin: string): boolean {
  const target = new URL(url, selfOrigin);
  const directives = policy.split(';').map((d) => d.trim().split(/\s+/));
  const sources = (directives.find((d) => d[0] === 'connect-src') ?? directives.find((d) => d[0] === 'default-src'))?.slice(1) ?? ['*'];
  return sources.some((source) => {
    if (source === '*') return true;
    if (source === "'self'") return target.origin === selfOrigin;
    if (source.startsWith("'")) return false;
    const m = /^(https?:)\/\/(\*\.)?([^/:]+)(:\d+)?/.exec(source);
    if (!m) return false;
    const [, scheme, wildcard, host, port] = m;
    if (target.protocol !== scheme) return false;
    if (port && target.port !== port.slice(1)) return false;
    if (!port && target.port) return false;
    return wildcard ? target.hostname.endsWith(`.${host}`) : target.hostname === host;
  });
}
