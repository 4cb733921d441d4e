/// <reference lib="dom" />
// The callbacks given to page.evaluate run in Chromium: they use the browser's globals.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type Request } from 'playwright-core';
import { call, eventually, type Body } from './support/api';
import { startEmbedded, type Embedded } from './support/embedded';
import { startFakes, type Fakes } from './support/fakes';
import { freePort, workspaceRoot } from './support/processes';

jest.setTimeout(600_000);

/** The machine's Chromium, from Debian's package (tools/scripts/ensure-chromium.sh installs it). */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Screenshots kept after the run (CI's artefacts). */
const ARTEFACTS = join(workspaceRoot, 'test-results/studio');
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

let dataDir: string;
let fakes: Fakes;
let app: Embedded;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Everything the page reported as an error: console errors, uncaught exceptions, failed loads. */
const pageErrors: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'darkroom-studio-'));
  await mkdir(ARTEFACTS, { recursive: true });
  fakes = await startFakes();
  const port = await freePort();
  app = await startEmbedded(dataDir, {
    port,
    viaNpmStart: true,
    env: { ...fakes.env(`http://127.0.0.1:${port}`), ASSET_DELIVERY: 'redirect' },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root in a sandbox without a network beyond loopback: no sandbox, no background calls home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  page = await watched(context);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await fakes?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function watched(target: BrowserContext): Promise<Page> {
  const opened = await target.newPage();
  opened.on('console', (message) => message.type() === 'error' && pageErrors.push(`console: ${message.text()} (${message.location().url})`));
  opened.on('pageerror', (error) => pageErrors.push(`exception: ${error.message}`));
  opened.on('requestfailed', (request) => {
    // The page aborts its own requests when what asked for them goes away (a page change, say).
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') pageErrors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  return opened;
}

const api = (method: string, path: string, body?: unknown) => call(app.url, method, path, { key: app.apiKey, ...(body ? { body } : {}) });

/** The caller's tasks with this prompt, from the API (not the page). */
async function tasksWithPrompt(prompt: string): Promise<Body[]> {
  const listed = await api('GET', '/v1/generations?limit=100');
  expect(listed.status).toBe(200);
  return listed.body.data.filter((task: Body) => task.prompt === prompt);
}

const taskCard = (prompt: string): Locator => page.locator('li.task', { has: page.locator('p.prompt', { hasText: prompt }) });

async function generate(model: string, prompt: string, options: { size?: string; double?: boolean } = {}): Promise<void> {
  await page.getByLabel('Model').selectOption(model);
  await page.getByLabel('Prompt').fill(prompt);
  if (options.size) await page.getByLabel(/^(Size|Aspect ratio)$/).selectOption(options.size);
  const button = page.getByRole('button', { name: 'Generate' });
  if (options.double) await button.dblclick();
  else await button.click();
}

/** axe-core in the page: no accessibility violations (labels, names, contrast, landmarks). */
async function expectAccessible(target: Page, what: string): Promise<void> {
  // Evaluated over the DevTools protocol: the page's own CSP (rightly) refuses injected script tags.
  await target.evaluate(`${await readFile(require.resolve('axe-core/axe.min.js'), 'utf8')}\n;0`);
  const violations = await target.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; nodes: { target: unknown }[] }[] }> } }).axe;
    const result = await axe.run(document);
    return result.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`);
  });
  expect({ what, violations }).toEqual({ what, violations: [] });
}

async function screenshot(target: Page, name: string): Promise<void> {
  const path = join(ARTEFACTS, `${name}.png`);
  await target.screenshot({ path, fullPage: true });
  expect((await stat(path)).size).toBeGreaterThan(5_000);
}

describe('darkroom Studio in Chromium, against npm start', () => {
  it('is served at / with the embedded dev key filled in, and shows the balance', async () => {
    const index = await call(app.url, 'GET', '/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    await page.goto(app.url);
    await page.getByRole('heading', { name: 'Generate' }).waitFor();
    await page.getByTestId('available').filter({ hasText: '100' }).waitFor();
    expect(await page.getByLabel('Model').inputValue()).toBe('local');
    expect(await page.getByTestId('price').textContent()).toBe('1');
  });

  it('generates with the local model and shows it completed without a reload, then opens the stored PNG', async () => {
    const prompt = 'a lighthouse at dusk, studio test';
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await generate('local', prompt, { size: '640x480' });
    const card = taskCard(prompt);
    await card.waitFor();
    await card.getByTestId('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The ledger charges just after the task ends; the card follows.
    await card.getByText('1 credit · charged').waitFor({ timeout: 30_000 });

    const [task] = await tasksWithPrompt(prompt);
    expect(task.status).toBe('completed');
    const asset = task.assets[0];

    await card.getByRole('button', { name: `Open image 1: ${prompt}` }).click();
    const viewer = page.getByRole('dialog', { name: 'Image 1 of 1' });
    const image = viewer.getByRole('img', { name: `Full size: ${prompt}` });
    await image.waitFor();
    expect(await image.getAttribute('data-asset-id')).toBe(asset.id);
    const shown = await image.evaluate(async (element: HTMLImageElement) => {
      await element.decode();
      const bytes = new Uint8Array(await (await fetch(element.src)).arrayBuffer());
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      return {
        sha256: [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join(''),
        signature: [...bytes.slice(0, 8)],
        width: element.naturalWidth,
        height: element.naturalHeight,
      };
    });
    // The page shows exactly the bytes the bucket holds: the task's sha256, a PNG, 640×480.
    expect(shown.sha256).toBe(asset.sha256);
    expect(shown.signature).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect({ width: shown.width, height: shown.height }).toEqual({ width: 640, height: 480 });
    const stored = await fetch((await api('GET', `/v1/assets/${asset.id}`)).headers.get('location')!);
    expect(createHash('sha256').update(Buffer.from(await stored.arrayBuffer())).digest('hex')).toBe(asset.sha256);

    const download = page.waitForEvent('download');
    await viewer.getByRole('link', { name: 'Download' }).click();
    const file = await (await download).path();
    expect(createHash('sha256').update(await readFile(file)).digest('hex')).toBe(asset.sha256);

    await screenshot(page, 'desktop-image-viewer');
    await expectAccessible(page, 'image viewer');
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'hidden' });
  });

  it('shows each model with its capabilities and price, and the price it will reserve before sending', async () => {
    const option = page.getByLabel('Model').locator('option[value="gpt-image-1"]');
    expect(await option.textContent()).toBe('gpt-image-1 — 4 credits per image (1–24 by size and quality)');
    // Image inputs are offered only where the model takes them.
    const inputs = page.getByRole('group', { name: 'Input images' });
    const references = page.getByRole('group', { name: 'Reference images' });
    await page.getByLabel('Model').selectOption('flux-schnell');
    expect([await inputs.count(), await references.count()]).toEqual([0, 0]);
    await page.getByLabel('Model').selectOption('local');
    expect([await inputs.count(), await references.count()]).toEqual([1, 0]);
    await page.getByLabel('Model').selectOption('gpt-image-1');
    expect([await inputs.count(), await references.count()]).toEqual([1, 1]);
    expect(await page.getByTestId('model-info').textContent()).toContain('Text to image · Edits · Reference images');
    await page.getByLabel('Quality').selectOption('low');
    await page.getByLabel('Number of images').fill('2');
    await generate('gpt-image-1', 'two wide lighthouses, studio test', { size: '1536x1024' });
    // low = 1 credit, 1536×1024 = ×1.5, two images: 3.
    expect(await page.getByTestId('price').textContent()).toBe('3');
    const card = taskCard('two wide lighthouses, studio test');
    await card.getByTestId('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    expect(await card.getByRole('button', { name: /^Open image/ }).count()).toBe(2);
    const [task] = await tasksWithPrompt('two wide lighthouses, studio test');
    expect(task.credits.price).toBe(3);
    expect(task.params).toMatchObject({ size: '1536x1024', quality: 'low', n: 2 });
  });

  /** POSTs of new tasks the page sends while `work` runs, with their Idempotency-Key. */
  async function postsDuring(work: () => Promise<void>): Promise<(string | undefined)[]> {
    const keys: (string | undefined)[] = [];
    const listener = (request: Request) => {
      if (request.method() === 'POST' && request.url().endsWith('/v1/generations')) keys.push(request.headers()['idempotency-key']);
    };
    page.on('request', listener);
    try {
      await work();
    } finally {
      page.off('request', listener);
    }
    return keys;
  }

  /** The task's credit entries once it was charged: exactly one reservation is the point. */
  async function chargedEntries(taskId: string): Promise<Body[]> {
    return eventually(async () => {
      const entries = await api('GET', '/v1/credits/entries?limit=100');
      const own = entries.body.data.filter((entry: Body) => entry.task_id === taskId);
      return own.some((entry: Body) => entry.type === 'captured') ? own : undefined;
    }, 30_000, `task ${taskId} to be charged`);
  }

  it('makes one task and one reservation of a double click on Generate', async () => {
    const prompt = 'double click, studio test';
    const keys = await postsDuring(async () => {
      const answered = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().endsWith('/v1/generations'));
      await generate('local', prompt, { double: true });
      await answered;
      await taskCard(prompt).getByTestId('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    });
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(keys[0]).toBeTruthy();
    expect(new Set(keys).size).toBe(1);
    expect(await taskCard(prompt).count()).toBe(1);
    const tasks = await tasksWithPrompt(prompt);
    expect(tasks).toHaveLength(1);
    const entries = await chargedEntries(tasks[0].id);
    expect(entries.filter((entry: Body) => entry.type === 'reserved')).toHaveLength(1);
    expect(entries.filter((entry: Body) => entry.type === 'captured')).toHaveLength(1);
  });

  it('sends a request whose answer was lost again with the same key: still one task and one reservation', async () => {
    const prompt = 'lost answer, studio test';
    // The first POST reaches darkroom, which makes the task, but the page never hears back.
    let dropped = 0;
    await page.route('**/v1/generations', async (route) => {
      if (route.request().method() !== 'POST' || dropped > 0) return route.fallback();
      dropped++;
      await route.fetch();
      await route.abort('connectionreset');
    });
    const keys = await postsDuring(async () => {
      await generate('local', prompt);
      await page.getByRole('alert').filter({ hasText: 'Sending it again is safe' }).waitFor();
      await page.unroute('**/v1/generations');
      const replayed = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().endsWith('/v1/generations'));
      await page.getByRole('button', { name: 'Generate' }).click();
      expect((await replayed).headers()['idempotent-replayed']).toBe('true');
      await taskCard(prompt).getByTestId('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    });
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    // The page reports the reset this test made (a failed load and its console line); nothing else.
    const induced = pageErrors.filter((line) => line.includes('ERR_CONNECTION_RESET'));
    expect(induced).toHaveLength(2);
    pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((line) => !induced.includes(line)));
    const tasks = await tasksWithPrompt(prompt);
    expect(tasks).toHaveLength(1);
    expect((await chargedEntries(tasks[0].id)).filter((entry: Body) => entry.type === 'reserved')).toHaveLength(1);
  });

  it('cancels a slow task on a fake provider (Replicate) and returns its credits', async () => {
    const prompt = 'a very slow render [fake:latency:120000]';
    await generate('flux-schnell', prompt, { size: '16:9' });
    const card = taskCard(prompt);
    await card.getByTestId('status').filter({ hasText: 'Processing' }).waitFor({ timeout: 60_000 });
    await card.getByRole('button', { name: `Cancel task: ${prompt}` }).click();
    await card.getByTestId('status').filter({ hasText: 'Canceled' }).waitFor({ timeout: 30_000 });
    expect(await card.getByTestId('reason').textContent()).toContain('Canceled. Your credits were returned.');
    expect(await card.getByRole('button', { name: /^Cancel task/ }).count()).toBe(0);

    const [task] = await tasksWithPrompt(prompt);
    expect(task.status).toBe('canceled');
    expect(task.params.aspect_ratio).toBe('16:9');
    await eventually(async () => {
      const entries = await api('GET', '/v1/credits/entries?limit=100');
      return entries.body.data.some((entry: Body) => entry.task_id === task.id && entry.type === 'released') || undefined;
    }, 30_000, 'the canceled task to release its credits');
  });

  it("shows a failed task's reason in plain words", async () => {
    const prompt = 'this one breaks [fake:fail:CUDA out of memory]';
    await generate('flux-schnell', prompt);
    const card = taskCard(prompt);
    await card.getByTestId('status').filter({ hasText: 'Failed' }).waitFor({ timeout: 90_000 });
    const reason = await card.getByTestId('reason').textContent();
    expect(reason).toContain('The image provider reported an error. Your credits were returned.');
    const [task] = await tasksWithPrompt(prompt);
    expect(task.status).toBe('failed');
    expect(task.error.code).toBe('provider_error');

    const blocked = 'this one is blocked [fake:moderated]';
    await generate('flux-schnell', blocked);
    await taskCard(blocked).getByTestId('status').filter({ hasText: 'Failed' }).waitFor({ timeout: 90_000 });
    expect(await taskCard(blocked).getByTestId('reason').textContent()).toContain('The image was blocked by content moderation. Your credits were returned.');
    expect((await tasksWithPrompt(blocked))[0].error.code).toBe('content_moderated');
    await screenshot(page, 'desktop-tasks');
    await expectAccessible(page, 'generate page with tasks');
  });

  it("shows a task's timeline: state changes, the provider attempt, storage and credits", async () => {
    const prompt = 'a lighthouse at dusk, studio test';
    await taskCard(prompt).getByRole('link', { name: `Details of task: ${prompt}` }).click();
    await page.getByRole('heading', { name: /^Task / }).waitFor();
    const rows = page.locator('table.timeline tbody tr');
    await page.locator('tr[data-event-type="CreditsCaptured"]').waitFor({ timeout: 30_000 });
    const types = await rows.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-event-type')));
    for (const type of ['GenerationCreated', 'CreditsReserved', 'GenerationQueued', 'ProviderJobSubmitted', 'GenerationProcessing', 'AssetStored', 'GenerationCompleted', 'CreditsCaptured']) {
      expect(types).toContain(type);
    }
    expect(types.indexOf('GenerationCreated')).toBeLessThan(types.indexOf('GenerationCompleted'));
    expect(await page.locator('tr[data-event-type="ProviderJobSubmitted"]').textContent()).toContain('Submitted to local');
    await expectAccessible(page, 'task detail');

    // A task at a remote provider: its attempt there, why it failed, and the credits coming back.
    const [failed] = await tasksWithPrompt('this one breaks [fake:fail:CUDA out of memory]');
    await page.goto(`${app.url}/#/tasks/${failed.id}`);
    await page.locator('tr[data-event-type="CreditsReleased"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('tr[data-event-type="ProviderJobSubmitted"]').first().textContent()).toContain('Submitted to replicate');
    expect(await page.locator('tr[data-event-type="ProviderJobFailed"]').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('tr[data-event-type="GenerationFailed"]').textContent()).toContain('The image provider reported an error.');
  });

  it('lists completed images in the gallery, reuses a prompt and edits an image', async () => {
    const prompt = 'a lighthouse at dusk, studio test';
    await page.getByRole('link', { name: 'Gallery' }).click();
    const open = page.getByRole('button', { name: `Open image 1: ${prompt}` });
    await open.waitFor();
    await page.locator('ul.gallery img').first().waitFor();
    await screenshot(page, 'desktop-gallery');
    await expectAccessible(page, 'gallery');

    await open.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reuse prompt' }).click();
    await page.getByRole('heading', { name: 'Generate' }).waitFor();
    expect(await page.getByLabel('Prompt').inputValue()).toBe(prompt);

    await page.getByRole('link', { name: 'Gallery' }).click();
    await open.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Edit this image' }).click();
    await page.getByRole('img', { name: 'Input images 1' }).waitFor();
    expect(await page.getByLabel('Model').inputValue()).toBe('local');
    const editPrompt = 'the same lighthouse at night, studio test';
    await page.getByLabel('Prompt').fill(editPrompt);
    await page.getByRole('button', { name: 'Generate' }).click();
    await taskCard(editPrompt).getByTestId('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    const [edit] = await tasksWithPrompt(editPrompt);
    expect(edit.params.input_images).toHaveLength(1);
  });

  it('uploads an image dropped on the form and edits it', async () => {
    await page.getByRole('link', { name: 'Generate' }).click();
    await page.getByLabel('Model').selectOption('local');
    // The edit before left its input image in the form (local takes one): take it out first.
    await page.getByRole('button', { name: 'Remove input images 1' }).click();
    const zone = page.locator('.drop-zone').first();
    // A PNG made in the page, dropped as a file would be from the desktop.
    const dropped = await page.evaluateHandle(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 96;
      canvas.height = 64;
      const context = canvas.getContext('2d')!;
      context.fillStyle = '#2a6';
      context.fillRect(0, 0, 96, 64);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((made) => resolve(made!), 'image/png'));
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], 'green.png', { type: 'image/png' }));
      return transfer;
    });
    await zone.dispatchEvent('dragover', { dataTransfer: dropped });
    await zone.dispatchEvent('drop', { dataTransfer: dropped });
    await page.getByRole('img', { name: 'Input images 1' }).waitFor();
    const prompt = 'a dropped green card, studio test';
    await page.getByLabel('Prompt').fill(prompt);
    await page.getByRole('button', { name: 'Generate' }).click();
    await taskCard(prompt).getByTestId('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    const [task] = await tasksWithPrompt(prompt);
    expect(task.params.input_images).toHaveLength(1);
    const upload = await api('GET', `/v1/uploads/${task.params.input_images[0]}`);
    expect(upload.body).toMatchObject({ content_type: 'image/png', width: 96, height: 64 });
  });

  it('shows the balance and the credit history', async () => {
    await page.getByRole('link', { name: 'Credits' }).click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    await page.getByRole('cell', { name: 'Charged' }).first().waitFor();
    const balance = await eventually(async () => {
      const credits = await api('GET', '/v1/credits');
      return credits.body.reserved === 0 ? credits.body : undefined;
    }, 30_000, 'no credits to stay reserved');
    // Completed tasks paid their price; the canceled and failed ones were charged nothing.
    const tasks = (await api('GET', '/v1/generations?limit=100')).body.data;
    const completed = tasks.filter((task: Body) => task.status === 'completed');
    expect(tasks.filter((task: Body) => task.status !== 'completed').map((task: Body) => task.status).sort()).toEqual(['canceled', 'failed', 'failed']);
    const paid = completed.reduce((sum: number, task: Body) => sum + task.credits.price, 0);
    expect({ available: balance.available, captured: balance.captured }).toEqual({ available: 100 - paid, captured: paid });
    expect(tasks.filter((task: Body) => task.status !== 'completed').map((task: Body) => task.credits.state)).toEqual(['released', 'released', 'released']);
    await page.getByTestId('available').filter({ hasText: String(balance.available) }).waitFor({ timeout: 30_000 });
    await expectAccessible(page, 'credits');
  });

  it('shows projections with their lag, rebuilds one with progress, and lists dead letters (admin key)', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByLabel('Admin key').fill(app.adminKey);
    await page.getByRole('button', { name: 'Open admin' }).click();
    const row = page.locator('tr[data-projection="generations"]');
    await row.waitFor();
    await page.getByText('No dead letters.').waitFor();
    await row.getByRole('button', { name: 'Rebuild generations' }).click();
    await row.getByTestId('rebuild-state').filter({ hasText: 'completed' }).waitFor({ timeout: 60_000 });
    expect(await row.getByRole('progressbar').getAttribute('value')).toBe('100');
    await screenshot(page, 'desktop-admin');
    await expectAccessible(page, 'admin');
  });

  it('works from the keyboard alone: skip link, form, Generate', async () => {
    const prompt = 'typed with the keyboard, studio test';
    await page.goto(app.url);
    await page.getByRole('heading', { name: 'Generate' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    const focusOn = async (matches: () => boolean) => {
      for (let presses = 0; presses < 30; presses++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(matches)) return;
      }
      throw new Error('Tab never reached the element');
    };
    await focusOn(() => document.activeElement?.tagName === 'TEXTAREA');
    await page.keyboard.type(prompt);
    await focusOn(() => document.activeElement?.textContent === 'Generate');
    await page.keyboard.press('Enter');
    await taskCard(prompt).getByTestId('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    expect(await tasksWithPrompt(prompt)).toHaveLength(1);
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const small = await watched(phone);
      await small.goto(app.url);
      await small.getByTestId('available').waitFor();
      await small.locator('li.task').first().waitFor();
      // Nothing wider than the screen: no sideways scrolling.
      expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(small, 'phone-generate');
      await small.getByRole('link', { name: 'Gallery' }).click();
      await small.locator('ul.gallery img').first().waitFor();
      expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(small, 'phone-gallery');
      await expectAccessible(small, 'phone gallery');
    } finally {
      await phone.close();
    }
  });

  it('reported no console errors, exceptions or failed requests', () => {
    expect(pageErrors).toEqual([]);
  });
});
