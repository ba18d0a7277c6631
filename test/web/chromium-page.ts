import type { Page } from "playwright-core";
import { findChromium } from "../helpers/chromium-browser.js";
import { skipWhenMissing } from "../helpers/optional-part.js";

export { launchChromium } from "../helpers/chromium-browser.js";

/** The `skip` option of every test that drives the page: the reason when there is no browser (never under CI=true). */
export const skipWithoutBrowser = skipWhenMissing("Chromium", findChromium().missing);

/**
 * What a page did that a clean page must not: console errors (CSP violations
 * land there too), uncaught exceptions, requests to anywhere but `origin`,
 * and failed requests (other than fetches the page abandoned itself).
 */
export interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  outside: string[];
  failed: string[];
  /** every request the page made (to show the check saw traffic) */
  requests: string[];
}

export function watchPage(page: Page, origin: string): PageProblems {
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], outside: [], failed: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning")
      problems.consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.pageErrors.push(e.message));
  page.on("request", (r) => {
    problems.requests.push(r.url());
    if (new URL(r.url()).origin !== origin) problems.outside.push(r.url());
  });
  page.on("requestfailed", (r) => {
    // a pane abandons its previous latent's fetch when another is opened: not a failure
    const why = r.failure()?.errorText ?? "";
    if (why !== "net::ERR_ABORTED") problems.failed.push(`${r.url()}: ${why}`);
  });
  return problems;
}
