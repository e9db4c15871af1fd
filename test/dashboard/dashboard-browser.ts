/** The dashboard in Debian's Chromium: one context (1280x900, clipboard allowed, dialogs accepted) and one page. */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';

export interface DashboardBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
}

export async function openDashboardBrowser(origin: string): Promise<DashboardBrowser> {
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  return { browser, context, page };
}
