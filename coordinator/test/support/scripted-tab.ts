import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  MODEL_CATALOG,
  PROTOCOL_VERSION,
  WORKER_NAMESPACE,
  findModel,
  knownAnswerAsked,
  parseCoordinatorToWorker,
  resultSigningBytes,
  toBase64Url,
  verdictSigningBytes,
} from '@tessera/shared';
import type {
  Capabilities,
  EmbeddedIn,
  CoordinatorToWorkerEvents,
  KnownAnswer,
  CoordinatorToWorkerMessage,
  OfferedModel,
  TaskAssign,
  TaskId,
  TaskOutput,
  TaskUsage,
  Verdict,
  VerifyAssign,
  VerifyEvidence,
  WorkerRole,
  WorkerToCoordinatorEvents,
  WorkerWelcome,
} from '@tessera/shared';
import { io, type Socket } from 'socket.io-client';
import { proveIdentity } from './identity-proofs.ts';
import { chatOutput } from './tiny-tokens.ts';

export type ScriptedTabSocket = Socket<CoordinatorToWorkerEvents, WorkerToCoordinatorEvents>;
/** What a scripted tab does with an assignment: answer through the tab it is given, or not at all. */
export type AssignmentHandler = (assign: TaskAssign, tab: ScriptedTab) => unknown;
export type VerifyHandler = (assign: VerifyAssign, tab: ScriptedTab) => unknown;

/** An Ed25519 identity: what a tab keeps in IndexedDB. Reuse one to reconnect as the same tab. */
export interface TabIdentity {
  publicKey: string;
  privateKey: KeyObject;
}

export function newIdentity(): TabIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('no raw key in JWK');
  return { publicKey: jwk.x, privateKey };
}

export interface ScriptedTabOptions {
  url: string;
  models: readonly OfferedModel[];
  role?: WorkerRole;
  maxConcurrentTasks?: number;
  identity?: TabIdentity;
  onAssign?: AssignmentHandler;
  onVerify?: VerifyHandler;
  /** Answer the coordinator's known-answer check correctly (default), or hand it to `onAssign`. */
  passCanary?: boolean;
  /**
   * The `identityProof` nonce to say in `worker:hello`: by default a real one, for the bits the coordinator
   * asks (requesters send none, as pages do); a number sends that nonce, null sends none (hostile tabs).
   */
  identityProof?: number | null;
  /** Extra handshake headers, e.g. `x-forwarded-for` behind a coordinator that trusts loopback as its proxy. */
  headers?: Record<string, string>;
  /** Say what a widget frame says: the page it runs in and its site key (`capabilities.embeddedIn`). */
  embeddedIn?: EmbeddedIn;
}

export function capabilitiesFor(models: readonly OfferedModel[], maxConcurrentTasks = 1): Capabilities {
  return {
    userAgent: 'tessera-scripted-tab',
    hardwareConcurrency: 2,
    gpu: null,
    backends: ['wasm'],
    engines: ['transformers'],
    models: [...models],
    benchmarkTokensPerSecond: null,
    maxConcurrentTasks,
  };
}

/** The known answer an assignment asks for, if it is a known-answer check of its model (any of the catalog's). */
export function canaryAsked(assign: TaskAssign): KnownAnswer | undefined {
  return knownAnswerAsked(findModel(MODEL_CATALOG, assign.task.model)?.knownAnswers ?? [], assign.task);
}

/** Whether an assignment is a known-answer check of its model. */
export function isCanary(assign: TaskAssign): boolean {
  return canaryAsked(assign) !== undefined;
}

/**
 * A Node socket.io client speaking the real tab protocol, with a real Ed25519 key, and scripted answers:
 * honest, slow, silent or hostile. Used by coordinator tests and the benchmarks.
 */
export class ScriptedTab {
  readonly socket: ScriptedTabSocket;
  readonly identity: TabIdentity;
  readonly received: CoordinatorToWorkerMessage[] = [];
  welcome: WorkerWelcome | undefined;
  readonly #welcomed: Promise<WorkerWelcome>;

  constructor(private readonly options: ScriptedTabOptions) {
    this.identity = options.identity ?? newIdentity();
    this.socket = io(`${options.url}${WORKER_NAMESPACE}`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(options.headers === undefined ? {} : { extraHeaders: options.headers }),
    });
    const role = options.role ?? 'worker';
    const proof =
      options.identityProof !== undefined || role === 'requester'
        ? Promise.resolve(options.identityProof ?? null)
        : proveIdentity(options.url, this.identity.publicKey);
    this.#welcomed = new Promise((resolve, reject) => {
      proof.catch(reject);
      this.socket.on('connect_error', reject);
      this.socket.onAny((event: unknown, ...args: unknown[]) => {
        const parsed = parseCoordinatorToWorker(event, args);
        if (!parsed.ok) throw new Error(`coordinator sent an invalid ${String(event)}: ${parsed.reason}`);
        const message = parsed.message;
        this.received.push(message);
        if (message.event === 'worker:welcome') {
          this.welcome = message.payload;
          resolve(message.payload);
        } else if (message.event === 'task:assign') {
          if ((options.passCanary ?? true) && isCanary(message.payload)) this.answerCanary(message.payload);
          else void options.onAssign?.(message.payload, this);
        } else if (message.event === 'verify:assign') {
          void options.onVerify?.(message.payload, this);
        }
      });
    });
    this.socket.on('connect', () => {
      void proof.then((identityProof) =>
        this.socket.emit('worker:hello', {
          protocolVersion: PROTOCOL_VERSION,
          role,
          publicKey: this.identity.publicKey,
          capabilities: {
            ...capabilitiesFor(options.models, options.maxConcurrentTasks),
            ...(options.embeddedIn === undefined ? {} : { embeddedIn: options.embeddedIn }),
          },
          ...(identityProof === null ? {} : { identityProof }),
        }),
      );
    });
  }

  /** Resolves once the coordinator welcomed the tab. */
  ready(): Promise<WorkerWelcome> {
    return this.#welcomed;
  }

  get nodeId(): WorkerWelcome['nodeId'] {
    if (this.welcome === undefined) throw new Error('not welcomed yet');
    return this.welcome.nodeId;
  }

  signResult(taskId: TaskId, output: TaskOutput, usage: TaskUsage): string {
    return toBase64Url(sign(null, resultSigningBytes({ nodeId: this.nodeId, taskId, output, usage }), this.identity.privateKey));
  }

  /** Sends a signed result (a hostile script can sign anything it likes, or use `socket` directly). */
  sendResult(
    taskId: TaskId,
    output: TaskOutput,
    usage: TaskUsage = { promptTokens: 1, completionTokens: output.kind === 'chat' ? output.tokenIds.length : 0 },
  ): void {
    this.socket.emit('task:result', {
      taskId,
      output,
      usage,
      timings: { firstTokenMs: 1, totalMs: 2 },
      signature: this.signResult(taskId, output, usage),
    });
  }

  sendVerdict(jobId: VerifyAssign['jobId'], verdict: Verdict, evidence: VerifyEvidence, reason = 'scripted'): void {
    const signature = toBase64Url(
      sign(null, verdictSigningBytes({ nodeId: this.nodeId, jobId, verdict, evidence }), this.identity.privateKey),
    );
    this.socket.emit('verify:verdict', { jobId, verdict, reason, evidence, signature });
  }

  answerCanary(assign: TaskAssign): void {
    const canary = canaryAsked(assign);
    if (!canary) throw new Error('no canary');
    if (canary.kind === 'embeddings') {
      this.sendResult(assign.taskId, { kind: 'embeddings', vectors: [canary.expectedVector] }, { promptTokens: 1, completionTokens: 0 });
      return;
    }
    const output = chatOutput(canary.expectedCompletion, canary.finishReason);
    this.sendResult(assign.taskId, output, { promptTokens: 1, completionTokens: output.tokenIds.length });
  }

  close(): void {
    this.socket.disconnect();
  }
}

export function loaded(id: string): OfferedModel {
  return { id, state: 'loaded', backend: 'wasm' };
}
