/** Runs async jobs one after another, in the order they were queued; a failed job does not block the next. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<Result>(job: () => Promise<Result>): Promise<Result> {
    const result = this.#tail.then(job, job);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
