// page.evaluate callbacks run in the browser: their code is typed against the DOM.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Debian's chromium, driven by playwright-core (which never downloads a
 * browser of its own). A missing chromium fails the test with the command
 * that installs it: the console's end-to-end test is not optional.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.ROSTER_CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots are kept here (gitignored), one PNG per step, for people to look at. */
export const SCREENSHOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test-artifacts/console');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `chromium not found at ${CHROMIUM_PATH}: the admin console's end-to-end test needs Debian's chromium. ` +
        'Run `npm run test:setup` (as root it installs it) or `apt-get install -y chromium`, or set ROSTER_CHROMIUM to its path.',
    );
  }
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Chromium refuses its sandbox to root, which is who runs CI here.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * What an accessibility review checks first, on the page as it is: one h1,
 * headings that never skip a level, and a label for every visible form control.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const visible = (el: Element) => !(el as HTMLElement).closest('[hidden]') && (el as HTMLElement).offsetParent !== null;
    const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter(visible);
    const levels = headings.map((el) => Number(el.tagName[1]));
    if (levels.filter((l) => l === 1).length !== 1) problems.push(`expected one h1, found ${levels.filter((l) => l === 1).length}`);
    levels.forEach((level, i) => {
      if (i > 0 && level > levels[i - 1]! + 1) problems.push(`heading "${headings[i]!.textContent}" (h${level}) skips a level after h${levels[i - 1]}`);
    });
    for (const control of document.querySelectorAll('input, select, textarea')) {
      const c = control as HTMLInputElement;
      if (!visible(c) || c.type === 'hidden') continue;
      if (!(c.labels?.length || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby'))) problems.push(`control #${c.id || c.name} has no label`);
    }
    for (const clickable of document.querySelectorAll('[onclick], a:not([href])')) problems.push(`${clickable.tagName} acts as a button without being one`);
    return problems;
  });
}
