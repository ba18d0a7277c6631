import type { TokenContext } from "../../features/latent-record.js";
import { h } from "./dom.js";
import { figure } from "./format.js";
import { visibleString, visibleText } from "./visible-text.js";

/**
 * One context as a line of tokens, each shaded by this latent's activation on
 * it (opacity ∝ act / the latent's max act), the focus token outlined, the
 * value in the tooltip. Token strings become text nodes only.
 */
export function tokenContext(
  context: TokenContext,
  vocab: Record<number, string>,
  maxAct: number,
): HTMLElement {
  const line = h("div", { class: "context" });
  context.tokens.forEach((id, i) => {
    const token = vocab[id] ?? `<${id}>`;
    const act = context.acts[i] ?? 0;
    const focus = i === context.focus;
    const span = h(
      "span",
      {
        class: `tok${focus ? " focus" : ""}${act > 0 ? " firing" : ""}`,
        attrs: { title: `${visibleString(token)}  (token ${id})  activation ${figure(act)}` },
      },
      ...visibleText(token).map((p) => (p.whitespace ? h("span", { class: "ws" }, p.text) : p.text)),
    );
    if (act > 0) {
      const strength = maxAct > 0 ? Math.min(1, act / maxAct) : 1;
      // style via the CSSOM, which the page's CSP allows (style attributes it does not)
      span.style.backgroundColor = `rgba(234, 88, 12, ${(0.1 + 0.8 * strength).toFixed(3)})`;
    }
    line.appendChild(span);
  });
  const focusAct = context.acts[context.focus] ?? 0;
  line.appendChild(
    h("span", { class: "ctx-act", attrs: { title: `dataset row ${context.row}` } }, figure(focusAct)),
  );
  return line;
}
