import assert from "node:assert/strict";
import { test } from "node:test";
import { DecoderDirections } from "../../src/web/decoder-directions.js";

test("nearest latents by decoder cosine: rows of any norm, itself left out, nearest first, at most count", () => {
  // d = 2: angles 0°, 10°, 90°, 180°, 20° at various lengths
  const angles = [0, 10, 90, 180, 20];
  const lengths = [1, 5, 0.1, 2, 3];
  const rows = Float32Array.from(
    angles.flatMap((a, j) => [
      lengths[j]! * Math.cos((a * Math.PI) / 180),
      lengths[j]! * Math.sin((a * Math.PI) / 180),
    ]),
  );
  const dirs = new DecoderDirections(rows, 5, 2);
  const near = dirs.nearest(0, 3);
  assert.deepEqual(
    near.map((n) => n.latent),
    [1, 4, 2],
  );
  assert.ok(Math.abs(near[0]!.cosine - Math.cos((10 * Math.PI) / 180)) < 1e-6);
  assert.ok(Math.abs(near[2]!.cosine) < 1e-6);
  assert.equal(dirs.nearest(0, 10).length, 4);
  assert.deepEqual(dirs.nearest(0, 0), []);
  assert.equal(dirs.nearest(0, 10).at(-1)!.latent, 3); // opposite direction last, cosine −1
  // against another SAE: itself is not skipped there
  const other = new DecoderDirections(Float32Array.from([0, 1, 1, 0]), 2, 2);
  assert.deepEqual(
    other.nearest(0, 2, dirs).map((n) => n.latent),
    [1, 0],
  );
  assert.throws(() => new DecoderDirections(new Float32Array(5), 2, 2), /expected m·d = 4/);
  assert.throws(
    () => dirs.nearest(0, 1, new DecoderDirections(new Float32Array(3), 1, 3)),
    /cannot be compared/,
  );
});

test("a zero decoder row has cosine 0 with everything instead of NaN", () => {
  const dirs = new DecoderDirections(Float32Array.from([1, 0, 0, 0, 0, 1]), 3, 2);
  assert.deepEqual(dirs.nearest(1, 2), [
    { latent: 0, cosine: 0 },
    { latent: 2, cosine: 0 },
  ]);
});
