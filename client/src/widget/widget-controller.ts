import { TesseraError, errorCodeSchema } from '@tessera/shared';
import type { WidgetNotice, WidgetSettings, WidgetStopReason } from '@tessera/shared';
import type { RuntimeState } from '../node/volunteer-node-events.ts';
import type { ConsentMemory } from './consent-memory.ts';
import type { PauseReason } from './politeness.ts';

type NoticeBody = WidgetNotice extends infer Notice ? (Notice extends unknown ? Omit<Notice, 'protocol'> : never) : never;

/** What the controller needs of the volunteer runtime (`VolunteerNode`), made only after consent. */
export interface WidgetNode {
  init(): Promise<void>;
  lend(): Promise<void>;
  stop(): Promise<void>;
  leaveNow(): void;
  readonly runtimeState: RuntimeState;
  readonly publicKey: string | null;
  readonly taskTotals: { served: number };
  on(event: 'state:changed' | 'task:updated', listener: () => void): () => void;
}

export interface WidgetControllerInit {
  settings: WidgetSettings;
  consent: ConsentMemory;
  /** Builds the runtime (catalog, key, engine worker); called once, after consent, in contribute modes. */
  createNode: () => Promise<WidgetNode>;
  /** Streams an answer from the network (`POST /v1/chat/completions`); resolves with the whole text. */
  chat: (question: string, onDelta: (delta: string) => void) => Promise<string>;
  /** What the key has earned in all (smallest units), or null when the coordinator cannot say. */
  earned: (publicKey: string) => Promise<bigint | null>;
  /** Starts watching visibility and battery; `onChange` gets the reason to pause, or null. */
  watchPoliteness: (onChange: (reason: PauseReason | null) => void) => () => void;
  /** Forgets the persistent key (revoke), then reloads the frame so nothing of the visit stays in memory. */
  forgetEverything: () => Promise<void>;
  notify: (notice: NoticeBody) => void;
}

export type WidgetPhase = 'asking' | 'declined' | 'idle' | 'starting' | 'serving' | 'paused' | 'stopped' | 'error';

export interface ChatEntry {
  role: 'user' | 'assistant';
  text: string;
  streaming: boolean;
  error: string | null;
}

export interface WidgetSnapshot {
  phase: WidgetPhase;
  consented: boolean;
  /** Consent is kept for this site in the frame's storage (false: asked again next visit). */
  remembered: boolean;
  pausedBecause: PauseReason | null;
  tasksServed: number;
  earned: bigint | null;
  chat: readonly ChatEntry[];
  error: string | null;
}

const EARNED_POLL_MS = 5_000;

/**
 * The one owner of a widget frame's lifecycle, in plain TypeScript: consent (asked by the frame's own button,
 * remembered per site where the browser lets the frame keep anything), contributing (the volunteer runtime,
 * paused while the page is hidden or the battery is low), chatting, and what the host page is told. Nothing
 * that reaches the network is made before consent. The state class mirrors its snapshot for the components.
 */
export class WidgetController {
  readonly settings: WidgetSettings;
  readonly #init: WidgetControllerInit;
  readonly #listeners = new Set<(snapshot: WidgetSnapshot) => void>();
  #snapshot: WidgetSnapshot;
  #node: WidgetNode | null = null;
  #nodeMade: Promise<WidgetNode> | null = null;
  /** The visitor (or the host, after consent) wants this browser to work. */
  #wantWork = false;
  #pause: PauseReason | null = null;
  #stopWatching: (() => void) | null = null;
  #earnedTimer: ReturnType<typeof setInterval> | null = null;
  /** Questions asked before consent, by the host's `ask()` (id) or the visitor (null). */
  #waiting: Array<{ id: string | null; text: string }> = [];

  constructor(init: WidgetControllerInit) {
    this.#init = init;
    this.settings = init.settings;
    const consented = init.consent.remembered();
    this.#snapshot = {
      phase: consented ? 'idle' : 'asking',
      consented,
      remembered: consented,
      pausedBecause: null,
      tasksServed: 0,
      earned: null,
      chat: [],
      error: null,
    };
  }

  get contributes(): boolean {
    return this.settings.mode !== 'chat';
  }
  get chats(): boolean {
    return this.settings.mode !== 'contribute';
  }
  get snapshot(): WidgetSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: (snapshot: WidgetSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The frame is up: a visitor who agreed on an earlier visit to this site contributes again at once. */
  open(): void {
    this.#init.notify({ type: 'ready' });
    if (this.#snapshot.consented && this.contributes) void this.start();
  }

  /** The visitor pressed the consent button. */
  grant(): void {
    if (this.#snapshot.consented) return;
    const remembered = this.#init.consent.remember();
    this.#set({ consented: true, remembered, phase: 'idle' });
    this.#init.notify({ type: 'consent', granted: true, remembered });
    if (this.contributes) void this.start();
    for (const question of this.#waiting.splice(0)) void this.#answer(question.id, question.text);
  }

  /** The visitor said no: nothing is kept, nothing runs; questions waiting for consent fail. */
  decline(): void {
    if (this.#snapshot.consented) return;
    this.#set({ phase: 'declined' });
    this.#init.notify({ type: 'consent', granted: false, remembered: false });
    this.#init.notify({ type: 'stopped', reason: 'declined' });
    for (const question of this.#waiting.splice(0)) this.#fail(question.id, 'consent_required', 'The visitor declined.');
  }

  /** Contribute (host `start()` or the visitor's button). Before consent it only shows the consent question. */
  async start(): Promise<void> {
    if (!this.contributes) return;
    if (!this.#snapshot.consented) {
      this.#set({ phase: 'asking' });
      return;
    }
    this.#wantWork = true;
    this.#stopWatching ??= this.#init.watchPoliteness((reason) => void this.#politenessChanged(reason));
    await this.#resume();
  }

  /** Stop contributing; consent stays remembered. */
  async stop(reason: WidgetStopReason = 'stopped'): Promise<void> {
    this.#wantWork = false;
    this.#stopWatching?.();
    this.#stopWatching = null;
    await this.#halt('stopped', reason);
  }

  /** Withdraw consent: work stops now, the key and the remembered consent are forgotten, the frame starts over. */
  async revoke(): Promise<void> {
    this.#wantWork = false;
    this.#stopWatching?.();
    this.#stopWatching = null;
    this.#node?.leaveNow();
    this.#init.consent.forget();
    this.#set({ consented: false, remembered: false, phase: 'asking' });
    this.#init.notify({ type: 'stopped', reason: 'revoked' });
    await this.#init.forgetEverything();
  }

  /** The frame's content changed height: an inline widget grows or shrinks to fit it. */
  resized(height: number): void {
    this.#init.notify({ type: 'resize', height: Math.min(4_000, Math.max(0, Math.ceil(height))) });
  }

  /** A question from the visitor (id null) or the host's `ask()`; before consent it waits for it. */
  ask(text: string, id: string | null = null): void {
    if (!this.chats) {
      this.#fail(id, 'invalid_request', 'This widget does not chat (mode="contribute").');
      return;
    }
    if (!this.#snapshot.consented) {
      this.#waiting.push({ id, text });
      this.#set({ phase: 'asking' });
      return;
    }
    void this.#answer(id, text);
  }

  async #answer(id: string | null, text: string): Promise<void> {
    const entries = [...this.#snapshot.chat, { role: 'user', text, streaming: false, error: null } satisfies ChatEntry];
    const index = entries.length;
    this.#set({ chat: [...entries, { role: 'assistant', text: '', streaming: true, error: null }] });
    const update = (change: Partial<ChatEntry>): void => {
      const chat = [...this.#snapshot.chat];
      const entry = chat[index];
      if (entry !== undefined) chat[index] = { ...entry, ...change };
      this.#set({ chat });
    };
    try {
      let streamed = '';
      const answer = await this.#init.chat(text, (delta) => {
        streamed += delta;
        update({ text: streamed });
      });
      update({ text: answer, streaming: false });
      if (id !== null) this.#init.notify({ type: 'answer', id, text: answer });
    } catch (error) {
      const { code, message } = wireErrorOf(error);
      update({ streaming: false, error: message });
      this.#fail(id, code, message);
    }
  }

  async #politenessChanged(reason: PauseReason | null): Promise<void> {
    this.#pause = reason;
    if (!this.#wantWork) return;
    if (reason === null) await this.#resume();
    else await this.#halt('paused', reason);
  }

  async #resume(): Promise<void> {
    if (!this.#wantWork || this.#pause !== null) {
      if (this.#pause !== null) this.#set({ phase: 'paused', pausedBecause: this.#pause });
      return;
    }
    this.#set({ phase: 'starting', pausedBecause: null, error: null });
    let node: WidgetNode;
    try {
      node = await this.#nodeOnce();
    } catch (error) {
      this.#set({ phase: 'error', error: wireErrorOf(error).message });
      this.#init.notify({ type: 'stopped', reason: 'error' });
      return;
    }
    if (!this.#wantWork || this.#pause !== null) return;
    await node.lend();
    this.#startEarnedPoll();
  }

  async #halt(phase: 'stopped' | 'paused', reason: WidgetStopReason): Promise<void> {
    this.#stopEarnedPoll();
    const wasWorking = this.#snapshot.phase === 'serving' || this.#snapshot.phase === 'starting';
    this.#set({ phase, pausedBecause: phase === 'paused' && (reason === 'hidden' || reason === 'battery') ? reason : null });
    await this.#node?.stop();
    if (wasWorking || phase === 'stopped') this.#init.notify({ type: 'stopped', reason });
  }

  #nodeOnce(): Promise<WidgetNode> {
    this.#nodeMade ??= this.#init.createNode().then(async (node) => {
      this.#node = node;
      node.on('state:changed', () => this.#nodeStateChanged(node));
      node.on('task:updated', () => this.#set({ tasksServed: node.taskTotals.served }));
      await node.init();
      return node;
    });
    return this.#nodeMade;
  }

  #nodeStateChanged(node: WidgetNode): void {
    if (!this.#wantWork || this.#pause !== null) return;
    if (node.runtimeState === 'serving' && this.#snapshot.phase !== 'serving') {
      this.#set({ phase: 'serving' });
      this.#init.notify({ type: 'serving' });
      void this.#refreshEarned();
    } else if (node.runtimeState === 'error') {
      this.#set({ phase: 'error', error: 'This browser could not load a model to serve.' });
      this.#init.notify({ type: 'error', id: null, code: 'model_load_failed', message: 'This browser could not load a model to serve.' });
    }
  }

  #startEarnedPoll(): void {
    this.#earnedTimer ??= setInterval(() => void this.#refreshEarned(), EARNED_POLL_MS);
  }
  #stopEarnedPoll(): void {
    if (this.#earnedTimer !== null) clearInterval(this.#earnedTimer);
    this.#earnedTimer = null;
  }
  async #refreshEarned(): Promise<void> {
    const key = this.#node?.publicKey;
    if (key == null) return;
    const earned = await this.#init.earned(key).catch(() => null);
    if (earned !== null) this.#set({ earned });
  }

  #fail(id: string | null, code: WireCode, message: string): void {
    this.#init.notify({ type: 'error', id, code, message: message.slice(0, 1_000) });
  }

  #set(change: Partial<WidgetSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...change };
    for (const listener of this.#listeners) listener(this.#snapshot);
  }
}

type WireCode = Extract<NoticeBody, { type: 'error' }>['code'];

function wireErrorOf(error: unknown): { code: WireCode; message: string } {
  if (error instanceof TesseraError) return { code: error.code, message: error.message };
  const code = errorCodeSchema.safeParse(typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined);
  const message = error instanceof Error ? error.message : 'Something went wrong.';
  return { code: code.success ? code.data : 'internal_error', message };
}
