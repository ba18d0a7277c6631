/**
 * The feature browser page driven in headless Chromium (playwright-core), with
 * every time taken inside the page (performance.now(), so no round trips to
 * this process are counted): an action is started, the page's own code runs,
 * the expected element appears (a MutationObserver), and a geometry read
 * forces style and layout; `…FrameMs` goes on to the next animation frame.
 */
import type { Browser, Page } from "playwright-core";
import { launchChromium as launchTestChromium } from "../test/helpers/chromium-browser.js";

// The few DOM names the in-page functions use (this project compiles without the DOM library);
// those functions run in the page, where these are the real globals.
interface PageElement {
  click(): void;
  value: string;
  dispatchEvent(event: unknown): boolean;
  getBoundingClientRect(): unknown;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): { length: number };
  dataset: Record<string, string | undefined>;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
  body: PageElement | null;
};
declare const MutationObserver: new (
  callback: () => void,
) => {
  observe(target: unknown, options: Record<string, unknown>): void;
  disconnect(): void;
};
declare const Event: new (type: string) => unknown;
declare const requestAnimationFrame: (callback: () => void) => number;

/** The browser the tests use (test/helpers/chromium-browser.ts); this process stops it itself, on exit and on signals. */
export function launchChromium(): Promise<Browser> {
  return launchTestChromium({ handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
}

export interface Timed {
  /** action to the element drawn and laid out */
  ms: number;
  /** … to the next animation frame */
  frameMs: number;
}

export interface PageRun {
  /** from navigation start to the first list rows in the DOM, per pane, and to the page's ready mark */
  firstRowsMs: number[];
  readyMs: number;
  sortNumeric: Timed;
  sortText: Timed;
  search: Timed;
  searchMatches: string;
  clearSearch: Timed;
  /** the latent opened in pane a, and the other SAE's neighbour then opened in pane b */
  latent: number;
  openLatent: Timed;
  other: number;
  openOther: Timed;
  /** list rows in the DOM per pane, and all elements, once the lists are shown */
  domRows: number[];
  domElements: number;
  jsHeapMiB: number;
  problems: string[];
}

const pane = (key: string) => `[data-pane="${key}"]`;
const keys = ["a", "b"];

/** One visit in a fresh context (no cache): load, sort, search, open `latent` in pane a, then its neighbour in b. */
export async function pageRun(
  browser: Browser,
  url: string,
  latent: number,
  query: string,
): Promise<PageRun> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    await page.addInitScript(watchFirstRows, keys);
    await page.goto(url);
    await page.waitForFunction(
      (wanted) => {
        const marks = (globalThis as unknown as { __benchMarks: Record<string, number> }).__benchMarks;
        return wanted.every((k) => marks[k] !== undefined) && marks.ready !== undefined;
      },
      keys,
      { timeout: 60_000 },
    );
    const marks = await page.evaluate(
      () => (globalThis as unknown as { __benchMarks: Record<string, number> }).__benchMarks,
    );
    const domRows: number[] = await page.evaluate(
      (selectors) => selectors.map((s) => document.querySelectorAll(s).length),
      keys.map((k) => `${pane(k)} .list-spacer .list-row`),
    );
    const domElements = await page.evaluate(() => document.querySelectorAll("*").length);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable");
    const { metrics } = await cdp.send("Performance.getMetrics");
    const jsHeap = metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? Number.NaN;

    const a = pane("a");
    const sortNumeric = await timed(page, {
      target: `${a} .list-head button[title="sort by AUROC of the token norm for firing"]`,
    });
    const sortText = await timed(page, {
      target: `${a} .list-head button[title="sort by best concept by F1"]`,
    });
    const search = await timed(page, { target: `${a} input.search`, fill: query });
    const searchMatches = (await page.locator(`${a} .list-count`).textContent()) ?? "";
    const clearSearch = await timed(page, { target: `${a} input.search`, fill: "" });

    // The latent's row, found by its number (not timed), then clicked.
    await page.locator(`${a} input.search`).fill(String(latent));
    await page.locator(`${a} .list-row[data-latent="${latent}"]`).waitFor();
    const openLatent = await timed(page, {
      target: `${a} .list-row[data-latent="${latent}"]`,
      until: `${a} .latent-view[data-latent="${latent}"] .top-contexts .context`,
    });
    const charts = await page.evaluate(
      (view) => ({
        bars: document.querySelectorAll(`${view} .histogram rect.bar`).length,
        points: document.querySelectorAll(`${view} .scatter circle.pt`).length,
      }),
      `${a} .latent-view`,
    );
    if (charts.bars === 0 || charts.points === 0)
      problems.push(`latent ${latent}: histogram bars ${charts.bars}, scatter points ${charts.points}`);
    const neighbour = `${a} .neighbours.nearest-other button`;
    const other = Number(await page.locator(neighbour).first().getAttribute("data-latent"));
    const openOther = await timed(page, {
      target: neighbour,
      until: `${pane("b")} .latent-view[data-latent="${other}"]`,
    });
    return {
      firstRowsMs: keys.map((k) => marks[k]!),
      readyMs: marks.ready!,
      sortNumeric,
      sortText,
      search,
      searchMatches,
      clearSearch,
      latent,
      openLatent,
      other,
      openOther,
      domRows,
      domElements,
      jsHeapMiB: jsHeap / 2 ** 20,
      problems,
    };
  } finally {
    await context.close();
  }
}

/** Runs in the page before its scripts: marks when each pane's list first has rows, and when the page is ready. */
function watchFirstRows(panes: string[]): void {
  const marks: Record<string, number> = {};
  (globalThis as unknown as { __benchMarks: Record<string, number> }).__benchMarks = marks;
  const observer = new MutationObserver(() => {
    const now = performance.now();
    for (const key of panes)
      if (marks[key] === undefined && document.querySelector(`[data-pane="${key}"] .list-spacer .list-row`))
        marks[key] = now;
    if (marks.ready === undefined && document.body?.dataset.ready === "true") marks.ready = now;
    if (panes.every((k) => marks[k] !== undefined) && marks.ready !== undefined) observer.disconnect();
  });
  observer.observe(document, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["data-ready"],
  });
}

/** Clicks `target` (or types `fill` into it), waits in the page for `until` to exist, forces layout. */
async function timed(page: Page, action: { target: string; fill?: string; until?: string }): Promise<Timed> {
  await page.locator(action.target).first().waitFor();
  return page.evaluate(
    async ({ target, fill, until }) => {
      const element = document.querySelector(target)!;
      const start = performance.now();
      if (fill === null) element.click();
      else {
        element.value = fill;
        element.dispatchEvent(new Event("input"));
      }
      if (until !== null)
        await new Promise<void>((resolve, reject) => {
          if (document.querySelector(until)) return resolve();
          const observer = new MutationObserver(() => {
            if (!document.querySelector(until)) return;
            observer.disconnect();
            clearTimeout(timer);
            resolve();
          });
          const timer = setTimeout(() => {
            observer.disconnect();
            reject(new Error(`no ${until} within 60 s`));
          }, 60_000);
          observer.observe(document, { childList: true, subtree: true });
        });
      document.body!.getBoundingClientRect();
      const ms = performance.now() - start;
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      return { ms, frameMs: performance.now() - start };
    },
    { target: action.target, fill: action.fill ?? null, until: action.until ?? null },
  );
}
