import { TesseraError } from '@tessera/shared';
import { currentApiKey } from '../keys/api-key-auth.ts';
import type { ApiKeyStore } from '../keys/api-key-store.ts';
import { webhookAddressRefusal } from './public-address.ts';
import type { WebhookDeliveries } from './webhook-deliveries.ts';

/** A `webhook_url` the submit accepted, for the key that asked. */
export interface AcceptedWebhook {
  keyId: string;
  url: string;
}

export interface WebhookIntakeOptions {
  keys: Pick<ApiKeyStore, 'webhookSecret'>;
  deliveries: Pick<WebhookDeliveries, 'add'>;
  allowPrivate: boolean;
  now?: () => number;
}

/**
 * `webhook_url` on `POST /api/v1/tasks`. Only a caller with an API key may set one: the body is signed with
 * the key's secret (without a key there is nothing to sign with), and a key is someone the operator can
 * revoke, where an anonymous caller could make the coordinator POST to any URL. Unless the operator allows
 * it, the URL must reach the public internet only. Refused: 400 `webhook_url_refused`, before anything is stored.
 */
export class WebhookIntake {
  readonly #options: WebhookIntakeOptions;

  constructor(options: WebhookIntakeOptions) {
    this.#options = options;
  }

  async accept(url: string): Promise<AcceptedWebhook> {
    const key = currentApiKey();
    if (key === null)
      throw new TesseraError('webhook_url_refused', 'webhook_url needs an API key: send Authorization: Bearer tsra_….', 'webhook_url');
    if (this.#options.keys.webhookSecret(key.id) === null)
      throw new TesseraError(
        'webhook_url_refused',
        `The key ${key.prefix}… was made before webhooks and has no webhook secret; ask its operator for a new key.`,
        'webhook_url',
      );
    const refusal = await webhookAddressRefusal(new URL(url), this.#options.allowPrivate);
    if (refusal !== null)
      throw new TesseraError(
        'webhook_url_refused',
        `webhook_url is refused: ${refusal}. Webhooks go to public addresses only on this coordinator.`,
        'webhook_url',
      );
    return { keyId: key.id, url };
  }

  /** The task was stored: its webhook will be delivered when it ends. */
  register(taskId: string, webhook: AcceptedWebhook): void {
    this.#options.deliveries.add({ taskId, keyId: webhook.keyId, url: webhook.url }, (this.#options.now ?? Date.now)());
  }
}
