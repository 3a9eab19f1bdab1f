/**
 * Simulated tabs, as the benchmark's child process: real socket.io-client sockets on the `/worker`
 * namespace speaking the tab protocol, each with its own Ed25519 key. Every tab answers the coordinator's
 * known-answer check on join, as a real tab would. Then `answer` tabs reply to each `task:assign` with a
 * signed `task:result` at once (no accept, no chunks), and `idle` tabs only answer engine.io pings (which
 * socket.io-client does by itself). With `heartbeats`, tabs also send `worker:heartbeat` like real ones.
 * Lighter than the tests' ScriptedTab: no parsing or recording of every message, which would take CPU
 * from the coordinator on a small machine. Run by `routing-bench.ts`; not meant to be started by hand.
 */
import { sign } from 'node:crypto';
import { MODEL_CATALOG, PROTOCOL_VERSION, WORKER_NAMESPACE, findModel, resultSigningBytes, toBase64Url } from '@tessera/shared';
import type {
  CoordinatorToWorkerEvents,
  NodeId,
  TaskAssign,
  TaskOutput,
  TaskUsage,
  WorkerHello,
  WorkerToCoordinatorEvents,
} from '@tessera/shared';
import { io, type Socket } from 'socket.io-client';
import { canaryAsked, capabilitiesFor, isCanary, loaded, newIdentity, type TabIdentity } from '../test/support/scripted-tab.ts';
import { chatOutput } from '../test/support/tiny-tokens.ts';
import { tabsCommandSchema, type TabsCommand, type TabsReply } from './bench-messages.ts';

type TabSocket = Socket<CoordinatorToWorkerEvents, WorkerToCoordinatorEvents>;
type ConnectCommand = Extract<TabsCommand, { type: 'connect' }>;

interface Tab {
  socket: TabSocket;
  /** The coordinator it connected to. */
  url: string;
  identity: TabIdentity;
  nodeId: NodeId | undefined;
}

const tabs: Tab[] = [];
/** A one-token answer with its real token id: the coordinator counts every result's tokens itself. */
const ONE_TOKEN = chatOutput('Tessera');
if (ONE_TOKEN.tokenIds.length !== 1) throw new Error(`'Tessera' is ${ONE_TOKEN.tokenIds.length} tokens of the tiny model, not one`);
const counts = { answered: 0, canaries: 0, protocolErrors: 0 };
const answeredByUrl: Record<string, number> = {};
/** Ids of the tasks answered, by coordinator URL: which instance's tab served each task. */
const taskIdsByUrl: Record<string, string[]> = {};
let firstProtocolError: string | null = null;

function reply(message: TabsReply): void {
  process.send?.(message);
}

function sendResult(tab: Tab, assign: TaskAssign, output: TaskOutput, usage: TaskUsage, startedAt: number): void {
  if (tab.nodeId === undefined) return;
  const signature = toBase64Url(
    sign(null, resultSigningBytes({ nodeId: tab.nodeId, taskId: assign.taskId, output, usage }), tab.identity.privateKey),
  );
  tab.socket.emit('task:result', {
    taskId: assign.taskId,
    output,
    usage,
    timings: { firstTokenMs: 0, totalMs: performance.now() - startedAt },
    signature,
  });
}

/** The known answer, exactly as the model would give it. */
function answerCanary(tab: Tab, assign: TaskAssign): void {
  const startedAt = performance.now();
  const canary = canaryAsked(assign);
  if (canary?.kind !== 'chat') return;
  counts.canaries++;
  const output = chatOutput(canary.expectedCompletion, canary.finishReason);
  sendResult(tab, assign, output, { promptTokens: 1, completionTokens: output.tokenIds.length }, startedAt);
}

/** The smallest honest answer to a one-token chat task. */
function answer(tab: Tab, assign: TaskAssign): void {
  const startedAt = performance.now();
  counts.answered++;
  answeredByUrl[tab.url] = (answeredByUrl[tab.url] ?? 0) + 1;
  (taskIdsByUrl[tab.url] ??= []).push(assign.taskId);
  sendResult(tab, assign, ONE_TOKEN, { promptTokens: 1, completionTokens: 1 }, startedAt);
}

/** Heartbeats at the coordinator's interval, each tab at its own random phase. Answering tabs hold no task between messages. */
function sendHeartbeats(socket: TabSocket, hello: WorkerHello, intervalMs: number): void {
  const beat = (): void => {
    socket.emit('worker:heartbeat', { activeTaskIds: [], models: hello.capabilities.models });
  };
  let timer: NodeJS.Timeout = setTimeout(() => {
    beat();
    timer = setInterval(beat, intervalMs);
  }, Math.random() * intervalMs);
  socket.once('disconnect', () => clearTimeout(timer));
}

/** Opens one tab; resolves once it is welcomed and, where the model has one, has answered its known-answer check. */
function openTab(command: ConnectCommand, url: string, localAddress: string | undefined): Promise<Tab> {
  const identity = newIdentity();
  const hello: WorkerHello = {
    protocolVersion: PROTOCOL_VERSION,
    role: 'worker',
    publicKey: identity.publicKey,
    // The bench coordinator asks for 0 bits (routing-bench.ts), which any nonce meets: 20,000 tabs connect
    // in seconds, and the routing figures stay about routing. The proof's cost is `npm run bench:verify`'s.
    identityProof: 0,
    capabilities: { ...capabilitiesFor([loaded(command.model)], command.maxConcurrentTasks), userAgent: 'tessera-bench-tab' },
  };
  const hasCanary = (findModel(MODEL_CATALOG, command.model)?.knownAnswers.length ?? 0) > 0;
  // `localAddress` reaches the ws transport but is missing from socket.io-client's option types.
  const options = {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 60_000,
    ...(localAddress === undefined ? {} : { localAddress }),
  };
  const socket: TabSocket = io(`${url}${WORKER_NAMESPACE}`, options);
  const tab: Tab = { socket, url, identity, nodeId: undefined };
  return new Promise((resolve, reject) => {
    let ready = false;
    const fail = (error: Error): void => {
      clearTimeout(giveUp);
      socket.disconnect();
      reject(error);
    };
    const becomeReady = (): void => {
      clearTimeout(giveUp);
      ready = true;
      resolve(tab);
    };
    const giveUp = setTimeout(() => fail(new Error('not welcomed and checked within 60 s')), 60_000);
    socket.once('connect_error', fail);
    socket.once('connect', () => socket.emit('worker:hello', hello));
    socket.on('protocol:error', (problem) => {
      counts.protocolErrors++;
      firstProtocolError ??= `${problem.event}: ${problem.error.message}`;
      if (!ready) fail(new Error(`refused: ${problem.error.message}`));
    });
    socket.once('worker:welcome', (welcome) => {
      tab.nodeId = welcome.nodeId;
      if (command.heartbeats) sendHeartbeats(socket, hello, welcome.heartbeatIntervalMs);
      if (!hasCanary) becomeReady();
    });
    socket.on('task:assign', (assign) => {
      if (isCanary(assign)) {
        answerCanary(tab, assign);
        becomeReady();
      } else if (command.mode === 'answer') {
        answer(tab, assign);
      }
    });
  });
}

async function connect(command: ConnectCommand): Promise<TabsReply> {
  const startedAt = performance.now();
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const outOfTime = (): boolean => command.budgetMs > 0 && performance.now() - startedAt > command.budgetMs;
  const runner = async (): Promise<void> => {
    while (next < command.count && !outOfTime()) {
      const index = next++;
      const address = command.localAddresses.length === 0 ? undefined : command.localAddresses[index % command.localAddresses.length];
      const url = command.urls[index % command.urls.length] ?? '';
      try {
        tabs.push(await openTab(command, url, address));
      } catch (error) {
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.parallel, command.count) }, runner));
  const skipped = command.count - next;
  return { type: 'connected', connected: next - failed, failed, skipped, elapsedMs: performance.now() - startedAt, firstError };
}

function handle(command: TabsCommand): Promise<TabsReply> | TabsReply {
  switch (command.type) {
    case 'connect':
      return connect(command);
    case 'stats':
      return {
        type: 'stats',
        open: tabs.filter((tab) => tab.socket.connected).length,
        ...counts,
        answeredByUrl,
        ...(command.taskIds === true ? { taskIdsByUrl } : {}),
        firstProtocolError,
        rssBytes: process.memoryUsage().rss,
      };
    case 'disconnect':
      for (const tab of tabs.splice(0)) tab.socket.disconnect();
      return { type: 'disconnected' };
  }
}

process.on('message', (raw: unknown) => {
  const parsed = tabsCommandSchema.safeParse(raw);
  if (!parsed.success) {
    reply({ type: 'error', message: `bad command: ${parsed.error.message}` });
    return;
  }
  Promise.resolve(handle(parsed.data)).then(reply, (error: unknown) =>
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
