import { MODEL_CATALOG, TINY_GPT2_ID, findModel } from '@tessera/shared';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openVolunteerTab, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { waitForServingTabs } from './support/network-state.ts';

const canary = findModel(MODEL_CATALOG, TINY_GPT2_ID)?.canary;

/** Every CSP violation a page (or its workers, which report on the console) runs into. */
async function watchPolicy(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  await context.exposeBinding('reportCspViolation', (_source, text: string) => violations.push(text));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = Reflect.get(window, 'reportCspViolation');
      if (typeof report === 'function')
        report(
          `${event.violatedDirective} blocked ${event.blockedURI} (${location.pathname}) at ${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`,
        );
    });
  });
  context.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return violations;
}

describe('security headers: the pages and the WASM runtime work under the Content Security Policy', () => {
  let coordinator: RunningCoordinator;
  let browser: Browser;
  let context: BrowserContext;
  let violations: string[];
  let volunteer: Page;

  beforeAll(async () => {
    coordinator = await startCoordinator();
    browser = await launchChromium();
    context = await browser.newContext();
    violations = await watchPolicy(context);
    volunteer = await openVolunteerTab(context, coordinator.url, { models: [TINY_GPT2_ID] });
    await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 120_000, () => pageLogs(volunteer));
  });

  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
  });

  it('serves every answer with the policy and the hardening headers, and keeps isolation per path', async () => {
    const page = await fetch(`${coordinator.url}/`);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('upgrade-insecure-requests');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const api = await fetch(`${coordinator.url}/v1/models`);
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    const modelFile = await fetch(`${coordinator.url}/models/${TINY_GPT2_ID}/config.json`);
    expect(modelFile.status).toBe(200);
    expect(modelFile.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('a volunteer tab loads its engine worker and WASM and serves, with no violation', async () => {
    expect(await volunteer.getByTestId('runtime-state').textContent()).toBe('serving');
    expect(violations).toEqual([]);
  });

  it('the playground gets an answer from that tab, and the other pages and the API docs render, with no violation', async () => {
    if (!canary) throw new Error('tiny-gpt2 has no canary');
    const playground = await context.newPage();
    await playground.goto(`${coordinator.url}/playground`);
    await expect.poll(() => playground.getByTestId('playground-model').inputValue(), { timeout: 10_000 }).toBe(TINY_GPT2_ID);
    await playground.getByTestId('playground-input').fill(canary.prompt);
    await playground.getByTestId('playground-input').press('Enter');
    await expect
      .poll(() => playground.getByTestId('playground-transcript').textContent(), { timeout: 30_000 })
      .toContain(canary.expectedCompletion.trim());
    for (const path of ['/dashboard', '/guard', '/docs', '/widget-demo']) {
      const page = await context.newPage();
      await page.goto(`${coordinator.url}${path}`, { waitUntil: 'networkidle' });
      expect(await page.locator('body').innerText()).not.toBe('');
      await page.close();
    }
    expect(violations).toEqual([]);
  });
});
