/**
 * The text of one task as its callers see it, across attempts. A retried task starts its text again on
 * another tab; callers already have a prefix of it, so only what goes beyond that prefix is forwarded.
 * If the new attempt's text departs from what was sent (sampling), forwarding stops: the final result
 * decides, and the API says the stream cannot continue.
 */
export class TaskStream {
  /** Text forwarded to listeners so far, across attempts. */
  #sentText = '';
  /** Text of the current attempt. */
  #attemptText = '';
  #nextSeq = 0;
  #diverged = false;

  /** A new attempt (a retry or a hand-off) starts its text from the beginning. */
  restartAttempt(): void {
    this.#attemptText = '';
    this.#nextSeq = 0;
  }

  /** The sequence number the next chunk must carry. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /**
   * Takes the attempt's next chunk (in order: the caller checked `seq`); returns the text to forward now,
   * or '' when nothing new may be forwarded (`hold`: the result is being checked, so nothing is forwarded).
   */
  append(delta: string, hold: boolean): string {
    this.#nextSeq++;
    this.#attemptText += delta;
    if (this.#diverged || hold) return '';
    if (this.#attemptText.length <= this.#sentText.length) {
      if (!this.#sentText.startsWith(this.#attemptText)) this.#diverged = true;
      return '';
    }
    if (!this.#attemptText.startsWith(this.#sentText)) {
      this.#diverged = true;
      return '';
    }
    const forward = this.#attemptText.slice(this.#sentText.length);
    this.#sentText = this.#attemptText;
    return forward;
  }
}
