// Drives Debian's chromium (playwright-core) against a `pxevirt up` started by the test:
// builds the UI first, signs in with the daemon's token, saves screenshots as artifacts.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.ts';
import type { DaemonProcess } from '../api/daemon-process.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots the README links to (build/ is gitignored). */
export const ARTIFACTS = join(ROOT, 'build/artifacts');

/** Why browser tests cannot run here, or undefined. */
export function browserUnavailable(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `chromium is not installed at ${CHROMIUM} (Debian package chromium)`;
}

let built: Promise<unknown> | undefined;

/** Builds the UI once per test process (what `make setup` does). */
export function ensureUiBuilt(): Promise<unknown> {
  built ??= buildWeb();
  return built;
}

/** A headless chromium, closed after the test. */
export async function launchBrowser(t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu', '--disable-dev-shm-usage'] });
  t.after(() => browser.close());
  return browser;
}

/** A fresh browser profile (no cookies) that accepts the daemon's self-signed certificate. */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1360, height: 900 } });
}

/** The daemon's base URL. */
export const baseUrl = (d: DaemonProcess) => `https://127.0.0.1:${d.port}`;

/** Opens the daemon's root and signs in through the form; resolves on the overview. */
export async function signIn(context: BrowserContext, d: DaemonProcess): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${baseUrl(d)}/`);
  await page.waitForURL(/\/ui\/login$/);
  await page.fill('input[name=token]', d.token);
  await page.click('button[type=submit]');
  await page.waitForSelector('#vmis');
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
  return page;
}

/** Saves a screenshot under build/artifacts/NAME.png; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
