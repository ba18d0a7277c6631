import { axes, chartFrame, linear } from "./chart-axes.js";
import { h, s } from "./dom.js";

/**
 * Activation against the token's ‖x‖ for a sample of tokens: firing tokens in
 * one colour, silent ones (act 0) in another, so a norm detector shows as a
 * latent that fires exactly on the right-hand side.
 */
export function scatterChart(scatter: { norm: number[]; act: number[] }): HTMLElement {
  const f = chartFrame;
  const { norm, act } = scatter;
  let nLo = Number.POSITIVE_INFINITY;
  let nHi = Number.NEGATIVE_INFINITY;
  let aHi = 0;
  for (let i = 0; i < norm.length; i++) {
    nLo = Math.min(nLo, norm[i]!);
    nHi = Math.max(nHi, norm[i]!);
    aHi = Math.max(aHi, act[i]!);
  }
  if (!Number.isFinite(nLo)) [nLo, nHi] = [0, 1];
  if (aHi === 0) aHi = 1;
  const svg = s("svg", {
    class: "chart scatter",
    viewBox: `0 0 ${f.width} ${f.height}`,
    role: "img",
    "aria-label": `activation against token norm for ${norm.length} sampled tokens`,
  });
  svg.append(axes(f, { lo: nLo, hi: nHi, label: "‖x‖" }, { lo: 0, hi: aHi, label: "activation" }));
  const px = linear(nLo, nHi, f.left, f.width - f.right);
  const py = linear(0, aHi, f.height - f.bottom, f.top);
  // silent points first, so firing ones are drawn on top
  const silent = s("g", { class: "silent" });
  const firing = s("g", { class: "firing" });
  let firingCount = 0;
  for (let i = 0; i < norm.length; i++) {
    const fires = act[i]! > 0;
    if (fires) firingCount++;
    (fires ? firing : silent).append(
      s("circle", { class: `pt ${fires ? "firing" : "silent"}`, cx: px(norm[i]!), cy: py(act[i]!), r: 2 }),
    );
  }
  svg.append(silent, firing);
  const legend = h(
    "div",
    { class: "legend" },
    h("span", { class: "swatch firing" }),
    `firing (${firingCount})`,
    h("span", { class: "swatch silent" }),
    `silent (${norm.length - firingCount})`,
  );
  return h("figure", { class: "scatter-figure" }, svg, legend);
}
