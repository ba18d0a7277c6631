/**
 * The feature browser page: the served SAEs' summaries, then one pane per SAE
 * (list + latent view). The URL hash (#a=12&b=40) holds each pane's latent.
 */
import type { SaeOverview } from "../../features/latent-record.js";
import { api } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { paneKeys, readHash, writeHash } from "./hash-state.js";
import { Pane } from "./pane.js";
import { saeSummary } from "./sae-summary.js";

async function start(root: HTMLElement): Promise<void> {
  let saes: SaeOverview[];
  try {
    saes = (await api.saes()).saes;
  } catch (e) {
    replaceChildren(
      root,
      h(
        "p",
        { class: "error", attrs: { role: "alert" } },
        `Could not reach the server: ${(e as Error).message}`,
      ),
    );
    return;
  }
  const panes: Pane[] = [];
  const describe = (sae: number, latent: number): string => {
    const t = panes[sae]?.table;
    if (!t) return "";
    return (
      t.bestConcept[latent] ??
      (t.topTokens[latent]?.slice(0, 40) || (t.frequency[latent] === 0 ? "dead" : ""))
    );
  };
  // Each opened latent is a history entry (Back returns to it); stepping through the list with ↑/↓ is not.
  const record = (stepping: boolean) => {
    const hash = writeHash(panes.map((p) => p.current));
    if (hash !== location.hash) {
      if (stepping) history.replaceState(null, "", hash);
      else history.pushState(null, "", hash);
    }
    const open = panes.flatMap((p, i) => (p.current === null ? [] : [`${paneKeys[i]} ${p.current}`]));
    document.title = open.length > 0 ? `cosae · ${open.join(" · ")}` : "cosae feature browser";
  };
  saes.forEach((overview, index) => {
    panes.push(
      new Pane({
        index,
        key: paneKeys[index]!,
        overview,
        other: saes.length === 2 ? saes[1 - index]! : null,
        describe,
        opened: (_pane, _latent, stepping) => record(stepping),
        openOther: (sae, latent) => panes[sae]?.choose(latent),
      }),
    );
  });
  replaceChildren(
    root,
    h(
      "header",
      { class: "page-header" },
      h("h1", {}, "cosae feature browser"),
      h("div", { class: "sae-cards" }, ...saes.map((o, i) => saeSummary(o, paneKeys[i]!))),
    ),
    h("main", { class: `panes ${saes.length === 2 ? "two" : "one"}` }, ...panes.map((p) => p.element)),
  );
  const applyHash = () => {
    readHash(location.hash, panes.length).forEach((latent, i) => {
      const pane = panes[i]!;
      if (latent !== null && latent < saes[i]!.m) void pane.open(latent);
    });
  };
  applyHash();
  await Promise.all(panes.map((p) => p.load()));
  window.addEventListener("popstate", applyHash);
  window.addEventListener("hashchange", applyHash);
  document.body.dataset.ready = "true";
}

const root = document.getElementById("app");
if (root) void start(root);
