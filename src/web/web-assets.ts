import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type PreparedBody, prepareBody } from "./prepared-body.js";

/**
 * Every file the page needs, by URL. The server reads exactly these into
 * memory at startup and answers only these URLs: no request ever becomes a
 * file-system path, so there is nothing to traverse. A page script added
 * under src/web/client/ must be listed here (a test checks the list against
 * the compiled folder).
 */
export const pageScripts = [
  "api.js",
  "chart-axes.js",
  "dom.js",
  "format.js",
  "hash-state.js",
  "histogram-chart.js",
  "latent-list.js",
  "latent-rows.js",
  "latent-view.js",
  "main.js",
  "pane.js",
  "sae-summary.js",
  "scatter-chart.js",
  "token-context.js",
  "visible-text.js",
] as const;

const html = "text/html; charset=utf-8";
const css = "text/css; charset=utf-8";
const js = "text/javascript; charset=utf-8";

export interface WebAssetFile {
  url: string;
  /** relative to this module's folder (dist/src/web/) */
  file: string;
  type: string;
}

/** The feature browser's files, by URL. */
export const webAssetFiles: readonly WebAssetFile[] = [
  { url: "/", file: "assets/index.html", type: html },
  { url: "/assets/style.css", file: "assets/style.css", type: css },
  ...pageScripts.map((name) => ({ url: `/assets/client/${name}`, file: `client/${name}`, type: js })),
];

/**
 * The training page's files (cosae serve --train): its HTML, the stylesheet it
 * shares with the feature browser, and its script, which the build bundles
 * into one module (scripts/bundle-train-page.mjs). `atRoot`: the page is also
 * "/" (when no SAE is served).
 */
export function trainingAssetFiles(atRoot: boolean): WebAssetFile[] {
  const page = { file: "assets/train.html", type: html };
  return [
    { url: "/train", ...page },
    ...(atRoot ? [{ url: "/", ...page }] : []),
    { url: "/assets/style.css", file: "assets/style.css", type: css },
    { url: "/assets/train-page/main.js", file: "train-page/main.js", type: js },
  ];
}

const webFolder = dirname(fileURLToPath(import.meta.url));

/** Reads every asset (default: the feature browser's); a missing one is an error naming the build step that makes it. */
export async function loadWebAssets(
  folder: string = webFolder,
  files: readonly WebAssetFile[] = webAssetFiles,
): Promise<Map<string, PreparedBody>> {
  const assets = new Map<string, PreparedBody>();
  for (const { url, file, type } of files) {
    if (assets.has(url)) continue;
    let body: Buffer;
    try {
      body = await readFile(join(folder, file));
    } catch (e) {
      throw new Error(
        `the web page file ${file} is missing from ${folder} (${(e as NodeJS.ErrnoException).code}); run "npm run build"`,
      );
    }
    assets.set(url, prepareBody(type, body));
  }
  return assets;
}
