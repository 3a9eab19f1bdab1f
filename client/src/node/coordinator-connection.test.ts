import { WORKER_NAMESPACE, jobIdSchema, newNodeId, parseWorkerToCoordinator } from '@tessera/shared';
import type { TaskSpec, VerifyAssign, VerifyCancel, VerifyEvidence, WorkerToCoordinatorMessage } from '@tessera/shared';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import type { Socket as ServerSocket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { ephemeralTabIdentity } from '../identity/tab-identity.ts';
import { CoordinatorConnection } from './coordinator-connection.ts';

/** A real socket.io server on loopback standing in for the coordinator's worker gateway. */
async function startGateway(): Promise<{ origin: string; received: WorkerToCoordinatorMessage[]; tab: Promise<ServerSocket>; close: () => Promise<void> }> {
  const http = createServer();
  const io = new Server(http);
  const received: WorkerToCoordinatorMessage[] = [];
  const tab = new Promise<ServerSocket>((resolve) => {
    io.of(WORKER_NAMESPACE).on('connection', (socket) => {
      socket.onAny((event: string, ...args: unknown[]) => {
        const parsed = parseWorkerToCoordinator(event, args);
        if (!parsed.ok) throw new Error(`the tab sent an invalid ${event}: ${parsed.reason}`);
        received.push(parsed.message);
      });
      resolve(socket);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { origin: `http://127.0.0.1:${address.port}`, received, tab, close: () => new Promise((resolve) => void io.close(() => resolve())) };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('CoordinatorConnection over a real socket.io link', () => {
  it('says hello with its public key, learns its node id, and carries the guard events both ways', async () => {
    const gateway = await startGateway();
    const identity = await ephemeralTabIdentity();
    const assigns: VerifyAssign[] = [];
    const cancels: VerifyCancel[] = [];
    const connection = new CoordinatorConnection({
      origin: gateway.origin,
      hello: () => ({
        role: 'guard',
        publicKey: identity.publicKey,
        capabilities: { userAgent: 'test', hardwareConcurrency: 2, gpu: null, backends: ['wasm'], engines: ['transformers'], models: [], benchmarkTokensPerSecond: null, maxConcurrentTasks: 1 },
      }),
      heartbeat: () => ({ activeTaskIds: [], models: [] }),
      onAssign: () => undefined,
      onCancel: () => undefined,
      onVerifyAssign: (assign) => assigns.push(assign),
      onVerifyCancel: (cancel) => cancels.push(cancel),
    });
    cleanup = async () => {
      connection.close();
      await gateway.close();
    };
    connection.connect();
    const tab = await gateway.tab;

    await until(() => gateway.received.length > 0);
    expect(gateway.received[0]).toMatchObject({ event: 'worker:hello', payload: { role: 'guard', publicKey: identity.publicKey } });

    expect(connection.nodeId).toBeNull();
    const nodeId = newNodeId();
    tab.emit('worker:welcome', { nodeId, heartbeatIntervalMs: 60_000, leaseMs: 30_000, iceServers: [], directStreamKey: 'k'.repeat(22) });
    await until(() => connection.nodeId === nodeId);

    const jobId = jobIdSchema.parse(crypto.randomUUID());
    const task: TaskSpec = { kind: 'embeddings', model: 'tessera/tiny-bert', texts: ['a'] };
    // An assignment that does not parse is ignored; the valid one arrives parsed.
    tab.emit('verify:assign', { jobId: 'not-a-uuid', leaseMs: 1000, task, claim: { kind: 'embeddings', vectors: [[1]] } });
    tab.emit('verify:assign', { jobId, leaseMs: 1000, task, claim: { kind: 'embeddings', vectors: [[1]] } });
    tab.emit('verify:cancel', { jobId, reason: 'the task was cancelled' });
    await until(() => cancels.length === 1);
    expect(assigns.map((assign) => assign.jobId)).toEqual([jobId]);

    const evidence: VerifyEvidence = { kind: 'embeddings', cosines: [1] };
    const signature = await identity.sign(new Uint8Array([1]));
    connection.verdict({ jobId, verdict: 'valid', reason: 'matches the guard', evidence, signature });
    // A verdict the coordinator would refuse goes out as the failed check it is.
    connection.verdict({ jobId, verdict: 'valid', reason: 'x'.repeat(501), evidence, signature });
    await until(() => gateway.received.length === 3);
    expect(gateway.received.slice(1)).toEqual([
      { event: 'verify:verdict', payload: { jobId, verdict: 'valid', reason: 'matches the guard', evidence, signature } },
      { event: 'verify:error', payload: { jobId, code: 'inference_failed', message: expect.stringContaining('invalid verdict') } },
    ]);

    tab.disconnect(true);
    await until(() => connection.nodeId === null);
  });
});
