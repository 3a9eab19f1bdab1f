import { AccountId, Client, PrivateKey, TopicId, TopicMessageSubmitTransaction } from '@hashgraph/sdk';

/** Publishes epoch summaries to a Hedera Consensus Service topic: a public, timestamped record. */
export interface HcsPublisher {
  /** Resolves with the topic sequence number, or null when publishing is not configured. */
  publish(message: string): Promise<string | null>;
}

export interface HcsOperator {
  network: 'testnet' | 'mainnet';
  operatorId: string;
  /** Never logged. */
  operatorKey: string;
  topicId: string;
}

export function createSdkHcsPublisher(operator: HcsOperator): HcsPublisher & { close(): void } {
  const client = operator.network === 'mainnet' ? Client.forMainnet() : Client.forTestnet();
  client.setOperator(AccountId.fromString(operator.operatorId), PrivateKey.fromStringDer(operator.operatorKey));
  return {
    async publish(message) {
      const response = await new TopicMessageSubmitTransaction()
        .setTopicId(TopicId.fromString(operator.topicId))
        .setMessage(message)
        .execute(client);
      const receipt = await response.getReceipt(client);
      return receipt.topicSequenceNumber?.toString() ?? null;
    },
    close() {
      client.close();
    },
  };
}

/** Used when no operator is configured: says so once per epoch and publishes nothing. */
export function createSkippingHcsPublisher(log: (message: string) => void): HcsPublisher {
  return {
    async publish() {
      log(
        'HCS epoch summary skipped: no Hedera operator configured (set TESSERA_HEDERA_OPERATOR_ID, TESSERA_HEDERA_OPERATOR_KEY and TESSERA_HCS_TOPIC_ID)',
      );
      return null;
    },
  };
}
