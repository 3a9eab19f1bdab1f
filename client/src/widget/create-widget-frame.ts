import { assertNever, parseWidgetSettings } from '@tessera/shared';
import type { WidgetAttribute } from '@tessera/shared';
import { createRewardsApi } from '../rewards/rewards-api.ts';
import { embeddingOrigin, openFrameBridge } from './frame-bridge.browser.ts';
import { watchPoliteness } from './politeness-signals.browser.ts';
import { consentMemoryFor } from './stored-consent-memory.browser.ts';
import { WidgetController } from './widget-controller.ts';
import { WidgetState } from './widget-state.svelte.ts';

/**
 * The widget frame's composition root: reads the settings the element put in the frame's URL, learns the
 * embedding page from the browser, and wires the controller to the bridge, the politeness signals, the
 * consent memory and (after consent, loaded then) the volunteer runtime. Components construct nothing.
 */
export function createWidgetFrame(): WidgetState {
  const query = new URLSearchParams(location.search);
  const { settings, warnings } = parseWidgetSettings((name: WidgetAttribute) => query.get(name));
  for (const warning of warnings) console.warn(`tessera widget: ${warning}`);
  const coordinatorOrigin = location.origin;
  const pageOrigin = embeddingOrigin();
  const embeddedIn = { pageOrigin, siteKey: settings.siteKey };
  const identityDatabase = `tessera-widget-identity:${pageOrigin ?? 'unknown'}`;
  const runtime = () => import('./widget-runtime.browser.ts');
  let controller: WidgetController | null = null;
  const notify = openFrameBridge(pageOrigin, (command) => {
    if (controller === null) return;
    switch (command.type) {
      case 'start':
        return void controller.start();
      case 'stop':
        return void controller.stop();
      case 'ask':
        return controller.ask(command.text, command.id);
      default:
        assertNever(command);
    }
  });
  const rewards = createRewardsApi(coordinatorOrigin);
  controller = new WidgetController({
    settings,
    consent: consentMemoryFor(pageOrigin),
    createNode: async () => (await runtime()).createWidgetNode({ settings, coordinatorOrigin, embeddedIn, identityDatabase }),
    chat: async (question, onDelta) => (await runtime()).askNetwork({ settings, coordinatorOrigin }, question, onDelta),
    earned: async (publicKey) => {
      const { balances } = await rewards.rewards(publicKey);
      return BigInt(balances.escrowed) + BigInt(balances.credited) + BigInt(balances.claimable) + BigInt(balances.claimed);
    },
    watchPoliteness,
    forgetEverything: async () => {
      const { forgetTabIdentity } = await import('../identity/identity-store.browser.ts');
      await forgetTabIdentity(identityDatabase).catch(() => undefined);
      // The engine worker, the key in memory and the model bytes go with the page.
      location.reload();
    },
    notify,
  });
  // A closing page offers the tab's tasks to neighbours; the coordinator requeues the rest.
  addEventListener('pagehide', () => void controller?.stop());
  return new WidgetState(controller, { coordinatorOrigin, pageOrigin });
}
