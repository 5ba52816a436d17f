// The safety desk in a real browser (issue 21): Debian's Chromium, headless, driven over the
// DevTools protocol by puppeteer-core, against the real pvmond on a loopback port with a temporary
// database. The scenario: a site signs in, enrols a subject, files an AE with one wrong field, sees
// the error beside it, corrects it; an officer signs in, sees the alert at the top of the inbox,
// opens the case, acknowledges it; the DSMB signs in and opens a report; each role is refused the
// others' pages; a forged POST without the CSRF token is refused. Every page is checked with
// axe-core (no serious or critical violation) and photographed into the build folder.
//
// node desk.test.mjs --pvmond PATH --pvmon PATH --config PATH --out DIR
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

function args() {
  const a = {};
  for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  for (const k of ['pvmond', 'config', 'out']) if (!a[k]) throw new Error(`missing --${k}`);
  return a;
}

function findChromium() {
  for (const p of [process.env.PVMON_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  throw new Error('no Chromium: install Debian\'s chromium (scripts/setup.sh does) or set PVMON_CHROMIUM');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts pvmond on 127.0.0.1:0 with a fresh data folder; resolves with its base URL. */
async function startDaemon(opt, dataDir) {
  mkdirSync(dataDir, { recursive: true });
  const log = join(opt.out, 'pvmond.log');
  const child = spawn(opt.pvmond, ['--config', opt.config, '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const chunks = [];
  child.stderr.on('data', (d) => chunks.push(d));
  child.on('exit', () => writeFileSync(log, Buffer.concat(chunks)));
  const addrFile = join(dataDir, 'pvmond.addr');
  for (let i = 0; i < 1500; i++) {
    if (child.exitCode !== null) throw new Error('pvmond exited: ' + Buffer.concat(chunks).toString());
    if (existsSync(addrFile)) {
      const addr = readFileSync(addrFile, 'utf8').split('\n')[0].trim();
      const base = `http://${addr}`;
      try {
        const r = await fetch(`${base}/healthz`);
        if (r.ok) return { child, base, log: () => Buffer.concat(chunks).toString() };
      } catch { /* not yet */ }
    }
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error('pvmond did not come up in 30 s: ' + Buffer.concat(chunks).toString());
}

/** The JSON API with a bearer token (set-up and cross-checks only; the scenario uses the desk). */
async function api(base, token, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

const results = [];
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e.stack || e}`);
    throw e;
  }
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const axeReports = [];

/** axe-core on the page as it is: no serious or critical violation (WCAG 2.x A/AA rules). */
async function checkA11y(page, label) {
  // The desk's CSP allows scripts from its own origin only: the check's script is injected by
  // the test with CSP bypassed for this page (setBypassCSP), never served by pvmond.
  await page.evaluate(axeSource);
  const res = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeReports.push({ page: label, url: page.url(), violations: res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })) });
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} ${n.html.slice(0, 120)} ${n.failureSummary || ''}`).join(' | ')}${v.nodes.length > 4 ? ` and ${v.nodes.length - 4} more` : ''}`),
    [],
    `axe-core on ${label}`);
}

let shotNo = 0;
let outDir = '.';
async function visit(page, label) {
  await checkA11y(page, label);
  shotNo += 1;
  const file = join(outDir, `${String(shotNo).padStart(2, '0')}-${label}.png`);
  await page.screenshot({ path: file, fullPage: true });
  // The README's two pictures (docs/desk-*.png are copies of these): the top of the page only.
  if (label === 'officer-inbox' || label === 'site-ae-error') {
    // The AE form's picture is around the field in error.
    // The inbox's: its counts and the top of the worklist.
    const y = label === 'site-ae-error'
      ? await page.$eval('#resolved', (e) => Math.max(0, e.getBoundingClientRect().top + window.scrollY - 380))
      : await page.$eval('#inbox', (e) => Math.max(0, e.getBoundingClientRect().top + window.scrollY - 110));
    await page.screenshot({ path: join(outDir, `readme-${label}.png`), clip: { x: 0, y, width: 1000, height: 600 } });
  }
}

async function signIn(browser, base, token) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setBypassCSP(true);
  await page.setViewport({ width: 1000, height: 760 });
  await page.goto(`${base}/desk/`);
  assert.match(page.url(), /\/desk\/sign-in$/);
  await page.type('#token', token);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  return { ctx, page };
}

/** Status of a GET as the browser makes it (the page's own session). */
async function statusOf(page, base, path) {
  const r = await page.goto(base + path);
  return r.status();
}

async function text(page, selector) {
  return page.$eval(selector, (e) => e.textContent.trim());
}

export async function main() {
  const opt = args();
  rmSync(opt.out, { recursive: true, force: true });
  mkdirSync(opt.out, { recursive: true });
  outDir = opt.out;
  const tmp = mkdtempSync(join(tmpdir(), 'pvmon-browser-'));
  let daemon;
  let browser;
  try {
    daemon = await startDaemon(opt, join(tmp, 'data'));
    const { base } = daemon;
    browser = await puppeteer.launch({
      executablePath: findChromium(),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
    const scenario = await import(join(here, 'scenario.mjs'));
    await scenario.run({ browser, base, opt, step, visit, signIn, statusOf, text, api, assert });
  } finally {
    if (browser) await browser.close();
    if (daemon) daemon.child.kill('SIGTERM');
    writeFileSync(join(opt.out, 'axe-report.json'), JSON.stringify(axeReports, null, 2));
    if (!process.env.PVMON_KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} of ${results.length} steps passed; screenshots in ${opt.out}`);
  if (failed) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exitCode = 1;
});
