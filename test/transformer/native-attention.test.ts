import assert from "node:assert/strict";
import { test } from "node:test";
import { type AttentionShape, causalAttention } from "../../src/transformer/causal-attention.js";
import { fastCausalAttention, nativeAttentionAddon } from "../../src/transformer/native-attention.js";
import { requirePart, skipWhenMissing } from "../helpers/optional-part.js";
import { maxRelativeError } from "../helpers/stories260k.js";

const { addon, reason } = nativeAttentionAddon();
const skip = skipWhenMissing("native attention", addon ? null : reason);
const nativeAttention = () => requirePart("native attention", addon, reason);

/** Deterministic uniform values in [-range, range) (a small LCG, so failures reproduce). */
function randomArray(n: number, seed: number, range: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * range;
  }
  return out;
}

function compare(lengths: number[], shape: AttentionShape, seed: number, range = 3): number {
  const rows = lengths.reduce((a, b) => a + b, 0);
  const qkv = randomArray(rows * (shape.heads + 2 * shape.kvHeads) * shape.headSize, seed, range);
  const expected = causalAttention(qkv, lengths, shape);
  const got = nativeAttention().causalAttention(
    qkv,
    Int32Array.from(lengths),
    shape.heads,
    shape.kvHeads,
    shape.headSize,
  );
  assert.equal(got.length, expected.length);
  // Per row, so a row of small outputs is not hidden behind a large one elsewhere.
  const width = shape.heads * shape.headSize;
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    const a = got.subarray(r * width, (r + 1) * width);
    const b = expected.subarray(r * width, (r + 1) * width);
    worst = Math.max(worst, maxRelativeError(a, b));
  }
  return worst;
}

test("native causal attention matches the JS kernel on packed sequences", { skip }, () => {
  const cases: [number[], AttentionShape][] = [
    [[1], { heads: 8, kvHeads: 4, headSize: 8 }],
    [[1, 1, 1], { heads: 8, kvHeads: 4, headSize: 8 }],
    [[5, 1, 17, 16, 33], { heads: 8, kvHeads: 4, headSize: 8 }],
    // Longer than one query block (64), and lengths around the 16-key lanes.
    [[256, 1, 130, 65, 64, 15], { heads: 8, kvHeads: 4, headSize: 8 }],
    // Plain multi-head, head sizes that are not a multiple of 8, one kv head for all.
    [[40, 1, 77], { heads: 4, kvHeads: 4, headSize: 16 }],
    [[40, 1, 77], { heads: 6, kvHeads: 2, headSize: 12 }],
    [[100, 3], { heads: 2, kvHeads: 1, headSize: 64 }],
  ];
  let worst = 0;
  cases.forEach(([lengths, shape], i) => {
    const err = compare(lengths, shape, 1234 + i);
    assert.ok(err < 1e-5, `lengths ${lengths}, shape ${JSON.stringify(shape)}: relative error ${err}`);
    worst = Math.max(worst, err);
  });
  // Peaked softmaxes (large logits) too.
  const peaked = compare([200, 1, 50], { heads: 8, kvHeads: 4, headSize: 8 }, 99, 12);
  assert.ok(peaked < 1e-5, `large logits: relative error ${peaked}`);
  console.log(`# native attention: max relative error vs JS ${Math.max(worst, peaked).toExponential(2)}`);
});

test("native causal attention handles no rows and rejects bad shapes", { skip }, () => {
  assert.equal(nativeAttention().causalAttention(new Float32Array(0), new Int32Array(0), 8, 4, 8).length, 0);
  assert.equal(
    nativeAttention().causalAttention(new Float32Array(0), new Int32Array([0, 0]), 8, 4, 8).length,
    0,
  );
  assert.throws(
    () => nativeAttention().causalAttention(new Float32Array(10), new Int32Array([1]), 8, 4, 8),
    RangeError,
  );
  assert.throws(
    () => nativeAttention().causalAttention(new Float32Array(128), new Int32Array([1]), 8, 3, 8),
    RangeError,
  );
  assert.throws(
    () => nativeAttention().causalAttention(new Float32Array(128), new Int32Array([-1]), 8, 4, 8),
    RangeError,
  );
});

test("fastCausalAttention gives the JS results to float32 rounding (native or fallback)", () => {
  const shape = { heads: 8, kvHeads: 4, headSize: 8 };
  const lengths = [3, 1, 20];
  const qkv = randomArray(24 * 128, 7, 2);
  const err = maxRelativeError(
    fastCausalAttention(qkv, lengths, shape),
    causalAttention(qkv, lengths, shape),
  );
  assert.ok(err < 1e-5, `relative error ${err}`);
});

/**
 * Attention written the plain way, from the definition: scores s·scale,
 * soft-capped, masked where s > t or (with a window W) t − s ≥ W, softmax, V.
 */
function bruteForceAttention(
  qkv: Float32Array,
  lengths: number[],
  heads: number,
  kvHeads: number,
  headSize: number,
  scale: number,
  softcap: number,
  window: number,
): Float64Array {
  const stride = (heads + 2 * kvHeads) * headSize;
  const rows = lengths.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows * heads * headSize);
  let start = 0;
  for (const n of lengths) {
    for (let h = 0; h < heads; h++) {
      const kvh = Math.floor(h / (heads / kvHeads));
      for (let t = 0; t < n; t++) {
        const scores: number[] = [];
        for (let s = 0; s < n; s++) {
          let dot = 0;
          for (let i = 0; i < headSize; i++) {
            dot +=
              qkv[(start + t) * stride + h * headSize + i]! *
              qkv[(start + s) * stride + (heads + kvh) * headSize + i]!;
          }
          let score = dot * scale;
          if (softcap > 0) score = softcap * Math.tanh(score / softcap);
          const visible = s <= t && (window === 0 || t - s < window);
          scores.push(visible ? score : Number.NEGATIVE_INFINITY);
        }
        const max = Math.max(...scores);
        const e = scores.map((x) => Math.exp(x - max));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < headSize; i++) {
          let acc = 0;
          for (let s = 0; s < n; s++) {
            acc += e[s]! * qkv[(start + s) * stride + (heads + kvHeads + kvh) * headSize + i]!;
          }
          out[(start + t) * heads * headSize + h * headSize + i] = acc / sum;
        }
      }
    }
    start += n;
  }
  return out;
}

test("scale, soft-capping and the sliding window give the brute-force attention (JS and native)", () => {
  const lengths = [70, 5, 41];
  const shape = { heads: 6, kvHeads: 2, headSize: 12 };
  const rows = lengths.reduce((a, b) => a + b, 0);
  const qkv = randomArray(rows * (6 + 4) * 12, 11, 3);
  for (const [scale, softcap, window] of [
    [0.2, 0, 0],
    [0.5, 3, 0],
    [0.3, 0, 17],
    [0.4, 2.5, 1],
    [0.25, 4, 64],
  ] as const) {
    const want = bruteForceAttention(qkv, lengths, 6, 2, 12, scale, softcap, window);
    const options = { ...shape, scale, softcap, window };
    const js = causalAttention(qkv, lengths, options);
    assert.ok(
      maxRelativeError(js, want) < 1e-6,
      `JS ${scale} ${softcap} ${window}: ${maxRelativeError(js, want)}`,
    );
    const fast = fastCausalAttention(qkv, lengths, options);
    assert.ok(
      maxRelativeError(fast, want) < 2e-5,
      `native ${scale} ${softcap} ${window}: ${maxRelativeError(fast, want)}`,
    );
  }
  // A window of 1 leaves each token only itself: the output is its own value row.
  const own = causalAttention(qkv, lengths, { ...shape, window: 1 });
  assert.equal(own[0], qkv[(6 + 2) * 12]);
});

test("the native attention refuses a bad scale, soft-cap or window", { skip }, () => {
  const qkv = new Float32Array(10 * 8);
  const lengths = new Int32Array([1]);
  assert.throws(
    () => nativeAttention().causalAttention(qkv, lengths, 4, 2, 10, 0, 0, 0),
    /scale must be a positive/,
  );
  assert.throws(() => nativeAttention().causalAttention(qkv, lengths, 4, 2, 10, 1, -1, 0), /softcap must be/);
  assert.throws(() => nativeAttention().causalAttention(qkv, lengths, 4, 2, 10, 1, 0, 1.5), /window must be/);
});
