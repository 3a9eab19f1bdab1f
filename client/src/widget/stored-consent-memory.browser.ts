import { VisitConsentMemory, type ConsentMemory } from './consent-memory.ts';

/**
 * Consent kept in the frame's `localStorage`, one entry per embedding site. The browser partitions a
 * third-party frame's storage by the top-level site, so only this frame, on this site, ever reads it: the
 * host page cannot write it (another origin) and another site's frame does not see it. Where the browser
 * gives the frame no storage at all, consent lasts for the visit (`VisitConsentMemory`).
 */
export function consentMemoryFor(pageOrigin: string | null): ConsentMemory {
  const storage = usableLocalStorage();
  if (storage === null) return new VisitConsentMemory();
  const key = `tessera-widget-consent:${pageOrigin ?? 'unknown'}`;
  return {
    remembered: () => storage.getItem(key) === 'granted',
    remember: () => {
      try {
        storage.setItem(key, 'granted');
        return true;
      } catch {
        return false;
      }
    },
    forget: () => storage.removeItem(key),
  };
}

function usableLocalStorage(): Storage | null {
  try {
    const probe = 'tessera-widget-probe';
    localStorage.setItem(probe, '1');
    localStorage.removeItem(probe);
    return localStorage;
  } catch {
    return null;
  }
}
