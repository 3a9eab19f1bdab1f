import { DEFAULT_REPLICATION_POLICY, TINY_GPT2_ID, checkProbability, checkProbabilityFor, taskIdSchema } from '@tessera/shared';
import type { ReputationStats, TaskId, Tier } from '@tessera/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BehaviourWatch, DEFAULT_BEHAVIOUR_POLICY } from '../src/reputation/behaviour-watch.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { echoText } from './support/honest-answers.ts';
import { answerPaced } from './support/paced-answer.ts';
import { guardHonestly } from './support/scripted-guard.ts';
import { ScriptedTab, loaded, type ScriptedTabOptions } from './support/scripted-tab.ts';
import { streamedText } from './support/task-observations.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { chatOutput } from './support/tiny-tokens.ts';

// Issue 17's patient cheater, over real sockets and the real HTTP API: a tab answers honestly until the
// coordinator promotes it out of probation and its check rate has fallen as far as it will fall within
// the promotion window, then lies on every task. The verifier draws its samples from crypto randomness
// (the test app injects none), so the limits on lies delivered are stated with their failure probability.

const POLICY = DEFAULT_REPLICATION_POLICY;
/** The last check of the promotion window: without its floor, the check rate here would be 1/15. */
const LAST_WINDOW_CHECK = POLICY.probationChecks + POLICY.promotionWindow - 1;
/** A test that fails more often than this when the defence works is a flaky test. */
const FAILURE_PROBABILITY = 1e-6;
/** Far more honest tasks than the switch takes (50 to 100): a stuck scenario fails, it does not hang. */
const HONEST_TASK_LIMIT = 400;
const MODELS = [loaded(TINY_GPT2_ID)];
/**
 * Every tab here decodes at one steady pace, honest or lying, so an answer takes 60–80 ms: long enough that
 * the event loop's jitter is a small part of the speed the coordinator measures. Jitter can still make
 * `BehaviourWatch` raise an honest tab's floor now and then; that only checks more, never less.
 */
const MS_PER_TOKEN = 4;

/**
 * The most lies that may reach callers, given the least probability `checkedAtLeast(j)` that the j-th lie
 * is sampled (each draw independent): lies get through until the first one is checked, which is caught,
 * so P(at least k lies delivered) ≤ ∏_{j ≤ k} (1 − checkedAtLeast(j)). Returns k − 1 for the least k
 * whose product is under `FAILURE_PROBABILITY`: more than that many delivered fails the test.
 */
function liesBound(checkedAtLeast: (j: number) => number): number {
  let allThrough = 1;
  for (let k = 1; ; k++) {
    allThrough *= 1 - checkedAtLeast(k);
    if (allThrough < FAILURE_PROBABILITY) return k - 1;
  }
}

const question = (i: number): string => `question ${i}${'?'.repeat(i % 3)}`;

const track = closeAfterEach();

async function serving(app: TestApp, options: Omit<ScriptedTabOptions, 'url' | 'models'>): Promise<ScriptedTab> {
  const tab = new ScriptedTab({ ...options, url: app.url, models: MODELS });
  track(tab);
  await tab.ready();
  await eventually(() => (app.app.tessera.registry.get(tab.nodeId)?.models.has(TINY_GPT2_ID) === true ? true : undefined), 3000, 'serving');
  return tab;
}

interface Answer {
  taskId: TaskId;
  expected: string;
  text: string;
}

/** One streamed chat completion through the API, as a caller sees it. */
async function ask(app: TestApp, i: number): Promise<Answer> {
  const response = await fetch(`${app.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: question(i) }], temperature: 0, stream: true }),
  });
  expect(response.status).toBe(200);
  const taskId = taskIdSchema.parse(response.headers.get('x-tessera-task-id'));
  return { taskId, expected: `echo: ${question(i)}`, text: streamedText(await response.text()) };
}

interface Run {
  app: TestApp;
  cheater: ScriptedTab;
  backup: ScriptedTab;
  /** The cheater's tier before each honest task. */
  tiers: Tier[];
  /** Its record when it started lying. */
  atFirstLie: ReputationStats;
  /** Every task of the lying phase, as its caller got it, and the raised floor right after it. */
  answers: Array<Answer & { floorAfter: number }>;
  /** Tasks the cheater lied on. */
  lies: Set<TaskId>;
}

/**
 * The scenario: two honest guards and the cheater; honest tasks one at a time until the cheater is trusted
 * and at the end of its promotion window (read from the reputation book); then an honest tab joins (it
 * takes re-runs: it is on probation, so the trusted cheater is preferred for new work) and the cheater
 * lies with `lie` on every task, one at a time, until it is caught or more lies got through than
 * `bound` allows. A mirror `BehaviourWatch` on the app's event bus sees what the coordinator's sees.
 */
async function patientCheater(lie: (honest: string) => string, bound: number): Promise<Run> {
  const app = track(await startTestApp({ knownAnswerIntervalMs: 0 }));
  const mirror = new BehaviourWatch({ events: app.app.tessera.events, logger: pino({ level: 'silent' }) });
  for (let i = 0; i < 2; i++) await serving(app, { role: 'guard', maxConcurrentTasks: 4, onVerify: guardHonestly });
  let lying = false;
  const lies = new Set<TaskId>();
  const cheater = await serving(app, {
    onAssign: (assign, tab) => {
      if (!lying) return answerPaced(assign, tab, echoText(assign), MS_PER_TOKEN);
      lies.add(assign.taskId);
      return answerPaced(assign, tab, lie(echoText(assign)), MS_PER_TOKEN);
    },
  });
  const key = cheater.identity.publicKey;
  const { reputation } = app.app.tessera;

  const tiers: Tier[] = [];
  let asked = 0;
  while (reputation.tier(key) !== 'trusted' || reputation.get(key).consecutiveValid < LAST_WINDOW_CHECK) {
    if (asked >= HONEST_TASK_LIMIT) throw new Error(`not promoted after ${asked} honest tasks`);
    tiers.push(reputation.tier(key));
    const answer = await ask(app, asked++);
    expect(answer.text).toBe(answer.expected);
  }

  const backup = await serving(app, { onAssign: (assign, tab) => answerPaced(assign, tab, echoText(assign), MS_PER_TOKEN) });
  const atFirstLie = reputation.get(key);
  lying = true;
  const answers: Run['answers'] = [];
  const delivered = (): number => answers.filter((answer) => answer.text !== answer.expected).length;
  while (reputation.get(key).invalidChecks === 0 && delivered() <= bound) {
    answers.push({ ...(await ask(app, asked++)), floorAfter: mirror.raisedFloor(key) });
  }
  return { app, cheater, backup, tiers, atFirstLie, answers, lies };
}

/** What must hold whatever the lies look like: caught, contained, re-run, not paid. */
function expectCaughtAndContained(run: Run, lie: (honest: string) => string, bound: number): void {
  const { app, cheater, backup, answers, lies } = run;
  const key = cheater.identity.publicKey;
  // It was promoted by the coordinator, not by the test: probation first, trusted at the switch.
  expect(run.tiers[0]).toBe('probation');
  expect(run.tiers).toContain('trusted');
  expect(run.atFirstLie.consecutiveValid).toBe(LAST_WINDOW_CHECK);

  // Trusted and free, it was given every new task of the lying phase.
  expect(answers.every((answer) => lies.has(answer.taskId))).toBe(true);
  const deliveredLies = answers.filter((answer) => answer.text !== answer.expected);
  // What got through is its lie, whole: no half-streamed text, nothing else.
  for (const answer of deliveredLies) expect(answer.text).toBe(lie(answer.expected));
  expect(deliveredLies.length).toBeLessThanOrEqual(bound);

  // Caught: the coordinator's own record says so, and what it costs the tab is a demotion.
  const stats = app.app.tessera.reputation.get(key);
  expect(stats.invalidChecks).toBe(1);
  expect(stats.consecutiveValid).toBe(0);
  expect(app.app.tessera.reputation.tier(key)).toBe('demoted');

  // The caught lie's caller got the right answer, run again on the honest tab; none of the lie streamed.
  const caught = answers.filter((answer) => answer.text === answer.expected);
  expect(caught).toHaveLength(1);
  for (const answer of caught) {
    const record = app.app.tessera.store.get(answer.taskId);
    expect(record?.status).toBe('succeeded');
    expect(record?.attempts).toBe(2);
    expect(record?.result?.nodeId).toBe(backup.nodeId);
    expect(record?.result?.check).toBe('passed');
  }

  // No credit for a caught lie: the re-run is the honest tab's.
  const ledger = app.app.tessera.ledger;
  const paidToCheater = new Set(ledger.history(key, 10_000).map((entry) => entry.taskId));
  const paidToBackup = new Set(ledger.history(backup.identity.publicKey, 10_000).map((entry) => entry.taskId));
  for (const answer of caught) {
    expect(paidToCheater.has(answer.taskId)).toBe(false);
    expect(paidToBackup.has(answer.taskId)).toBe(true);
  }
  // Nor for the lies that got through unchecked: unconfirmed results wait in escrow, which the catch forfeits.
  const cheaterLines = new Map(ledger.history(key, 10_000).map((entry) => [entry.taskId, entry.status]));
  for (const answer of deliveredLies) expect(cheaterLines.get(answer.taskId)).toBe('slashed');
}

describe('a patient cheater: honest until promoted, then lying', () => {
  it('lying with the same speed and answer length, it is caught within the promotion floor’s bound', async () => {
    // Once it lies, its record stands still (a lie that is not checked is no check; one that is checked is
    // caught), so every lie is sampled with at least the rate at the switch: the promotion floor 0.2 (1/15
    // without it; 0.5 while BehaviourWatch happens to be raised). The lies delivered before the first
    // check are geometric: P(≥ k delivered) ≤ 0.8^k, under 1e-6 from k = 62 (9.8e-7).
    const bound = liesBound(() => POLICY.promotedFloor);
    expect(bound).toBe(61);
    const lie = (honest: string): string => honest.replace(/^echo:/, 'fake:');
    const run = await patientCheater(lie, bound);

    expect(checkProbabilityFor(run.atFirstLie)).toBe(POLICY.promotedFloor);
    expect(checkProbability(run.atFirstLie.consecutiveValid)).toBeLessThan(POLICY.promotedFloor);
    // The lies look like its honest work: as many tokens, produced at the same pace.
    for (const answer of run.answers)
      expect(chatOutput(lie(answer.expected)).tokenIds.length).toBe(chatOutput(answer.expected).tokenIds.length);
    expectCaughtAndContained(run, lie, bound);
  });

  it('lying with answers far longer than its own, it is watched more closely and caught within a tighter bound', async () => {
    // The first lie is sampled with at least the promotion floor 0.2; BehaviourWatch sees the coordinator's
    // count and clock of it only once it is delivered, and then raises the floor to 0.5 for the next 20
    // results. So P(≥ k lies delivered) ≤ 0.8 · 0.5^(k − 1) for k ≤ 21: 7.6e-7 at k = 21.
    const watched = DEFAULT_BEHAVIOUR_POLICY;
    const bound = liesBound((j) => (j === 1 || j > watched.watchResults + 1 ? POLICY.promotedFloor : watched.watchedFloor));
    expect(bound).toBe(20);
    const lie = (honest: string): string => `${honest} is a malicious network that steals your data.`;
    const run = await patientCheater(lie, bound);

    expectCaughtAndContained(run, lie, bound);
    // The premise of the bound: each lie that got through raised the cheater's floor for what followed.
    for (const answer of run.answers) if (answer.text !== answer.expected) expect(answer.floorAfter).toBe(watched.watchedFloor);
  });
});
