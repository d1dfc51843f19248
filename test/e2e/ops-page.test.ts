/**
 * The /ops page in a real browser (Debian's headless Chromium driven by playwright-core): while orders flow, it
 * shows the dashboard's three sections as plots with live data, the alarm states, the dead-letter queues and the
 * lost-order list, and a screenshot is kept (test-results/ops-page.png) for a human to look at.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraffic, type Traffic } from '../../offline/shopwave/traffic';
import { waitFor } from '../../offline/runtime/wait';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const TIME_SCALE = 1 / 15;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.join(import.meta.dirname, '..', '..', 'test-results', 'ops-page.png');

let t: TestPlatform;
let traffic: Traffic;
let browser: Browser;

beforeAll(async () => {
  t = await startTestPlatform({ timeScale: TIME_SCALE });
  traffic = startTraffic(t.platform.apiUrl, 4, { minuteMs: 60_000 * TIME_SCALE, sign: (c) => t.platform.issuer.sign(c) }); // one order a second
  // Flags from this machine's notes: without them Chromium tries Google's hosts, which the closed network refuses.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  traffic?.stop();
  await browser?.close();
  await t?.stop();
});

describe('/ops in headless Chromium', () => {
  it('shows the three sections with live plots, alarms, DLQs and lost orders', { timeout: 180_000 }, async () => {
    // Cold starts first; on a loaded 2-core machine the first order can take well over 30 s.
    await waitFor(async () => traffic.placed[0] && (await t.readOrder(traffic.placed[0].orderId)).body?.status === 'DELIVERED', {
      timeoutMs: 90_000,
      description: 'the first order delivered (cold starts)',
    });
    // A few metric minutes of traffic, so every business plot has points.
    await new Promise((r) => setTimeout(r, 3 * 60_000 * TIME_SCALE));

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${t.platform.apiUrl}/ops`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });

    const sections = await page.$$eval('section.dashboard-section', (els) => els.map((e) => e.getAttribute('data-section')));
    expect(sections).toEqual(['Customer experience', 'Business', 'Technical']);

    // Plots, with data: the business flow has drawn lines, and its legend shows the latest values.
    const ordersPlot = page.locator('[data-section="Business"] [data-widget="Orders per minute"]');
    await expect.poll(async () => ordersPlot.locator('svg path').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.locator('[data-section="Customer experience"] svg').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('[data-section="Technical"] svg path').count()).toBeGreaterThan(0);

    // Alarm states for every alarm of the template, DLQs listed, the lost-order list with the template's deadline.
    expect(await page.locator('[data-alarm]').count()).toBe(t.platform.model.alarms.length);
    expect(await page.locator('[data-alarm] .state.OK').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-dlq]').count()).toBeGreaterThanOrEqual(10);
    expect(await page.locator('#lost-meta').textContent()).toContain('within 10 s');

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000); // a rendered page, not a blank one
    expect(errors).toEqual([]);
  });
});
