import assert from "node:assert/strict";
import test from "node:test";
import { defaultFamilies, parseFamilies, parseFamily } from "../../src/compare/families.js";

test("family names carry the score, the decoding and the loss weights", () => {
  assert.deepEqual(parseFamily("inner"), {
    name: "inner",
    score: "inner",
    decode: "plain",
    reweight: "none",
  });
  assert.deepEqual(parseFamily("inner-equalize"), {
    name: "inner-equalize",
    score: "inner",
    decode: "plain",
    reweight: "equalize",
  });
  assert.deepEqual(parseFamily("blend-feature-equivariant"), {
    name: "blend-feature-equivariant",
    score: "blend-feature",
    decode: "equivariant",
    reweight: "none",
  });
  assert.equal(parseFamily("cosine-equivariant-equalize").reweight, "equalize");
  // the default set: the paper's five and both decodings for cosine and blend-feature
  const specs = parseFamilies(defaultFamilies.join(","));
  assert.equal(specs.length, 7);
  assert.deepEqual(
    specs.filter((f) => f.decode === "equivariant").map((f) => f.score),
    ["cosine", "blend-feature"],
  );
});

test("unknown or repeated families are refused", () => {
  assert.throws(() => parseFamily("cosin"), /unknown family "cosin"/);
  assert.throws(() => parseFamilies("inner,inner"), /listed twice/);
  assert.throws(() => parseFamilies(" , "), /no families/);
});

test("-uncentred composes with the decoding and the loss weights, for the cosine family only", () => {
  assert.deepEqual(parseFamily("cosine-uncentred"), {
    name: "cosine-uncentred",
    score: "cosine",
    decode: "plain",
    reweight: "none",
    cosineOf: "uncentred",
  });
  assert.deepEqual(parseFamily("blend-feature-uncentred-equivariant-equalize"), {
    name: "blend-feature-uncentred-equivariant-equalize",
    score: "blend-feature",
    decode: "equivariant",
    reweight: "equalize",
    cosineOf: "uncentred",
  });
  assert.equal(parseFamily("cosine").cosineOf, undefined, "centred is left unsaid");
  assert.throws(() => parseFamily("inner-uncentred"), /-uncentred applies to the cosine family only/);
  assert.throws(() => parseFamily("cosine-equivariant-uncentred"), /unknown family/);
});
