import type { WidgetSettings } from '@tessera/shared';
import type { WidgetController, WidgetSnapshot } from './widget-controller.ts';

/** The controller's snapshot as runes, for the frame's components; its methods are the only way to act. */
export class WidgetState {
  snapshot: WidgetSnapshot = $state() as WidgetSnapshot;
  readonly settings: WidgetSettings;
  readonly contributes: boolean;
  readonly chats: boolean;
  readonly coordinatorOrigin: string;
  readonly pageOrigin: string | null;
  readonly #controller: WidgetController;

  constructor(controller: WidgetController, where: { coordinatorOrigin: string; pageOrigin: string | null }) {
    this.#controller = controller;
    this.settings = controller.settings;
    this.contributes = controller.contributes;
    this.chats = controller.chats;
    this.coordinatorOrigin = where.coordinatorOrigin;
    this.pageOrigin = where.pageOrigin;
    this.snapshot = controller.snapshot;
    controller.subscribe((snapshot) => (this.snapshot = snapshot));
  }

  open(): void {
    this.#controller.open();
  }
  grant(): void {
    this.#controller.grant();
  }
  decline(): void {
    this.#controller.decline();
  }
  start(): void {
    void this.#controller.start();
  }
  stop(): void {
    void this.#controller.stop();
  }
  revoke(): void {
    void this.#controller.revoke();
  }
  resized(height: number): void {
    this.#controller.resized(height);
  }
  ask(text: string): void {
    this.#controller.ask(text);
  }
}
