import type { SaeOverview } from "../../features/latent-record.js";
import { h } from "./dom.js";
import { figure, percent } from "./format.js";

/** One SAE's card in the page header: what it is, and its measures on the cached tokens. */
export function saeSummary(o: SaeOverview, key: string): HTMLElement {
  const m = o.measures;
  const facts: [string, string][] = [
    ["score", o.score],
    ["activation", o.activation],
    ["decode", o.decode],
    ["d", String(o.d)],
    ["m", o.m.toLocaleString("en")],
    ["k", String(o.k)],
    ["hook", o.hook ?? "–"],
    ["tokens", o.tokens.toLocaleString("en")],
    ["FVU", figure(m.fvu)],
    ["L0", figure(m.l0)],
    ["dead", percent(m.deadShare)],
    ["norm detectors", percent(m.normDetectorShare)],
    ["aligned", m.alignedShare === null ? "–" : percent(m.alignedShare)],
    ["α median", figure(m.alphaMedian)],
  ];
  return h(
    "section",
    { class: "sae-card", attrs: { "aria-label": `SAE ${key}: ${o.label}` } },
    h(
      "h2",
      {},
      h("span", { class: "pane-key" }, key),
      o.label,
      o.architecture !== "cosae" ? h("span", { class: "arch" }, o.architecture) : null,
    ),
    h(
      "dl",
      { class: "facts" },
      ...facts.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value))),
    ),
  );
}
