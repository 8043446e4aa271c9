// The web console in a real browser (playwright-core driving Debian's
// chromium) against a real server and a real virtual printer: sign in, claim
// the printer from its registration token, print a PDF with a ticket and see
// the job reach DONE without reloading, see a panel fault's reason, share
// with a second user who then prints, cancel a queued job, keep the session
// past access-token expiry, fit 375 px, and pass axe-core. Screenshots of
// every page go to test-artifacts/console/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, type TestUser } from '../helpers/cloud.ts';
import { cloudArgs, makePdf, startPrinter, waitFor, type TestPrinter } from '../privet/helpers.ts';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/console');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const UI_TIMEOUT = 15_000;
const PAGES = ['printers', 'print', 'jobs', 'sharing', 'claim', 'account'];

let server: TestServer;
let printer: TestPrinter;
let browser: Browser;
let ownerContext: BrowserContext;
let owner: TestUser;
let friend: TestUser;
let page: Page;
let printerId: string;
/** Document loads of the owner's page: the live updates must not need any. */
let loads = 0;

async function user(target: TestServer, email: string): Promise<TestUser> {
  const password = 'correct horse battery';
  const account = await target.context.accounts.createUser(email, password);
  return { email, password, token: '', id: account.id };
}

async function signIn(target: Page, who: TestUser, url = server.url): Promise<void> {
  await target.goto(`${url}/console/`);
  await target.getByLabel('Email').fill(who.email);
  await target.getByLabel('Password').fill(who.password);
  await target.getByRole('button', { name: 'Sign in' }).click();
  await target.getByRole('navigation', { name: 'Console' }).waitFor({ timeout: UI_TIMEOUT });
}

async function go(target: Page, name: string): Promise<void> {
  await target.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
}

const shot = (target: Page, name: string) => target.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const status = (target: Page) => target.locator('#status');

/** axe-core's serious and critical violations on the page as it is (axe must be loaded). */
const seriousViolations = (target: Page) =>
  target.evaluate(async () => (await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string }> }> } }).axe.run()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id));

/** A token from the owner's console session, for checks through the API. */
async function apiToken(): Promise<string> {
  const grant = await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: owner.email, password: owner.password }) });
  return String(((await grant.json()) as Record<string, unknown>).access_token);
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startTestServer();
  owner = await user(server, 'owner@example.com');
  friend = await user(server, 'friend@example.com');
  printer = await startPrinter({ cloud: server.url, name: 'Office Laser', args: ['--no-mdns', '--auto-confirm', ...cloudArgs(server)] });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  ownerContext = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  page = await ownerContext.newPage();
  page.on('load', () => loads++);
});
after(async () => {
  await browser?.close();
  await printer?.stop();
  printer?.cleanup();
  await server?.stop();
});

test('sign-in: a wrong password says so, and the error goes once signed in', { timeout: 60_000 }, async () => {
  await page.goto(`${server.url}/console/`);
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await status(page).getByText('Wrong email or password').waitFor({ timeout: UI_TIMEOUT });
  await shot(page, 'sign-in');
  await signIn(page, owner);
  assert.equal(await status(page).textContent(), '', 'the stale error is cleared');
  await page.getByText('No printers yet').waitFor({ timeout: UI_TIMEOUT });
});

test('claim: the printer waiting with a registration token is added from the token, and shows online and idle', { timeout: 90_000 }, async () => {
  const register = (action: string) => printer.call(`/privet/register?action=${action}&user=${encodeURIComponent(owner.email)}`, { method: 'POST' });
  await register('start');
  const claim = await waitFor('claim token', async () => {
    const reply = await register('getClaimToken');
    return reply.json.error === 'pending_user_action' ? undefined : reply.json;
  });
  await go(page, 'Add printer');
  await page.getByLabel('Registration token or claim URL').fill(String(claim.token));
  await shot(page, 'claim');
  await page.getByRole('button', { name: 'Add printer' }).click();
  await status(page).getByText('Printer added').waitFor({ timeout: UI_TIMEOUT });
  printerId = String((await register('complete')).json.device_id);
  const card = page.locator('li.card', { hasText: 'Office Laser' });
  await card.getByText('Online').waitFor({ timeout: UI_TIMEOUT });
  await card.getByText('Idle').waitFor({ timeout: UI_TIMEOUT });
  await card.getByText('Yours').waitFor();
  await card.getByText('Details').click();
  await card.getByText('application/pdf').waitFor({ timeout: UI_TIMEOUT });
  await card.getByText(`ipp://${new URL(server.url).host}/ipp/print/${printerId}`).waitFor();
  // The owner's LAN advertising switch is the printer's ipp-advertise tag (docs/ipp.md).
  await card.getByLabel('Announce on the LAN (IPP Everywhere, AirPrint)').check();
  await status(page).getByText('Office Laser is announced on the LAN').waitFor({ timeout: UI_TIMEOUT });
  const tags = async () => (await cloudApi(server, 'printer', { printerid: printerId }, { token: await apiToken() })).body.printers[0].tags as string[];
  assert.ok((await tags()).includes('ipp-advertise'));
  await card.getByLabel('Announce on the LAN (IPP Everywhere, AirPrint)').uncheck();
  await status(page).getByText('no longer announced').waitFor({ timeout: UI_TIMEOUT });
  assert.ok(!(await tags()).includes('ipp-advertise'));
  await shot(page, 'printers');
});

test('print: a PDF with a ticket from the CDD form reaches DONE on the jobs page without reloading', { timeout: 90_000 }, async () => {
  const loadsBefore = loads;
  await go(page, 'Print');
  await page.getByLabel('Printer').selectOption({ label: 'Office Laser' });
  await page.getByLabel('File').setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: makePdf(2, 'Console') });
  await page.getByLabel('Copies').fill('2');
  await page.getByLabel('Sides').selectOption({ label: 'Two-sided, long edge' });
  await page.getByLabel('Colour').selectOption({ label: 'Colour' });
  await page.getByLabel('Paper size').selectOption({ label: 'Letter (216 × 279 mm)' });
  await page.getByLabel('Orientation').selectOption({ label: 'Landscape' });
  await shot(page, 'print');
  await page.getByRole('button', { name: 'Print' }).click();
  await status(page).getByText('Sent “report.pdf”').waitFor({ timeout: UI_TIMEOUT });
  await go(page, 'Jobs');
  const job = page.locator('li.job', { hasText: 'report.pdf' });
  await job.and(page.locator('[data-state="DONE"]')).waitFor({ timeout: 30_000 });
  await job.getByText('2 pages printed').waitFor();
  assert.equal(loads, loadsBefore, 'the page was never reloaded');
  await shot(page, 'jobs');
  const token = await apiToken();
  const jobs = (await cloudApi(server, 'jobs', { printerid: printerId }, { token })).body.jobs as Array<Record<string, any>>;
  const ticket = await (await fetch(`${server.url}/cloudprint/ticket?jobid=${jobs[0]!.id}`, { headers: { authorization: `Bearer ${token}` } })).json();
  assert.deepEqual(ticket.print.copies, { copies: 2 });
  assert.deepEqual(ticket.print.duplex, { type: 'LONG_EDGE' });
  assert.equal(ticket.print.color.type, 'STANDARD_COLOR');
  assert.equal(ticket.print.media_size.width_microns, 215900);
  assert.deepEqual(ticket.print.page_orientation, { type: 'LANDSCAPE' });
});

test('print: a file type the printer does not take is refused before upload', { timeout: 30_000 }, async () => {
  await go(page, 'Print');
  await page.getByLabel('Copies').waitFor({ timeout: UI_TIMEOUT });
  await page.getByLabel('File').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('plain text') });
  await page.getByRole('button', { name: 'Print' }).click();
  await status(page).getByText('Office Laser cannot print text/plain files (it takes application/pdf, image/pwg-raster, application/postscript)').waitFor({ timeout: UI_TIMEOUT });
  await go(page, 'Printers');
  // The refusal goes with the page it was about.
  await waitFor('the refusal to go', async () => (await status(page).textContent()) === '', UI_TIMEOUT);
});

test('a jam set on the printer\'s panel shows as Stopped with its reason, and clears', { timeout: 60_000 }, async () => {
  await go(page, 'Printers');
  const card = page.locator('li.card', { hasText: 'Office Laser' });
  await card.getByText('Idle').waitFor({ timeout: UI_TIMEOUT });
  await printer.panelPost('/panel/state', { jam: true });
  await card.getByText('Stopped').waitFor({ timeout: UI_TIMEOUT });
  await card.getByText('Paper jam').first().waitFor();
  await shot(page, 'printers-stopped');
  await go(page, 'Print');
  await page.getByText('This printer is stopped (Paper jam): the job will wait until it is fixed.').waitFor({ timeout: UI_TIMEOUT });
  await go(page, 'Printers');
  // A re-read that fails says so, and the message goes when the next one works.
  await page.route('**/cloudprint/search', (route) => route.abort('connectionrefused'));
  await printer.panelPost('/panel/state', { jam: false });
  await status(page).getByText('Could not refresh').waitFor({ timeout: UI_TIMEOUT });
  await page.unroute('**/cloudprint/search');
  await printer.panelPost('/panel/state', { toner: 50 });
  await card.getByText('Idle').waitFor({ timeout: UI_TIMEOUT });
  assert.equal(await card.getByText('Paper jam').count(), 0, 'the reason goes with the fault');
  await waitFor('the stale error to go', async () => (await status(page).textContent()) === '', UI_TIMEOUT);
});

test('local settings: the owner saves them as pending, and the page shows when the printer applied them', { timeout: 60_000 }, async () => {
  await go(page, 'Printers');
  const card = page.locator('li.card', { hasText: 'Office Laser' });
  await card.getByText('Details').click();
  const tokens = card.getByLabel('Local access tokens');
  await tokens.waitFor({ timeout: UI_TIMEOUT });
  assert.equal(await tokens.isChecked(), true);
  await card.locator('[data-settings="applied"]').waitFor({ timeout: UI_TIMEOUT });
  await tokens.uncheck();
  await card.getByLabel('Keep-alive of its push connection (seconds)').fill('240');
  await card.getByRole('button', { name: 'Save settings' }).click();
  await status(page).getByText('Settings of Office Laser saved').waitFor({ timeout: UI_TIMEOUT });
  // The device hears of the pending settings, applies them and reports them as current; the page follows without a reload.
  await card.locator('[data-settings="applied"][data-keepalive="240"]').waitFor({ timeout: UI_TIMEOUT });
  await page.evaluate(AXE_SOURCE);
  assert.deepEqual(await seriousViolations(page), [], 'the settings form passes axe-core');
  const settings = (await cloudApi(server, 'printer', { printerid: printerId }, { token: await apiToken() })).body.printers[0].local_settings;
  assert.equal(settings.current.access_token_enabled, false);
  assert.equal(settings.current.xmpp_timeout_value, 240);
  assert.deepEqual(settings.pending, settings.current, 'nothing waits any more');
  await shot(page, 'printers-settings');
  await card.getByText('Details').click();
});

test('keyboard: skip link first, a page change focuses its heading, a confirmation focuses "Keep it" and Escape closes it', { timeout: 30_000 }, async () => {
  await page.goto(`${server.url}/console/#printers`);
  await page.reload();
  await page.getByRole('heading', { name: 'Printers', level: 1 }).waitFor({ timeout: UI_TIMEOUT });
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.getByRole('link', { name: 'Jobs', exact: true }).focus();
  await page.keyboard.press('Enter');
  await waitFor('focus on the heading', () => page.evaluate(() => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Jobs'), UI_TIMEOUT);
  await page.getByRole('button', { name: 'Delete report.pdf' }).focus();
  await page.keyboard.press('Enter');
  await waitFor('focus on Keep it', () => page.evaluate(() => document.activeElement?.textContent === 'Keep it'), UI_TIMEOUT);
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
  assert.equal(await page.locator('li.job', { hasText: 'report.pdf' }).count(), 1);
});

test('sharing: an unknown email says so; a shared user sees the printer and prints to it', { timeout: 90_000 }, async () => {
  await go(page, 'Sharing');
  await page.getByLabel('Email').fill('nobody@example.com');
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await status(page).getByText('No account uses nobody@example.com yet').waitFor({ timeout: UI_TIMEOUT });
  await page.getByLabel('Email').fill(friend.email);
  await page.getByLabel('Role').selectOption('USER');
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await page.locator('.shares').getByText(`${friend.email} · Can print`).waitFor({ timeout: UI_TIMEOUT });
  await shot(page, 'sharing');

  const friendContext = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    const friendPage = await friendContext.newPage();
    await signIn(friendPage, friend);
    const card = friendPage.locator('li.card', { hasText: 'Office Laser' });
    await card.getByText(`Shared with you by ${owner.email}`).waitFor({ timeout: UI_TIMEOUT });
    await go(friendPage, 'Print');
    await friendPage.getByLabel('File').setInputFiles({ name: 'friend.pdf', mimeType: 'application/pdf', buffer: makePdf(1, 'Friend') });
    await friendPage.getByRole('button', { name: 'Print' }).click();
    await status(friendPage).getByText('Sent “friend.pdf”').waitFor({ timeout: UI_TIMEOUT });
    await go(friendPage, 'Jobs');
    await friendPage.locator('li.job[data-state="DONE"]', { hasText: 'friend.pdf' }).waitFor({ timeout: 30_000 });
  } finally {
    await friendContext.close();
  }
  // The owner's jobs page shows what others printed on the printer.
  await go(page, 'Jobs');
  await page.locator('li.job[data-state="DONE"]', { hasText: `friend.pdf` }).getByText(`by ${friend.email}`).waitFor({ timeout: UI_TIMEOUT });
});

test('cancel: a queued job is cancelled after confirmation and shows why', { timeout: 60_000 }, async () => {
  // With the printer gone, a job stays queued, and changed settings wait.
  await printer.stop();
  await go(page, 'Printers');
  const card = page.locator('li.card', { hasText: 'Office Laser' });
  await card.getByText('Details').click();
  await card.getByLabel('Local access tokens').check();
  await card.getByRole('button', { name: 'Save settings' }).click();
  await card.locator('[data-settings="pending"]').getByText('waiting for the printer to apply them').waitFor({ timeout: UI_TIMEOUT });
  await card.getByText('Details').click();
  await go(page, 'Print');
  // A 600 KB document over an upload throttled to 300 KB/s: the progress bar shows while it goes.
  const padded = Buffer.concat([makePdf(1, 'Waiting'), Buffer.from(`%${'x'.repeat(600 * 1024)}\n`)]);
  await page.getByLabel('File').setInputFiles({ name: 'waiting.pdf', mimeType: 'application/pdf', buffer: padded });
  const cdp = await ownerContext.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 300 * 1024 });
  try {
    await page.getByRole('button', { name: 'Print' }).click();
    const bar = page.getByRole('progressbar', { name: 'Uploading' });
    await bar.waitFor({ timeout: UI_TIMEOUT });
    await waitFor('upload under way', async () => Number(await bar.getAttribute('value').catch(() => '0')) > 0, UI_TIMEOUT, 20);
    await shot(page, 'print-uploading');
    await status(page).getByText('Sent “waiting.pdf”').waitFor({ timeout: UI_TIMEOUT });
  } finally {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
  }
  await go(page, 'Jobs');
  const job = page.locator('li.job', { hasText: 'waiting.pdf' });
  await job.and(page.locator('[data-state="QUEUED"]')).waitFor({ timeout: UI_TIMEOUT });
  await job.getByRole('button', { name: 'Cancel waiting.pdf' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Cancel “waiting.pdf”?').waitFor();
  await shot(page, 'jobs-cancel-dialog');
  await dialog.getByRole('button', { name: 'Cancel job' }).click();
  await job.and(page.locator('[data-state="ABORTED"]')).waitFor({ timeout: UI_TIMEOUT });
  await job.getByText('Aborted').waitFor();
  await job.getByText('cancelled').waitFor();
});

test('account: an API token is created with a name, shown once, works, and is revoked after confirmation', { timeout: 60_000 }, async () => {
  await go(page, 'Account');
  await page.getByLabel('Name', { exact: true }).fill('nightly report');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = page.getByLabel('Your new token “nightly report”', { exact: false });
  await secret.waitFor({ timeout: UI_TIMEOUT });
  const token = await secret.inputValue();
  assert.equal((await cloudApi(server, 'search', {}, { token })).body.success, true, 'the shown secret is a working API token');
  await page.evaluate(AXE_SOURCE);
  assert.deepEqual(await seriousViolations(page), [], 'the page with a new secret passes axe-core');
  await shot(page, 'account-token-created');
  await page.getByRole('button', { name: 'Done' }).click();
  assert.equal(await page.getByText(token).count(), 0, 'the secret is gone from the page');
  // A second token stays, so later pages show a list.
  await page.getByLabel('Name', { exact: true }).fill('kept');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByRole('button', { name: 'Revoke kept' }).waitFor({ timeout: UI_TIMEOUT });
  await page.getByRole('button', { name: 'Revoke nightly report' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Revoke the token “nightly report”?').waitFor();
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await status(page).getByText('Token “nightly report” revoked').waitFor({ timeout: UI_TIMEOUT });
  assert.equal(await page.getByRole('button', { name: 'Revoke nightly report' }).count(), 0);
  assert.equal((await cloudApi(server, 'search', {}, { token })).status, 401, 'the revoked token no longer works');
});

test('account: a device code is approved in the console, and the device gets its grant', { timeout: 60_000 }, async () => {
  const start = await fetch(`${server.url}/oauth2/device/code`, { method: 'POST', body: new URLSearchParams({ client_id: 'browser-test' }) });
  const flow = (await start.json()) as { device_code: string; user_code: string };
  await go(page, 'Account');
  await page.getByLabel('Code the device shows').fill('NOTA-CODE');
  await page.getByRole('button', { name: 'Allow' }).click();
  await status(page).getByText('That code is unknown, expired or already used').waitFor({ timeout: UI_TIMEOUT });
  await page.getByLabel('Code the device shows').fill(flow.user_code);
  await page.getByRole('button', { name: 'Allow' }).click();
  await status(page).getByText('Device connected').waitFor({ timeout: UI_TIMEOUT });
  await shot(page, 'account-device-approved');
  const grant = await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: flow.device_code, client_id: 'browser-test' }) });
  assert.equal(grant.status, 200);
  const accessToken = String(((await grant.json()) as Record<string, unknown>).access_token);
  assert.equal((await server.context.accounts.authenticate(accessToken))?.email, owner.email);
});

test('at 375 px no page scrolls sideways; every page is screenshot', { timeout: 60_000 }, async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  for (const name of PAGES) {
    await page.goto(`${server.url}/console/#${name}`);
    await page.getByRole('navigation', { name: 'Console' }).waitFor({ timeout: UI_TIMEOUT });
    await page.waitForTimeout(300);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `#${name} is ${width} px wide at 375 px`);
    await shot(page, `375-${name}`);
  }
});

test('axe-core finds no serious or critical accessibility violation on any page', { timeout: 90_000 }, async () => {
  await page.setViewportSize({ width: 1100, height: 900 });
  const found: string[] = [];
  for (const name of PAGES) {
    await page.goto(`${server.url}/console/#${name}`);
    await page.getByRole('navigation', { name: 'Console' }).waitFor({ timeout: UI_TIMEOUT });
    await page.waitForTimeout(300);
    // evaluate is not subject to the page's CSP (an injected <script> would be).
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const result = await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run();
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, count: v.nodes.length }));
    });
    for (const v of violations) if (v.impact === 'serious' || v.impact === 'critical') found.push(`#${name}: ${v.id} (${v.impact}, ${v.count})`);
  }
  assert.deepEqual(found, []);
});

test('rename, then delete a printer after confirmation', { timeout: 60_000 }, async () => {
  await go(page, 'Printers');
  const card = page.locator('li.card', { hasText: 'Office Laser' });
  await card.getByRole('button', { name: 'Rename' }).click();
  await card.getByLabel('New name').fill('Front Desk');
  await card.getByRole('button', { name: 'Save' }).click();
  await status(page).getByText('Renamed to “Front Desk”').waitFor({ timeout: UI_TIMEOUT });
  const renamed = page.locator('li.card', { hasText: 'Front Desk' });
  await renamed.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click();
  assert.equal(await renamed.count(), 1, 'Keep it keeps it');
  await renamed.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete printer' }).click();
  await page.getByText('No printers yet').waitFor({ timeout: UI_TIMEOUT });
});

test('sign-out ends the session: a reload shows the sign-in form, which axe-core also passes', { timeout: 30_000 }, async () => {
  await page.goto(`${server.url}/console/#account`);
  await page.getByRole('button', { name: 'Sign out', exact: true }).last().click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: UI_TIMEOUT });
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: UI_TIMEOUT });
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => (await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string }> }> } }).axe.run()).violations.map((v) => `${v.id} (${v.impact})`));
  assert.deepEqual(violations.filter((v) => /serious|critical/.test(v)), []);
});

test('a session outlives its access token: silent refresh, and a reload keeps it', { timeout: 60_000 }, async () => {
  const short = await startTestServer({ accessTokenTtlSeconds: 2 });
  const context = await browser.newContext();
  try {
    const who = await user(short, 'brief@example.com');
    const brief = await context.newPage();
    await signIn(brief, who, short.url);
    await brief.waitForTimeout(5000);
    await go(brief, 'Jobs');
    await brief.getByText('0 of 0 jobs').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await status(brief).textContent(), '');
    await brief.reload();
    await brief.getByRole('navigation', { name: 'Console' }).waitFor({ timeout: UI_TIMEOUT });
    await brief.getByText('brief@example.com').first().waitFor();
  } finally {
    await context.close();
    await short.stop();
  }
});
