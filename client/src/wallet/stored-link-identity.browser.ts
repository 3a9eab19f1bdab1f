import type { IdentityMode } from '../identity/tab-identity.ts';
import { loadTabIdentity } from '../identity/identity-store.browser.ts';
import type { KeyRole } from '../identity/role-identity.ts';
import type { LinkIdentity } from './link-wallet.ts';

/** What the page knows of the tab's key: the `VolunteerNode` has this shape. */
export interface TabKeyHolder {
  readonly publicKey: string | null;
  readonly identityMode: IdentityMode | null;
  readonly identityError: string | null;
}

/**
 * The identity the volunteer runtime loaded, read again from IndexedDB (the runtime keeps its own
 * private). Only a persistent identity can be read back, and it must be the runtime's key: the one of the
 * tab's role (a guard tab's key is not its profile's worker key).
 */
export function storedLinkIdentity(holder: TabKeyHolder, role: KeyRole): () => Promise<LinkIdentity> {
  return async () => {
    if (holder.publicKey === null) throw new Error(holder.identityError ?? 'This tab has no key yet; wait a moment and try again.');
    if (holder.identityMode !== 'persistent') {
      throw new Error(
        'This page uses a key that is forgotten when it closes (identity=ephemeral, or a browser that cannot keep keys), so a wallet cannot be linked to it.',
      );
    }
    const { identity } = await loadTabIdentity('persistent', undefined, undefined, role);
    if (identity.publicKey !== holder.publicKey)
      throw new Error("This browser's stored key changed since the page loaded; reload the page and try again.");
    return identity;
  };
}
