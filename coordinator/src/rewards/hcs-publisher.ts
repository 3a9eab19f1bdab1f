import {
  AccountId,
  Client,
  MaxAttemptsOrTimeoutError,
  PrecheckStatusError,
  PrivateKey,
  ReceiptStatusError,
  Status,
  TopicId,
  TopicMessageSubmitTransaction,
  Transaction,
  TransactionReceiptQuery,
} from '@hashgraph/sdk';
import type { HcsMirrorLookup } from './hcs-mirror-lookup.ts';

/** A topic message frozen and signed offline: kept before it is sent, so that every retry sends these same bytes. */
export interface PreparedHcsMessage {
  /** `0.0.payer@seconds.nanos`: Hedera accepts one transaction per id, so resending the bytes never posts twice. */
  transactionId: string;
  bytes: Uint8Array;
  /** When the network stops accepting it (valid start + valid duration), epoch ms. */
  validUntilMs: number;
}

/** What became of a prepared message. */
export type HcsSubmission =
  | { landed: true; sequence: string }
  /** Provably never reached consensus (expired, and not on the mirror node), or failed at consensus: prepare a new one. */
  | { landed: false; reason: string };

/**
 * Publishes epoch summaries to a Hedera Consensus Service topic: a public, timestamped record. Two steps so
 * the caller can keep the signed bytes first: `prepare` (offline) and `submit` (the network). `submit` throws
 * when the outcome is not known yet (nodes unreachable, receipt not in): try again later with the same bytes.
 */
export interface HcsPublisher {
  prepare(message: string): Promise<PreparedHcsMessage>;
  submit(prepared: PreparedHcsMessage): Promise<HcsSubmission>;
  close(): void;
}

export interface HcsOperator {
  /** `local`: the consensus nodes in `nodes` (a local node, a solo network, a test stand-in). */
  network: 'testnet' | 'mainnet' | 'local';
  /** For `local`: `{ 'host:port': '0.0.3' }`. */
  nodes?: Record<string, string>;
  operatorId: string;
  /** DER-encoded. Never logged. */
  operatorKey: string;
  topicId: string;
  /** Asked when a transaction expired without a receipt: did it land after all? Without one, such a transaction is never given up. */
  mirror?: HcsMirrorLookup;
  /** The whole of one SDK call (all its attempts); a later tick tries again. Default 30 s. */
  requestTimeoutMs?: number;
  /** Now, in epoch ms (tests). */
  now?: () => number;
}

/** Mirror nodes show a transaction seconds after consensus; past this, "not there" means it never landed. */
const MIRROR_LAG_MS = 60_000;
/** One message, one transaction: a chunked message could land in part. */
const MAX_MESSAGE_BYTES = 1024;

/** Statuses a node answers for a transaction id it has seen, or may still see: ask for the receipt. */
const IN_FLIGHT = new Set<Status>([Status.Ok, Status.DuplicateTransaction]);

/**
 * `HcsPublisher` with `@hashgraph/sdk`: freezes and signs with the operator key, submits the same bytes on
 * every retry, and reads the outcome from the receipt (or, after a long outage, from the mirror node).
 *
 * @example
 * const hcs = createSdkHcsPublisher({ network: 'local', nodes: { '127.0.0.1:50211': '0.0.3' }, operatorId, operatorKey, topicId });
 * const prepared = await hcs.prepare('{"epoch":1}');
 * const outcome = await hcs.submit(prepared);
 */
export function createSdkHcsPublisher(operator: HcsOperator): HcsPublisher {
  const client = clientFor(operator);
  const operatorKey = PrivateKey.fromStringDer(operator.operatorKey);
  client.setOperator(AccountId.fromString(operator.operatorId), operatorKey);
  // A transaction's id is what makes a resend harmless: never let the SDK swap it for a fresh one.
  client.setDefaultRegenerateTransactionId(false);
  const requestTimeoutMs = operator.requestTimeoutMs ?? 30_000;
  // One gRPC call must end before the whole request does (the SDK insists), so the deadline goes first.
  client.setGrpcDeadline(Math.min(10_000, requestTimeoutMs / 2));
  client.setRequestTimeout(requestTimeoutMs);
  client.setMaxAttempts(5);
  client.setMaxBackoff(2_000);
  // The settler is the retry loop: a node that failed once may be asked again at its next tick, not an hour later.
  client.setNodeMinBackoff(250);
  client.setNodeMaxBackoff(1_000);
  client.setNodeMinReadmitPeriod(250);
  client.setNodeMaxReadmitPeriod(1_000);
  const topicId = TopicId.fromString(operator.topicId);
  const now = operator.now ?? Date.now;

  const receiptOf = async (transaction: Transaction, timeoutMs?: number): Promise<HcsSubmission> => {
    const transactionId = transaction.transactionId;
    if (transactionId === null) throw new Error('the prepared HCS transaction has no id');
    try {
      const receipt = await new TransactionReceiptQuery().setTransactionId(transactionId).execute(client, timeoutMs);
      const sequence = receipt.topicSequenceNumber?.toString();
      if (sequence === undefined) throw new Error(`the receipt of ${transactionId.toString()} has no topic sequence number`);
      return { landed: true, sequence };
    } catch (error) {
      // It reached consensus and failed there (a wrong topic, no balance): that id is spent, a new one may succeed.
      if (error instanceof ReceiptStatusError) return { landed: false, reason: `failed at consensus: ${error.status.toString()}` };
      throw error;
    }
  };

  return {
    async prepare(message) {
      const bytes = new TextEncoder().encode(message);
      if (bytes.length > MAX_MESSAGE_BYTES)
        throw new Error(`HCS message of ${bytes.length} bytes: at most ${MAX_MESSAGE_BYTES} fit one transaction`);
      const transaction = await new TopicMessageSubmitTransaction()
        .setTopicId(topicId)
        .setMessage(bytes)
        .setMaxChunks(1)
        .freezeWith(client)
        .signWithOperator(client);
      const transactionId = transaction.transactionId;
      if (transactionId === null || transactionId.validStart === null) throw new Error('the SDK froze an HCS transaction without an id');
      return {
        transactionId: transactionId.toString(),
        bytes: transaction.toBytes(),
        validUntilMs: transactionId.validStart.toDate().getTime() + transaction.transactionValidDuration * 1000,
      };
    },

    async submit(prepared) {
      const transaction = Transaction.fromBytes(prepared.bytes);
      let precheck: Status = Status.Ok;
      try {
        await transaction.execute(client);
      } catch (error) {
        if (!(error instanceof PrecheckStatusError)) throw error;
        precheck = error.status;
      }
      if (IN_FLIGHT.has(precheck)) return receiptOf(transaction);
      if (precheck !== Status.TransactionExpired) throw new Error(`HCS submit refused: ${precheck.toString()}`);
      // Expired: it can only have landed within its valid window. A receipt says so while nodes keep it;
      // past that (or if the node cannot answer), the mirror node, which keeps everything, decides.
      try {
        // Nodes answer "no receipt" by retrying until the timeout: a quarter of a request's time is plenty.
        return await receiptOf(transaction, requestTimeoutMs / 4);
      } catch (error) {
        if (!(error instanceof MaxAttemptsOrTimeoutError)) throw error;
      }
      if (operator.mirror === undefined) {
        throw new Error(
          `HCS transaction ${prepared.transactionId} expired without a receipt; no mirror node to ask whether it landed (TESSERA_MIRROR_NODE_URL)`,
        );
      }
      if (now() < prepared.validUntilMs + MIRROR_LAG_MS) {
        throw new Error(
          `HCS transaction ${prepared.transactionId} expired without a receipt; asking the mirror node once it has caught up`,
        );
      }
      const found = await operator.mirror.find(prepared.transactionId);
      return found === null ? { landed: false, reason: 'expired; the mirror node has no record of it' } : { landed: true, sequence: found };
    },

    close() {
      client.close();
    },
  };
}

/** `127.0.0.1:50211=0.0.3,10.0.0.2:50211=0.0.4` (TESSERA_HEDERA_NODES) → `{ '127.0.0.1:50211': '0.0.3', … }`. */
export function parseHederaNodes(text: string): Record<string, string> {
  const nodes: Record<string, string> = {};
  for (const entry of text.split(',')) {
    const match = /^\s*([^\s=,]+:\d+)=(\d+\.\d+\.\d+)\s*$/.exec(entry);
    if (match?.[1] === undefined || match[2] === undefined) throw new Error(`not host:port=0.0.N: '${entry}'`);
    nodes[match[1]] = match[2];
  }
  return nodes;
}

function clientFor(operator: HcsOperator): Client {
  switch (operator.network) {
    case 'mainnet':
      return Client.forMainnet();
    case 'testnet':
      return Client.forTestnet();
    case 'local':
      if (operator.nodes === undefined || Object.keys(operator.nodes).length === 0) {
        throw new Error('TESSERA_HEDERA_NETWORK=local needs consensus nodes (TESSERA_HEDERA_NODES)');
      }
      return Client.forNetwork(operator.nodes, { scheduleNetworkUpdate: false });
  }
}
