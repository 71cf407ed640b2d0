/// <reference lib="webworker" />
/**
 * Earshot's service worker (built by vite-plugin-pwa, `injectManifest`).
 *
 * - Precaches the app shell, onnxruntime-web's wasm/glue, the capture worklet and the VAD model,
 *   so the app starts and transcribes with no network (models are cached separately by
 *   transformers.js in the Cache API).
 * - Serves every same-origin response with COOP/COEP/CORP headers: static hosts such as GitHub
 *   Pages cannot send them, and without them there is no SharedArrayBuffer, so no WASM threads
 *   (the "coi-serviceworker" technique). Before this worker controls the page the app still runs,
 *   single-threaded.
 * - Offline mode (a setting the page sends here): every request to another origin is refused.
 * - Updates wait: a new version is installed but takes over only when the page asks
 *   (`SKIP_WAITING`), which it does when the user presses "Reload" and nothing is running.
 */
import { cleanupOutdatedCaches, matchPrecache, precache } from 'workbox-precaching';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

precache(self.__WB_MANIFEST);
cleanupOutdatedCaches();

const SETTINGS_CACHE = 'earshot-sw-settings';
const OFFLINE_KEY = new URL('__earshot/offline-mode', self.registration.scope).href;
let offlineMode: boolean | null = null;

async function isOffline(): Promise<boolean> {
  if (offlineMode === null) {
    // The worker is stopped and restarted at will: the switch lives in a cache entry.
    const stored = await (await caches.open(SETTINGS_CACHE)).match(OFFLINE_KEY);
    offlineMode = stored ? (await stored.text()) === 'on' : false;
  }
  return offlineMode;
}

self.addEventListener('message', (event: ExtendableMessageEvent) => {
  const data = event.data as { type: string; on?: boolean } | null;
  if (data?.type === 'SKIP_WAITING') void self.skipWaiting();
  if (data?.type === 'OFFLINE_MODE') {
    offlineMode = !!data.on;
    event.waitUntil(caches.open(SETTINGS_CACHE).then((c) => c.put(OFFLINE_KEY, new Response(data.on ? 'on' : 'off'))));
  }
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function isolated(response: Response): Response {
  if (response.status === 0 || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function sameOrigin(request: Request): Promise<Response> {
  const precached =
    (await matchPrecache(request.url)) ??
    (request.mode === 'navigate' ? await matchPrecache(new URL('index.html', self.registration.scope).href) : undefined);
  return isolated(precached ?? (await fetch(request)));
}

self.addEventListener('fetch', (event: FetchEvent) => {
  const url = new URL(event.request.url);
  if (url.origin === self.location.origin) {
    if (event.request.method === 'GET') event.respondWith(sameOrigin(event.request));
    return;
  }
  // Another origin (a model source): untouched unless offline mode is on.
  if (offlineMode === false) return;
  event.respondWith(isOffline().then((off) => (off ? Response.error() : fetch(event.request))));
});
