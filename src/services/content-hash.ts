/**
 * What a file is, by content: SHA-256 of its bytes, so the same recording under another name
 * (or dropped again) is recognised, as server transcribers dedupe repeated uploads.
 *
 * WebCrypto has no incremental digest, and a 2 GB recording must not be read into memory at
 * once to be named: files over one slice are hashed as a two-level tree, the SHA-256 of the
 * SHA-256s of their 64 MiB slices. (A streaming library would give the flat digest, but nothing
 * outside the app compares these hashes; the native digest is ~10× faster than a WASM one.)
 */
const SLICE = 64 * 1024 * 1024;

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

export async function contentHash(file: Blob): Promise<string> {
  if (file.size <= SLICE) return hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
  const parts: Uint8Array[] = [];
  for (let at = 0; at < file.size; at += SLICE) parts.push(new Uint8Array(await crypto.subtle.digest('SHA-256', await file.slice(at, at + SLICE).arrayBuffer())));
  const all = new Uint8Array(parts.length * 32);
  parts.forEach((p, i) => all.set(p, i * 32));
  return `tree:${hex(await crypto.subtle.digest('SHA-256', all))}`;
}
