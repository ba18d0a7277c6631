import type { LatentResponse, SaeOverview } from "../../features/latent-record.js";
import { type Child, h } from "./dom.js";
import { figure, fixed2, percent } from "./format.js";
import { histogramChart } from "./histogram-chart.js";
import { scatterChart } from "./scatter-chart.js";
import { tokenContext } from "./token-context.js";
import { visibleString } from "./visible-text.js";

export interface LatentViewLinks {
  /** this SAE, and the other one when two are served */
  overview: SaeOverview;
  other: SaeOverview | null;
  /** a short description of latent `latent` of SAE `sae` for neighbour buttons (its best concept or tokens) */
  describe: (sae: number, latent: number) => string;
  open: (latent: number) => void;
  openOther: (sae: number, latent: number) => void;
}

/** Everything about one latent: summary, charts, contexts, concepts, neighbours, logit effects. */
export function latentView(r: LatentResponse, links: LatentViewLinks): HTMLElement {
  const { overview } = links;
  const dead = r.frequency === 0;
  const summary = [
    `fires on ${percent(r.frequency)} of ${overview.tokens.toLocaleString("en")} tokens`,
    `mean act ${figure(r.meanActivation)}`,
    `max act ${figure(r.maxActivation)}`,
    `α ${fixed2(r.alpha)}`,
    `norm AUROC ${fixed2(r.normAuroc)}`,
    r.concepts[0] ? `best concept ${r.concepts[0].name} (F1 ${fixed2(r.concepts[0].f1)})` : null,
  ].filter((x) => x !== null);
  return h(
    "article",
    {
      class: "latent-view",
      attrs: { "aria-label": `${overview.label} latent ${r.latent}`, "data-latent": r.latent },
    },
    h(
      "h3",
      { class: "latent-title" },
      `${overview.label} · latent ${r.latent}`,
      dead ? h("span", { class: "badge dead" }, "dead") : null,
      r.normDetector
        ? h("span", { class: "badge norm", attrs: { title: "norm detector" } }, "norm detector")
        : null,
    ),
    h("p", { class: "summary" }, summary.join(" · ")),
    dead
      ? h("p", { class: "note" }, "This latent never fired on the cached tokens.")
      : h(
          "div",
          { class: "charts" },
          section("Activation histogram", histogramChart(r.histogram)),
          section("Activation vs ‖x‖", scatterChart(r.normScatter)),
        ),
    r.top.length > 0
      ? section(
          "Top activations",
          h(
            "div",
            { class: "contexts top-contexts" },
            ...r.top.map((c) => tokenContext(c, r.vocab, r.maxActivation)),
          ),
        )
      : null,
    r.quantiles.length > 0
      ? section(
          "Activation quantiles",
          ...r.quantiles.map((band) =>
            h(
              "div",
              { class: "band" },
              h(
                "h5",
                {},
                `${band.label} · ${figure(band.lo)} – ${figure(band.hi)} · ${band.count.toLocaleString("en")} tokens`,
              ),
              h(
                "div",
                { class: "contexts" },
                ...band.examples.map((c) => tokenContext(c, r.vocab, r.maxActivation)),
              ),
            ),
          ),
        )
      : null,
    h(
      "div",
      { class: "columns" },
      r.concepts.length > 0
        ? section(
            "Concepts",
            h(
              "table",
              { class: "concepts" },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  h("th", { attrs: { scope: "col" } }, "concept"),
                  h("th", { attrs: { scope: "col" } }, "F1"),
                ),
              ),
              h(
                "tbody",
                {},
                ...r.concepts.map((c) =>
                  h("tr", {}, h("td", {}, c.name), h("td", { class: "num" }, meter(c.f1), fixed2(c.f1))),
                ),
              ),
            ),
          )
        : null,
      section(
        "Nearest latents (decoder cosine)",
        neighbourList(
          r.nearest.map((n) => ({ ...n, sae: r.sae })),
          links.describe,
          (n) => links.open(n.latent),
          "nearest",
        ),
      ),
      r.nearestOther && links.other
        ? section(
            `Nearest in ${links.other.label}`,
            neighbourList(
              r.nearestOther,
              links.describe,
              (n) => links.openOther(n.sae, n.latent),
              "nearest-other",
            ),
          )
        : null,
      r.promoted ? section("Promoted tokens", logitList(r.promoted, "promoted")) : null,
      r.suppressed ? section("Suppressed tokens", logitList(r.suppressed, "suppressed")) : null,
    ),
  );
}

function section(title: string, ...content: Child[]): HTMLElement {
  return h("section", { class: "view-section" }, h("h4", {}, title), ...content);
}

function meter(value: number): HTMLElement {
  const bar = h("span", { class: "meter-fill" });
  bar.style.width = `${Math.round(100 * Math.max(0, Math.min(1, value)))}%`;
  return h("span", { class: "meter", attrs: { "aria-hidden": "true" } }, bar);
}

function neighbourList(
  neighbours: { sae: number; latent: number; cosine: number }[],
  describe: LatentViewLinks["describe"],
  open: (n: { sae: number; latent: number }) => void,
  kind: string,
): HTMLElement {
  return h(
    "ul",
    { class: `neighbours ${kind}` },
    ...neighbours.map((n) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            class: "neighbour",
            attrs: { type: "button", "data-sae": n.sae, "data-latent": n.latent },
            on: { click: () => open(n) },
          },
          h("span", { class: "n-latent" }, String(n.latent)),
          h("span", { class: "n-cos" }, fixed2(n.cosine)),
          h("span", { class: "n-desc" }, describe(n.sae, n.latent)),
        ),
      ),
    ),
  );
}

function logitList(tokens: { token: string; logit: number }[], kind: string): HTMLElement {
  return h(
    "ul",
    { class: `logits ${kind}` },
    ...tokens.map((t) =>
      h(
        "li",
        {},
        h("span", { class: "tok-text" }, visibleString(t.token)),
        h("span", { class: "num" }, figure(t.logit)),
      ),
    ),
  );
}
