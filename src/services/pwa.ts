/**
 * The service worker from the page's side (vite-plugin-pwa's registration helper): install,
 * "new version ready" (applied only when the user says so), "ready offline", and the offline-mode
 * switch, which the worker keeps so it holds across restarts.
 */
import { registerSW } from 'virtual:pwa-register';

const UPDATE_CHECK_MS = 60 * 60 * 1000;

export interface PwaHandlers {
  onNeedRefresh: () => void;
  onOfflineReady: () => void;
}

/** Returns `update()`: activate the waiting version and reload. */
export function startPwa(handlers: PwaHandlers): () => Promise<void> {
  if (!('serviceWorker' in navigator)) return async () => location.reload();
  const update = registerSW({
    immediate: true,
    onNeedRefresh: handlers.onNeedRefresh,
    onOfflineReady: handlers.onOfflineReady,
    // Browsers look for a new version only on navigation; a tab kept open for days (dictation,
    // a newsroom) asks once an hour too. It fetches sw.js from our own origin, nothing else.
    onRegisteredSW: (_url, registration) => {
      if (registration) setInterval(() => navigator.onLine && void registration.update().catch(() => {}), UPDATE_CHECK_MS);
    },
  });
  return () => update(true);
}

export async function setOfflineMode(on: boolean): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration();
  for (const worker of [registration?.active, registration?.waiting, registration?.installing]) worker?.postMessage({ type: 'OFFLINE_MODE', on });
}
