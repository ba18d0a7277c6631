import assert from "node:assert/strict";
import { test } from "node:test";
import { biasActivate, gatedActivate, normalize, normalizeAffine } from "../../src/transformer/layer-math.js";
import {
  fastBiasActivate,
  fastGatedActivate,
  fastNormalize,
  fastNormalizeAffine,
  nativeLayerMath,
} from "../../src/transformer/native-layer-math.js";
import { skipWhenMissing } from "../helpers/optional-part.js";

const skip = skipWhenMissing(
  "native layer math",
  nativeLayerMath() ? null : "the native addon was not built",
);

function values(n: number, seed: number, range: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * range;
  });
}

const rows = 37;
const width = 100;

test("native norms give the JS norms' bits (RMS and LayerNorm, with and without gain and bias)", {
  skip,
}, () => {
  const x = values(rows * width, 1, 4);
  const gain = values(width, 2, 2);
  const bias = values(width, 3, 1);
  for (const norm of [
    { kind: "rms", eps: 1e-6, unitOffset: false },
    { kind: "layer", eps: 1e-5, unitOffset: false },
  ] as const) {
    assert.deepEqual(fastNormalize(x, rows, width, norm), normalize(x, rows, width, norm), norm.kind);
    assert.deepEqual(
      fastNormalizeAffine(x, rows, norm, gain, null),
      normalizeAffine(x, rows, norm, gain, null),
    );
    assert.deepEqual(
      fastNormalizeAffine(x, rows, norm, gain, bias),
      normalizeAffine(x, rows, norm, gain, bias),
    );
  }
});

test("native activations agree with the JS ones to 1e-5 relative or 1e-9 (float32 exponents carry ~5e-6 in the far tails)", {
  skip,
}, () => {
  const x = values(rows * width, 4, 12);
  x[0] = -100;
  x[1] = 100;
  x[2] = 0;
  const bias = values(width, 5, 1);
  for (const activation of ["silu", "gelu-tanh", "gelu-erf"] as const) {
    const js = x.slice();
    const native = x.slice();
    biasActivate(js, rows, width, bias, activation);
    fastBiasActivate(native, rows, width, bias, activation);
    for (let i = 0; i < js.length; i++) {
      assert.ok(
        Math.abs(native[i]! - js[i]!) <= 1e-5 * Math.abs(js[i]!) + 1e-9,
        `${activation}(${x[i]}): ${native[i]} vs ${js[i]}`,
      );
    }
    const gated = fastGatedActivate(x, rows, width / 2, activation);
    const want = gatedActivate(x, rows, width / 2, activation);
    for (let i = 0; i < want.length; i++) {
      assert.ok(
        Math.abs(gated[i]! - want[i]!) <= 1e-5 * Math.abs(want[i]!) + 1e-9,
        `gated ${activation} at ${i}`,
      );
    }
  }
});
