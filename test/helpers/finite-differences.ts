import assert from "node:assert/strict";
import { paramNames, type Sae } from "../../src/model/sae.js";

/** Central finite differences of `loss` w.r.t. every entry of every parameter, against `analytic`. */
export function checkAgainstFiniteDifferences(
  sae: Sae,
  loss: () => Promise<number>,
  analytic: Sae["params"],
  label: string,
) {
  return (async () => {
    const h = 1e-6;
    for (const name of paramNames) {
      const p = sae.params[name];
      const g = analytic[name];
      let maxAbs = 0;
      for (const v of g) maxAbs = Math.max(maxAbs, Math.abs(v));
      for (let i = 0; i < p.length; i++) {
        const keep = p[i]!;
        p[i] = keep + h;
        const up = await loss();
        p[i] = keep - h;
        const down = await loss();
        p[i] = keep;
        const numeric = (up - down) / (2 * h);
        const tolerance = 1e-6 * Math.max(1, maxAbs);
        assert.ok(
          Math.abs(numeric - g[i]!) <= tolerance,
          `${label}: ∂L/∂${name}[${i}] analytic ${g[i]} vs finite difference ${numeric}`,
        );
      }
    }
  })();
}
