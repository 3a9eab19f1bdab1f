import { TINY_GPT2_ID } from '@tessera/shared';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gotoVolunteerPage, launchChromium, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';

// Issue 13: every page is usable on a phone (390 × 844, an iPhone 12–15): no sideways scroll, and what a
// visitor came for (the volunteer's state, download and earnings; the playground's input) on the first screen.

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

/** The page's horizontal overflow in CSS pixels (0 when nothing scrolls sideways), with the culprits named. */
async function sidewaysOverflow(page: Page): Promise<number> {
  const { overflow, culprits } = await page.evaluate(() => {
    const wide = [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5 && element.closest('.table-scroll') === null)
      .slice(-8)
      .map(
        (element) =>
          `${element.tagName.toLowerCase()}.${[...element.classList].join('.')} → ${Math.round(element.getBoundingClientRect().right)}`,
      );
    return { overflow: document.documentElement.scrollWidth - window.innerWidth, culprits: wide };
  });
  if (overflow > 0) console.warn(`${page.url()} overflows by ${overflow} px:\n${culprits.join('\n')}`);
  return overflow;
}

/** The bottom of the element under `testId`, relative to the top of the unscrolled page. */
async function bottomOf(page: Page, testId: string): Promise<number> {
  const box = await page.getByTestId(testId).first().boundingBox();
  if (box === null) throw new Error(`${testId} is not visible`);
  return box.y + box.height;
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

describe('pages at phone width', () => {
  let coordinator: RunningCoordinator;
  let browser: Browser;
  let phone: BrowserContext;
  let desktop: BrowserContext;
  let volunteer: Page;

  beforeAll(async () => {
    coordinator = await startCoordinator({ knownAnswerIntervalMs: 0 });
    browser = await launchChromium();
    // Not `isMobile`: Chromium's mobile emulation widens the layout viewport to fit what overflows, so
    // `innerWidth` would grow with the page and sideways scrolling could not be measured.
    phone = await browser.newContext({ viewport: PHONE, hasTouch: true });
    desktop = await browser.newContext({ viewport: DESKTOP });
    volunteer = await phone.newPage();
    await gotoVolunteerPage(volunteer, coordinator.url, { models: [TINY_GPT2_ID] });
    await volunteer.getByTestId('runtime-state').filter({ hasText: 'serving' }).waitFor({ timeout: 120_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
  });

  it('the volunteer page, serving a model, does not scroll sideways and shows state, download and earnings first', async () => {
    try {
      await volunteer.evaluate(() => window.scrollTo(0, 0));
      await shoot(volunteer, 'volunteer-390');
      expect(await sidewaysOverflow(volunteer)).toBeLessThanOrEqual(0);
      expect(await bottomOf(volunteer, 'runtime-state')).toBeLessThanOrEqual(PHONE.height);
      expect(await bottomOf(volunteer, `load-progress-${TINY_GPT2_ID}`)).toBeLessThanOrEqual(PHONE.height);
      expect(await bottomOf(volunteer, 'earnings-panel')).toBeLessThanOrEqual(PHONE.height);
      await expect(volunteer.getByTestId('earnings-estimate').textContent()).resolves.toContain('TSRA');
    } catch (error) {
      throw new Error(`${String(error)}\n${pageLogs(volunteer)}`, { cause: error });
    }
  });

  it('the playground puts its input above the fold and does not scroll sideways', async () => {
    const page = await phone.newPage();
    await page.goto(`${coordinator.url}/playground`);
    await page.getByTestId('playground-input').waitFor();
    await shoot(page, 'playground-390');
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    expect(await bottomOf(page, 'playground-input')).toBeLessThanOrEqual(PHONE.height);
    await page.close();
  });

  it('the dashboard and the guard page do not scroll sideways', async () => {
    const page = await phone.newPage();
    await page.goto(`${coordinator.url}/dashboard`);
    await page.getByTestId('nodes-table').waitFor({ timeout: 30_000 });
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    await shoot(page, 'dashboard-390');
    // Another page may be served at /guard meanwhile; whatever it is must fit too.
    await page.goto(`${coordinator.url}/guard?peers=0`);
    await page.waitForLoadState('networkidle');
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    await shoot(page, 'guard-390');
    await page.close();
  });

  it('saves desktop screenshots of each page', async () => {
    const page = await desktop.newPage();
    for (const [path, name] of [
      ['/?peers=0', 'volunteer-1280'],
      ['/playground', 'playground-1280'],
      ['/dashboard', 'dashboard-1280'],
    ] as const) {
      await page.goto(`${coordinator.url}${path}`);
      await page.waitForLoadState('networkidle');
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      await shoot(page, name);
    }
    await page.close();
  });
});
