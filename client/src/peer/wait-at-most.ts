/**
 * Resolves when `work` settles or after `ms`, whichever is first; never rejects. The caller then looks at
 * what `work` achieved so far (links that opened, a mode that changed) and goes on without the rest.
 */
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([work.then(noop, noop), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {}
