import { Server, ServerCredentials, status as GrpcStatus, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { proto } from '@hashgraph/proto';
import { createHash, createPublicKey, verify } from 'node:crypto';

/** A message the stand-in accepted: it reached "consensus" with this sequence number. */
export interface StandInMessage {
  sequence: number;
  transactionId: string;
  topicId: string;
  message: Buffer;
  /** SHA-384 over the previous running hash and this message (a stand-in for HCS's running hash). */
  runningHash: Buffer;
}

/**
 * What the next submissions meet, in order: `busy` (precheck BUSY, nothing recorded), `lose-answer` (the
 * message lands, then the call fails as if the connection dropped), `unavailable` (the call fails, nothing lands).
 */
export type StandInFault = 'busy' | 'lose-answer' | 'unavailable';

export interface HcsStandInOptions {
  topicId: string;
  /** The payer every transaction must name, and whose ED25519 key must sign it. */
  operatorId: string;
  operatorPublicKeyRaw: Uint8Array;
  /** The node's account; transactions must be addressed to it. */
  nodeAccountId?: string;
  now?: () => number;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const Code = proto.ResponseCodeEnum;

const raw = {
  requestSerialize: (value: Buffer) => value,
  requestDeserialize: (value: Buffer) => value,
  responseSerialize: (value: Buffer) => value,
  responseDeserialize: (value: Buffer) => value,
  requestStream: false,
  responseStream: false,
} as const;

type Uint64 = NonNullable<proto.ITransactionReceipt['topicSequenceNumber']>;

/** protobufjs writes a uint64 field from a plain number as well as from a Long; its typings name only Long. */
function uint64(value: number): Uint64 {
  return value as unknown as Uint64;
}

type Unary = (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => void;

function entityId(id: proto.IAccountID | proto.ITopicID | null | undefined, field: 'accountNum' | 'topicNum'): string {
  const record = id as Record<string, unknown> | null | undefined;
  return `${String(record?.shardNum ?? 0)}.${String(record?.realmNum ?? 0)}.${String(record?.[field] ?? 0)}`;
}

function transactionIdText(id: proto.ITransactionID | null | undefined): string {
  const seconds = String(id?.transactionValidStart?.seconds ?? 0);
  const nanos = String(id?.transactionValidStart?.nanos ?? 0).padStart(9, '0');
  return `${entityId(id?.accountID, 'accountNum')}@${seconds}.${nanos}`;
}

/**
 * A Hedera consensus node on loopback, as far as publishing a topic message goes: the gRPC services
 * `proto.ConsensusService/submitMessage` and `proto.CryptoService/getTransactionReceipts` that
 * `@hashgraph/sdk` calls (`Client.forNetwork({ [standIn.address]: '0.0.3' })`), decoded with the
 * `@hashgraph/proto` definitions. It checks what a node checks before accepting: the body is a topic
 * message for the expected topic, paid by the operator and addressed to this node, signed by the
 * operator's key over the body bytes, within its valid window, and not a transaction id it has seen.
 */
export class HcsStandIn {
  readonly messages: StandInMessage[] = [];
  /** Every refused submission: transaction id and precheck code name. */
  readonly refusals: Array<{ transactionId: string; code: string }> = [];
  readonly faults: StandInFault[] = [];
  submissions = 0;
  readonly #options: HcsStandInOptions;
  readonly #server = new Server();
  readonly #receipts = new Map<string, StandInMessage>();
  #runningHash = Buffer.alloc(48);
  #port = 0;

  private constructor(options: HcsStandInOptions) {
    this.#options = options;
    const submitMessage: Unary = (call, callback) => this.#submit(call.request, callback);
    const getTransactionReceipts: Unary = (call, callback) => callback(null, this.#receipt(call.request));
    this.#server.addService(
      { submitMessage: { path: '/proto.ConsensusService/submitMessage', originalName: 'submitMessage', ...raw } },
      { submitMessage },
    );
    this.#server.addService(
      { getTransactionReceipts: { path: '/proto.CryptoService/getTransactionReceipts', originalName: 'getTransactionReceipts', ...raw } },
      { getTransactionReceipts },
    );
  }

  static async start(options: HcsStandInOptions): Promise<HcsStandIn> {
    const standIn = new HcsStandIn(options);
    standIn.#port = await new Promise<number>((resolve, reject) =>
      standIn.#server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    return standIn;
  }

  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** For `Client.forNetwork` and `TESSERA_HEDERA_NODES`. */
  get network(): Record<string, string> {
    return { [this.address]: this.#options.nodeAccountId ?? '0.0.3' };
  }

  /** The accepted messages of one topic, decoded as UTF-8. */
  texts(): string[] {
    return this.messages.map((entry) => entry.message.toString('utf8'));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.tryShutdown(() => resolve()));
  }

  #submit(request: Buffer, callback: sendUnaryData<Buffer>): void {
    this.submissions++;
    const fault = this.faults.shift();
    if (fault === 'unavailable') return callback({ code: GrpcStatus.UNAVAILABLE, details: 'stand-in: unavailable' });
    if (fault === 'busy') return callback(null, this.#precheck(Code.BUSY));
    const outcome = this.#check(request);
    if (typeof outcome === 'number') return callback(null, this.#precheck(outcome));
    this.#runningHash = createHash('sha384').update(this.#runningHash).update(outcome.message).digest();
    outcome.runningHash = this.#runningHash;
    this.messages.push(outcome);
    this.#receipts.set(outcome.transactionId, outcome);
    if (fault === 'lose-answer') return callback({ code: GrpcStatus.UNAVAILABLE, details: 'stand-in: answer lost' });
    callback(null, this.#precheck(Code.OK));
  }

  /** The accepted message, or the precheck code a node would answer. */
  #check(request: Buffer): StandInMessage | proto.ResponseCodeEnum {
    const transaction = proto.Transaction.decode(request);
    if (transaction.signedTransactionBytes.length === 0) return this.#refuse('?', Code.INVALID_TRANSACTION);
    const signed = proto.SignedTransaction.decode(transaction.signedTransactionBytes);
    const body = proto.TransactionBody.decode(signed.bodyBytes);
    const transactionId = transactionIdText(body.transactionID);
    const submit = body.consensusSubmitMessage;
    if (submit === null || submit === undefined) return this.#refuse(transactionId, Code.INVALID_TRANSACTION_BODY);
    if (entityId(body.transactionID?.accountID, 'accountNum') !== this.#options.operatorId) {
      return this.#refuse(transactionId, Code.PAYER_ACCOUNT_NOT_FOUND);
    }
    if (entityId(body.nodeAccountID, 'accountNum') !== (this.#options.nodeAccountId ?? '0.0.3')) {
      return this.#refuse(transactionId, Code.INVALID_NODE_ACCOUNT);
    }
    const topicId = entityId(submit.topicID, 'topicNum');
    if (topicId !== this.#options.topicId) return this.#refuse(transactionId, Code.INVALID_TOPIC_ID);
    if (!this.#signedByOperator(signed)) return this.#refuse(transactionId, Code.INVALID_SIGNATURE);
    const validStartMs = Number(body.transactionID?.transactionValidStart?.seconds ?? 0) * 1000;
    const validForMs = Number(body.transactionValidDuration?.seconds ?? 0) * 1000;
    const now = (this.#options.now ?? Date.now)();
    if (now > validStartMs + validForMs) return this.#refuse(transactionId, Code.TRANSACTION_EXPIRED);
    if (this.#receipts.has(transactionId)) return this.#refuse(transactionId, Code.DUPLICATE_TRANSACTION);
    return {
      sequence: this.messages.length + 1,
      transactionId,
      topicId,
      message: Buffer.from(submit.message ?? []),
      runningHash: Buffer.alloc(0),
    };
  }

  #signedByOperator(signed: proto.SignedTransaction): boolean {
    const operatorKey = Buffer.from(this.#options.operatorPublicKeyRaw);
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, operatorKey]), format: 'der', type: 'spki' });
    return (signed.sigMap?.sigPair ?? []).some((pair) => {
      const prefix = Buffer.from(pair.pubKeyPrefix ?? []);
      if (pair.ed25519 === null || pair.ed25519 === undefined || !operatorKey.subarray(0, prefix.length).equals(prefix)) return false;
      return verify(null, signed.bodyBytes, key, pair.ed25519);
    });
  }

  #refuse(transactionId: string, code: proto.ResponseCodeEnum): proto.ResponseCodeEnum {
    this.refusals.push({ transactionId, code: Code[code] });
    return code;
  }

  #precheck(code: proto.ResponseCodeEnum): Buffer {
    return Buffer.from(proto.TransactionResponse.encode({ nodeTransactionPrecheckCode: code }).finish());
  }

  #receipt(request: Buffer): Buffer {
    const query = proto.Query.decode(request);
    const transactionId = transactionIdText(query.transactionGetReceipt?.transactionID);
    const found = this.#receipts.get(transactionId);
    const header = { nodeTransactionPrecheckCode: found === undefined ? Code.RECEIPT_NOT_FOUND : Code.OK };
    const receipt =
      found === undefined
        ? undefined
        : {
            status: Code.SUCCESS,
            topicSequenceNumber: uint64(found.sequence),
            topicRunningHash: found.runningHash,
            topicRunningHashVersion: uint64(3),
          };
    return Buffer.from(proto.Response.encode({ transactionGetReceipt: { header, receipt } }).finish());
  }
}
