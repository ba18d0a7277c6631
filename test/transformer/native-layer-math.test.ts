import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addArrays,
  biasActivate,
  gatedActivate,
  normalize,
  normalizeAffine,
} from "../../src/transformer/layer-math.js";
import {
  fastAddArrays,
  fastAddInto,
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

/** max |a − b| over max |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

test("native norms agree with the JS norms to float32 rounding (RMS and LayerNorm, with and without gain and bias)", {
  skip,
}, () => {
  const x = values(rows * width, 1, 4);
  // A row far from zero mean: LayerNorm's centring must not lose it.
  for (let i = 0; i < width; i++) x[5 * width + i] = 1000 + x[5 * width + i]!;
  const gain = values(width, 2, 2);
  const bias = values(width, 3, 1);
  for (const norm of [
    { kind: "rms", eps: 1e-6, unitOffset: false },
    { kind: "layer", eps: 1e-5, unitOffset: false },
  ] as const) {
    assert.ok(
      relativeError(fastNormalize(x, rows, width, norm), normalize(x, rows, width, norm)) < 3e-7,
      norm.kind,
    );
    for (const b of [null, bias]) {
      const got = fastNormalizeAffine(x, rows, norm, gain, b);
      assert.ok(relativeError(got, normalizeAffine(x, rows, norm, gain, b)) < 3e-7, `${norm.kind} affine`);
    }
  }
});

test("native sums of two arrays are the JS sums bit for bit", { skip }, () => {
  const a = values(100_003, 6, 50);
  const b = values(100_003, 7, 0.001);
  assert.deepEqual(fastAddArrays(a, b), addArrays(a, b));
  const c = a.slice();
  fastAddInto(c, b);
  assert.deepEqual(c, addArrays(a, b));
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
