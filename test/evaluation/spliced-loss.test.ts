import assert from "node:assert/strict";
import test from "node:test";
import { SplicedLossMeter, spliceSequences } from "../../src/evaluation/spliced-loss.js";
import { chooseKernels } from "../../src/kernels/choose-kernels.js";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { identitySae } from "../helpers/identity-sae.js";
import { corpusStories, stories260kBin } from "../helpers/stories260k.js";

test("held-out rows become model inputs: BOS put back, only the rows' positions spliced", () => {
  const tokens = {
    ids: Int32Array.from([5, 6, 7, 8, 9]),
    sequence: Int32Array.from([3, 3, 3, 4, 4]),
    position: Int32Array.from([1, 2, 3, 1, 2]),
  };
  const s = spliceSequences(tokens, 1, "test");
  assert.deepEqual(
    s.sequences.map((q) => Array.from(q)),
    [
      [1, 5, 6, 7],
      [1, 8, 9],
    ],
  );
  assert.deepEqual(Array.from(s.fromRows), [0, 1, 1, 1, 0, 1, 1]);
  // with BOS kept (bos include), nothing is added and BOS is spliced too
  const withBos = spliceSequences({ ...tokens, position: Int32Array.from([0, 1, 2, 0, 1]) }, 1, "test");
  assert.deepEqual(Array.from(withBos.fromRows), [1, 1, 1, 1, 1]);
  assert.throws(
    () => spliceSequences({ ...tokens, position: Int32Array.from([1, 3, 4, 1, 2]) }, 1, "rows.safetensors"),
    /rows.safetensors: sequence 3 has a gap at position 2/,
  );
  assert.throws(
    () => spliceSequences({ ...tokens, position: Int32Array.from([2, 3, 4, 1, 2]) }, 1, "here"),
    /starts at position 2/,
  );
});

test("an exact reconstruction adds no loss and recovers all of it; zero-ablation loses much", async () => {
  const kernels = await chooseKernels(0);
  try {
    const model = await loadTransformer(stories260kBin);
    const tokenizer = model.tokenizer!;
    // Eight stories cut to 64 tokens, as a harvest would store them: BOS dropped, positions from 1.
    const ids: number[] = [];
    const sequence: number[] = [];
    const position: number[] = [];
    corpusStories()
      .slice(0, 8)
      .forEach((story, s) => {
        const t = tokenizer.encode(story).subarray(1, 64);
        t.forEach((id, p) => {
          ids.push(id);
          sequence.push(s);
          position.push(p + 1);
        });
      });
    const input = spliceSequences(
      { ids: Int32Array.from(ids), sequence: Int32Array.from(sequence), position: Int32Array.from(position) },
      tokenizer.bosId,
      "test",
    );
    const hook = "blocks.3.hook_resid_pre";
    const d = model.hooks.find((h) => h.name === hook)!.width;
    // batches of ~150 tokens: several forward passes must add up to the same means
    const meter = new SplicedLossMeter(model, hook, input, kernels, 150);
    const r = await meter.measure(identitySae(d));
    assert.equal(r.tokens, 8 * 63);
    assert.ok(r.clean > 0.5 && r.clean < 3, `clean loss ${r.clean}`);
    assert.ok(Math.abs(r.lossAdded) < 1e-5, `loss added ${r.lossAdded}`);
    assert.ok(Math.abs(r.fractionRecovered - 1) < 1e-4, `fraction recovered ${r.fractionRecovered}`);
    assert.ok(r.zeroAblated > r.clean + 0.5, `zero-ablated ${r.zeroAblated} vs clean ${r.clean}`);

    // An SAE that reconstructs nothing but b_dec = 0 is exactly zero-ablation: fraction 0.
    const empty = identitySae(d);
    empty.constants.threshold = 1e9;
    const z = await meter.measure(empty);
    assert.ok(Math.abs(z.fractionRecovered) < 1e-6, `fraction recovered ${z.fractionRecovered}`);
    assert.equal(z.clean, r.clean);

    await assert.rejects(meter.measure(identitySae(d + 1)), /has d = 65 but hook/);
  } finally {
    await kernels.dispose();
  }
});
