/**
 * Debian's Chromium (/usr/bin/chromium, never a browser download) driven by playwright-core, for everything a
 * viewer or an operator sees: hls.js pages and the dashboard.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const HLS_JS = readFileSync(require.resolve('hls.js/dist/hls.min.js'));

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export interface HlsPage {
  browser: Browser;
  page: Page;
  /** closes the browser and the page server */
  close(): Promise<void>;
}

/** `html` served from the loopback (with hls.js at /hls.js), opened in a fresh Chromium. */
export async function openHlsPage(html: string): Promise<HlsPage> {
  const pages = createServer((req, res) => {
    if (req.url === '/hls.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(HLS_JS);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(pages.address() as AddressInfo).port}/`);
    const b = browser;
    return {
      browser: b,
      page,
      close: async () => {
        await b.close();
        await new Promise((r) => pages.close(r));
      },
    };
  } catch (err) {
    await browser?.close();
    await new Promise((r) => pages.close(r));
    throw err;
  }
}
