import { taskResultSchema, verifyVerdictSchema } from '@tessera/shared';
import type { WorkerToCoordinatorEvent, WorkerToCoordinatorEvents } from '@tessera/shared';
import type { PeerSignalChannel } from '../peer/peer-network.ts';
import type { VerifySink } from './guard-runner.ts';
import type { TaskSink } from './task-runner.ts';

/** What the sinks need of `CoordinatorConnection`: its typed `send`. */
export interface CoordinatorSender {
  send<E extends WorkerToCoordinatorEvent>(event: E, ...payload: Parameters<WorkerToCoordinatorEvents[E]>): void;
}

export interface ConnectionSinks {
  task: TaskSink;
  verify: VerifySink;
  peer: PeerSignalChannel;
}

/**
 * The coordinator link as the task runner, the guard runner and the peer layer each see it. A result or
 * verdict the coordinator would refuse (too long, wrong shape) goes out as the error it is instead, so the
 * coordinator learns at once why the task failed rather than waiting out the lease.
 */
export function connectionSinks(sender: CoordinatorSender): ConnectionSinks {
  const task: TaskSink = {
    accept: (payload) => sender.send('task:accept', payload),
    chunk: (payload) => sender.send('task:chunk', payload),
    result: (payload) => {
      const checked = taskResultSchema.safeParse(payload);
      if (checked.success) return sender.send('task:result', checked.data);
      const reason = checked.error.issues[0]?.message ?? 'invalid result';
      task.error({
        taskId: payload.taskId,
        code: 'inference_failed',
        message: `The engine produced an invalid result: ${reason}`,
        retryable: true,
      });
    },
    error: (payload) => sender.send('task:error', payload),
  };
  const verify: VerifySink = {
    verdict: (payload) => {
      const checked = verifyVerdictSchema.safeParse(payload);
      if (checked.success) return sender.send('verify:verdict', checked.data);
      const reason = checked.error.issues[0]?.message ?? 'invalid verdict';
      verify.verifyError({ jobId: payload.jobId, code: 'inference_failed', message: `The guard produced an invalid verdict: ${reason}` });
    },
    verifyError: (payload) => sender.send('verify:error', payload),
  };
  const peer: PeerSignalChannel = {
    seekPeers: (payload) => sender.send('peer:seek', payload),
    signalPeer: (payload) => sender.send('peer:signal', payload),
    reportPeer: (payload) => sender.send('peer:report', payload),
  };
  return { task, verify, peer };
}
