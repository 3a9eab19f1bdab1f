import { newNodeId, newTaskId } from '@tessera/shared';
import type { NodeId, TaskHandoff } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { HandoffPlanner, type HandoffNeighbours, type HeldTask } from './handoff-planner.ts';

const MODEL = 'tessera/tiny-gpt2';

interface FakeNeighbour {
  nodeId: NodeId;
  activeTasks: number;
  maxConcurrentTasks: number;
  models: string[];
}

/** The same rules as PeerNetwork.neighbourFor, over plain records. */
function neighbours(list: FakeNeighbour[]): HandoffNeighbours {
  return {
    neighbourFor(modelId, want, exclude, reserved) {
      return list.find((neighbour) => {
        if (exclude.has(neighbour.nodeId) || !neighbour.models.includes(modelId)) return false;
        const held = neighbour.activeTasks + (reserved.get(neighbour.nodeId) ?? 0);
        return want === 'idle' ? held === 0 : held < neighbour.maxConcurrentTasks;
      });
    },
  };
}

function setup(now = 10_000) {
  const sent: TaskHandoff[] = [];
  let clock = now;
  const planner = new HandoffPlanner({ send: (handoff) => sent.push(handoff), offerAfterMs: 250, now: () => clock });
  return { planner, sent, advance: (ms: number) => (clock += ms) };
}

function held(overrides: Partial<HeldTask> = {}): HeldTask {
  return { taskId: newTaskId(), model: MODEL, queued: true, since: 9_000, ...overrides };
}

describe('HandoffPlanner', () => {
  it('offers a task that waited long enough to a neighbour holding nothing, once', () => {
    const { planner, sent } = setup();
    const idle: FakeNeighbour = { nodeId: newNodeId(), activeTasks: 0, maxConcurrentTasks: 4, models: [MODEL] };
    const waited = held();
    expect(planner.offerWaiting([waited], neighbours([idle]))).toBe(1);
    expect(sent).toEqual([{ taskId: waited.taskId, to: idle.nodeId }]);
    // Not again while the coordinator has not answered.
    expect(planner.offerWaiting([waited], neighbours([idle]))).toBe(0);
    expect(planner.pending).toBe(1);
  });

  it('keeps running tasks, fresh ones, and tasks nobody idle serves', () => {
    const { planner, sent } = setup();
    const busy: FakeNeighbour = { nodeId: newNodeId(), activeTasks: 1, maxConcurrentTasks: 4, models: [MODEL] };
    const otherModel: FakeNeighbour = { nodeId: newNodeId(), activeTasks: 0, maxConcurrentTasks: 4, models: ['tessera/tiny-bert'] };
    const tasks = [held({ queued: false }), held({ since: 9_900 }), held()];
    expect(planner.offerWaiting(tasks, neighbours([busy, otherModel]))).toBe(0);
    expect(sent).toEqual([]);
  });

  it('gives one idle neighbour one task at a time (an offer counts until answered)', () => {
    const { planner, sent } = setup();
    const idle: FakeNeighbour = { nodeId: newNodeId(), activeTasks: 0, maxConcurrentTasks: 4, models: [MODEL] };
    expect(planner.offerWaiting([held(), held(), held()], neighbours([idle]))).toBe(1);
    expect(sent).toHaveLength(1);
  });

  it('a leaving tab offers everything, filling each neighbour up to its room', () => {
    const { planner, sent } = setup();
    const roomy: FakeNeighbour = { nodeId: newNodeId(), activeTasks: 2, maxConcurrentTasks: 4, models: [MODEL] };
    const tight: FakeNeighbour = { nodeId: newNodeId(), activeTasks: 3, maxConcurrentTasks: 4, models: [MODEL] };
    const tasks = [held({ queued: false }), held(), held(), held(), held()];
    expect(planner.offerAll(tasks, neighbours([roomy, tight]))).toBe(3);
    const to = sent.map((handoff) => handoff.to);
    expect(to.filter((nodeId) => nodeId === roomy.nodeId)).toHaveLength(2);
    expect(to.filter((nodeId) => nodeId === tight.nodeId)).toHaveLength(1);
    // The running task is offered too: leaving, its partial work is worth less than the task itself.
    expect(sent[0]?.taskId).toBe(tasks[0]?.taskId);
  });

  it('a refused offer frees the task and its reservation; the next offer goes to another neighbour', () => {
    const { planner, sent } = setup();
    const first: FakeNeighbour = { nodeId: newNodeId(), activeTasks: 0, maxConcurrentTasks: 1, models: [MODEL] };
    const second: FakeNeighbour = { nodeId: newNodeId(), activeTasks: 0, maxConcurrentTasks: 1, models: [MODEL] };
    const task = held();
    planner.offerWaiting([task], neighbours([first, second]));
    expect(sent.at(-1)?.to).toBe(first.nodeId);
    planner.refused(`Task ${task.taskId} stays with this tab: tab ${first.nodeId} has no free slot.`);
    expect(planner.pending).toBe(0);
    planner.offerWaiting([task], neighbours([first, second]));
    expect(sent.at(-1)).toEqual({ taskId: task.taskId, to: second.nodeId });
    // Both tried: nobody left for this task.
    planner.refused(`Task ${task.taskId} stays with this tab.`);
    expect(planner.offerWaiting([task], neighbours([first, second]))).toBe(0);
  });

  it('a cancel answers an offer (moved); a cancel for anything else is not a hand-off', () => {
    const { planner } = setup();
    const idle: FakeNeighbour = { nodeId: newNodeId(), activeTasks: 0, maxConcurrentTasks: 4, models: [MODEL] };
    const task = held();
    planner.offerWaiting([task], neighbours([idle]));
    expect(planner.moved(newTaskId())).toBe(false);
    expect(planner.moved(task.taskId)).toBe(true);
    expect(planner.pending).toBe(0);
  });
});
