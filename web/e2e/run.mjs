// End-to-end test: starts the real server (`qv serve --port 0` on a fresh
// data directory), drives Debian's chromium through playwright-core, and
// checks: sign up → compose a Bell circuit by drag and drop → run 1,000 shots
// → histogram with only 00 and 11, each 40–60 % → the job in the list →
// create and revoke an API key; axe-core on each page (no serious or
// critical violations); the committed openapi.json matches the server's.
// Screenshots go to web/test-results/.
//
// Env: QV_BIN (default ../target/debug/qv), CHROMIUM (default /usr/bin/chromium),
// E2E_HEADED=1 to watch.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.env.QV_BIN ?? resolve(web, '../target/debug/qv');
const browserPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const out = join(web, 'test-results');
mkdirSync(out, { recursive: true });
rmSync(join(out, 'failure.png'), { force: true });

const log = (...a) => console.log('[e2e]', ...a);

/** Starts the server; resolves with its base URL once it logs its address. */
function startServer(dataDir) {
  const child = spawn(bin, ['serve', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
  });
  let logText = '';
  const url = new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not report its address in 60 s:\n${logText}`)), 60_000);
    const onData = (chunk) => {
      logText += chunk;
      const m = /listening on (http:\/\/[\d.:[\]]+)/.exec(logText) ?? /"url":"(http:\/\/[^"]+)"/.exec(logText);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${logText}`)));
    child.on('error', reject);
  });
  return { child, url, log: () => logText };
}

const canonical = (v) =>
  Array.isArray(v) ? v.map(canonical)
    : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]))
      : v;

async function axe(page, name) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = results.violations.length - bad.length;
  if (bad.length) {
    const detail = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary ?? '').replace(/\n/g, ' ')).join('\n  ')}`).join('\n');
    throw new Error(`axe on ${name}: ${bad.length} serious/critical violation(s)\n${detail}`);
  }
  log(`axe ${name}: no serious/critical violations${minor ? ` (${minor} minor/moderate)` : ''}`);
}

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits) of a base32 secret. */
function totp(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

async function shot(page, name) {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
}

const dataDir = mkdtempSync(join(tmpdir(), 'qv-e2e-'));
const server = startServer(dataDir);
let browser;
let page;
let failed = false;
try {
  const base = await server.url;
  log('server at', base);

  // Generated API types must match the running server's document.
  const live = await (await fetch(`${base}/api/openapi.json`)).json();
  const committed = JSON.parse(readFileSync(join(web, 'openapi.json'), 'utf8'));
  if (JSON.stringify(canonical(live)) !== JSON.stringify(canonical(committed))) {
    const differing = (a = {}, b = {}) =>
      [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(canonical(a[k])) !== JSON.stringify(canonical(b[k])));
    throw new Error('web/openapi.json is stale (differs from the server\'s /api/openapi.json in paths ['
      + differing(live.paths, committed.paths).join(', ') + '], schemas ['
      + differing(live.components?.schemas, committed.components?.schemas).join(', ')
      + ']): run `npm run update:api <server url>` in web/ and commit openapi.json and src/api/schema.d.ts');
  }
  log('openapi.json is current');

  browser = await chromium.launch({
    executablePath: browserPath,
    headless: !process.env.E2E_HEADED,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  page.on('pageerror', (e) => log('page error:', e.message));
  // The server's Content-Security-Policy must not block anything the app does.
  const cspViolations = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.setDefaultTimeout(20_000);

  // Login page (unauthenticated root redirects there).
  await page.goto('/');
  await page.waitForURL('**/login');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await axe(page, 'login');
  await shot(page, 'login');

  // Sign up (signs in straight away).
  const user = `e2e_${Date.now().toString(36)}`;
  const password = 'correct horse battery';
  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await axe(page, 'signup');
  await page.getByLabel('Email').fill(`${user}@example.org`);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await shot(page, 'signup');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: `Welcome, ${user}` }).waitFor();
  log('signed up as', user);
  await axe(page, 'dashboard');
  await shot(page, 'dashboard');

  // Compose a Bell circuit by drag and drop.
  await page.getByRole('link', { name: 'Composer' }).click();
  await page.locator('[data-gate="h"]').waitFor();
  await page.getByText('Program is valid.').waitFor();
  await page.dragAndDrop('[data-gate="h"]', '[data-testid="cell-0-0"]');
  await page.dragAndDrop('[data-gate="cx"]', '[data-testid="cell-0-1"]');
  await page.dragAndDrop('[data-gate="measure"]', '[data-testid="cell-0-2"]');
  await page.dragAndDrop('[data-gate="measure"]', '[data-testid="cell-1-2"]');
  const editor = page.locator('[data-testid="qasm-editor"] .cm-content');
  const text = async () => (await editor.innerText()).replace(/\u00a0/g, ' ');
  await page.waitForFunction(() => document.querySelector('[data-testid="qasm-editor"] .cm-content')?.textContent?.includes('measure q[1] -> c[1];'));
  const qasm = await text();
  for (const line of ['qreg q[2];', 'creg c[2];', 'h q[0];', 'cx q[0],q[1];', 'measure q[0] -> c[0];', 'measure q[1] -> c[1];']) {
    assert.ok(qasm.includes(line), `composer text lacks "${line}":\n${qasm}`);
  }
  await page.getByText('Program is valid.').waitFor();
  log('composed Bell circuit by drag and drop');

  // Text → grid: an error shows inline, a fix updates the grid.
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\nfoo q[0];');
  const err = page.locator('[data-testid="parse-error"]').first();
  await err.waitFor();
  assert.match(await err.innerText(), /Line 10, column 1: .*foo/);
  await axe(page, 'composer');
  await shot(page, 'composer');
  for (let i = 0; i < 'foo q[0];'.length + 1; i++) await page.keyboard.press('Backspace');
  await page.getByText('Program is valid.').waitFor();
  log('inline parse error shown and cleared');

  // Run 1,000 shots.
  await page.getByLabel('Shots').fill('1000');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.waitForURL(/\/jobs\/[^/]+$/);
  const jobId = page.url().split('/').pop();
  log('submitted job', jobId);
  await page.locator('[data-testid="count-row"]').first().waitFor({ timeout: 60_000 });
  const rows = await page.locator('[data-testid="count-row"]').evaluateAll((els) =>
    els.map((e) => [e.getAttribute('data-outcome'), Number(e.getAttribute('data-count'))]));
  const counts = Object.fromEntries(rows);
  log('counts', JSON.stringify(counts));
  assert.deepEqual(Object.keys(counts).sort(), ['00', '11'], `unexpected outcomes ${JSON.stringify(counts)}`);
  const total = counts['00'] + counts['11'];
  assert.equal(total, 1000);
  for (const k of ['00', '11']) assert.ok(counts[k] >= 400 && counts[k] <= 600, `${k} is ${counts[k] / 10}% of shots`);
  assert.equal(await page.getByTestId('job-status').first().innerText(), 'COMPLETED');
  const label = await page.getByTestId('histogram').getAttribute('aria-label');
  assert.ok(label.includes('00:') && label.includes('11:') && !label.includes('01:'), label);
  await page.getByRole('heading', { name: 'State amplitudes' }).waitFor();
  await page.getByRole('region', { name: 'Circuit drawing' }).waitFor();
  await axe(page, 'job');
  await shot(page, 'job');
  // Without this browser's copy of the program, the server's draws it and re-runs it.
  await page.evaluate(() => localStorage.removeItem('qv.programs'));
  await page.reload();
  await page.getByRole('region', { name: 'Circuit drawing' }).waitFor();
  assert.ok(await page.getByRole('button', { name: 'Re-run' }).isEnabled(), 'Re-run is enabled from the served program');

  // The job appears in the list.
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  await page.locator(`[data-testid="job-row"][data-job-id="${jobId}"]`).waitFor();
  await axe(page, 'jobs');
  await shot(page, 'jobs');
  log('job listed');

  // Create and revoke an API key; the key works until revoked.
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  await page.getByLabel('Key name').fill('e2e key');
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = (await page.getByTestId('new-key-value').innerText()).trim();
  assert.match(key, /^qv_[A-Za-z0-9_-]{20,}$/);
  const me = (k) => fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${k}` } });
  assert.equal((await me(key)).status, 200, 'the new key authenticates');
  await page.locator('[data-testid="key-row"][data-key-name="e2e key"]').waitFor();
  await axe(page, 'account');
  await shot(page, 'account');
  await page.getByRole('button', { name: 'Revoke key e2e key' }).click();
  await page.locator('[data-testid="key-row"][data-key-name="e2e key"]').waitFor({ state: 'detached' });
  assert.equal((await me(key)).status, 401, 'the revoked key is refused');
  log('API key created, used and revoked');

  // MFA enrolment shows a locally generated QR code.
  await page.getByRole('button', { name: 'Set up' }).click();
  await page.getByRole('img', { name: 'QR code for the authenticator app' }).locator('svg').waitFor();
  await axe(page, 'account-mfa');
  await shot(page, 'account-mfa');

  // Enable TOTP with a code computed here; recovery codes are shown.
  const secret = (await page.locator('code', { hasText: /^[A-Z2-7=]{16,}$/ }).first().innerText()).trim();
  await page.getByRole('textbox', { name: 'Code' }).fill(totp(secret));
  await page.getByRole('button', { name: 'Enable' }).click();
  await page.getByText('Save these recovery codes').waitFor();
  const recovery = (await page.locator('li').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  assert.ok(recovery.length >= 1, 'recovery codes shown');
  log('TOTP enabled;', recovery.length, 'recovery codes');

  // Dark theme, then log out and back in (password, then the TOTP step with a recovery code).
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('heading', { name: `Welcome, ${user}` }).waitFor();
  await axe(page, 'dashboard-dark');
  await shot(page, 'dashboard-dark');
  await page.getByRole('link', { name: 'Composer' }).click();
  await page.locator('[data-gate="h"]').waitFor();
  await axe(page, 'composer-dark');
  await shot(page, 'composer-dark');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL('**/login');
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByLabel('Authentication code').fill(recovery[0]);
  await axe(page, 'login-totp');
  await shot(page, 'login-totp');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: `Welcome, ${user}` }).waitFor();
  log('logged out and in again with the TOTP step');

  // An expired/invalid access token is refreshed transparently.
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('qv.session'));
    localStorage.setItem('qv.session', JSON.stringify({ ...s, access: 'invalid' }));
  });
  await page.reload();
  await page.getByRole('heading', { name: `Welcome, ${user}` }).waitFor();
  const after = await page.evaluate(() => JSON.parse(localStorage.getItem('qv.session')).access);
  assert.notEqual(after, 'invalid', 'the access token was refreshed');
  log('access token refreshed after a 401');

  // Keyboard placement: select a gate, then a cell with Enter.
  await page.getByRole('link', { name: 'Composer' }).click();
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.locator('[data-gate="x"]').focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="cell-1-0"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="qasm-editor"] .cm-content')?.textContent?.includes('x q[1];'));
  log('keyboard placement works');

  await shot(page, 'composer-keyboard');
  if (cspViolations.length) throw new Error(`CSP blocked: ${cspViolations.join(' | ')}`);
  log('no Content-Security-Policy violations');
  log('PASS');
} catch (e) {
  failed = true;
  console.error('[e2e] FAIL:', e?.stack ?? e);
  if (page) {
    await page.screenshot({ path: join(out, 'failure.png'), fullPage: true }).catch(() => undefined);
    const alerts = await page.getByRole('alert').allInnerTexts().catch(() => []);
    console.error('[e2e] at', page.url(), alerts.length ? `alerts: ${alerts.join(' | ')}` : '');
  }
  console.error('[e2e] server log tail:\n' + server.log().split('\n').slice(-30).join('\n'));
} finally {
  await browser?.close().catch(() => undefined);
  server.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
