import assert from "node:assert/strict";
import { test } from "node:test";
import { validateFields } from "../../src/config/fields.js";
import { defaultSyntheticConfig } from "../../src/data/synthetic-config.js";
import { validateRunSpec } from "../../src/training/run-folder.js";
import {
  resolveTrainConfig,
  type TrainConfig,
  trainFields,
  validateTrainConfig,
} from "../../src/training/train-config.js";

const WHERE = "runs/a/config.json";

/** The error message of `f`, failing the test if it does not throw. */
function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof Error, `expected an Error, got ${String(e)}`);
    return e.message;
  }
  assert.fail("expected an error");
}

test("defaults fill in every option; derived ones stay null", () => {
  const c = validateTrainConfig({}, WHERE);
  assert.deepEqual(c, {
    score: "cosine",
    activation: "batchtopk",
    decode: "plain",
    cosineOf: "centred",
    m: 1024,
    k: 8,
    alphaInit: 0,
    eps: 1e-6,
    steps: 1000,
    batchSize: 1024,
    lr: null,
    warmupSteps: null,
    decayFraction: 0.2,
    auxkCoef: 1 / 32,
    kAux: null,
    deadTokens: null,
    reweight: "none",
    clipGradNorm: 0,
    thresholdRate: 0.01,
    bDecInit: "geometric-median",
    initTokens: 4096,
    seed: 0,
    checkpointEvery: 0,
    checkpointMinutes: 5,
    logEvery: 10,
  } satisfies TrainConfig);
  assert.deepEqual(Object.keys(c).sort(), Object.keys(trainFields).sort());
});

test("given options are kept and the rest defaulted", () => {
  const c = validateTrainConfig(
    { score: "blend-feature", decode: "equivariant", m: 64, k: 4, lr: 0.001, kAux: 5, seed: 4294967295 },
    WHERE,
  );
  assert.equal(c.score, "blend-feature");
  assert.equal(c.decode, "equivariant");
  assert.equal(c.m, 64);
  assert.equal(c.k, 4);
  assert.equal(c.lr, 0.001);
  assert.equal(c.kAux, 5);
  assert.equal(c.seed, 4294967295);
  assert.equal(c.steps, 1000);
  assert.equal(c.activation, "batchtopk");
  // An explicit null on a derived option means "auto".
  assert.equal(validateTrainConfig({ lr: null, warmupSteps: null }, WHERE).lr, null);
});

test("an unknown option gets a did-you-mean suggestion", () => {
  const msg = messageOf(() => validateTrainConfig({ batchsize: 32 }, WHERE));
  assert.match(msg, /^runs\/a\/config\.json: /);
  assert.match(msg, /unknown option "batchsize" \(did you mean "batchSize"\?\)/);
  assert.match(
    messageOf(() => validateTrainConfig({ stpes: 10 }, WHERE)),
    /unknown option "stpes" \(did you mean "steps"\?\)/,
  );
  assert.match(
    messageOf(() => validateTrainConfig({ warmupStep: 10 }, WHERE)),
    /unknown option "warmupStep" \(did you mean "warmupSteps"\?\)/,
  );
  // Nothing close: no suggestion.
  const far = messageOf(() => validateTrainConfig({ learningRateSchedule: "cos" }, WHERE));
  assert.match(far, /unknown option "learningRateSchedule"/);
  assert.doesNotMatch(far, /did you mean/);
});

test("names inherited by every object are still unknown options", () => {
  for (const name of ["constructor", "toString", "hasOwnProperty"]) {
    assert.match(
      messageOf(() => validateTrainConfig({ [name]: 1 }, WHERE)),
      new RegExp(`unknown option "${name}"`),
      name,
    );
  }
  const parsed: unknown = JSON.parse('{"__proto__": {"m": 5}}');
  assert.match(
    messageOf(() => validateTrainConfig(parsed, WHERE)),
    /unknown option "__proto__"/,
  );
});

test("wrong type, non-integer, out of range and bad enum name the option and the value received", () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ m: "1024" }, /option "m" must be a finite number, got "1024"/],
    [{ steps: true }, /option "steps" must be a finite number, got true/],
    [{ lr: [0.1] }, /option "lr" must be a finite number, got an array/],
    [{ eps: { v: 1 } }, /option "eps" must be a finite number, got an object/],
    [{ score: 3 }, /option "score" must be one of "inner", "cosine", "blend", "blend-feature", got 3/],
    [{ k: 2.5 }, /option "k" must be an integer, got 2\.5/],
    [{ batchSize: 1e-3 }, /option "batchSize" must be an integer, got 0\.001/],
    [{ m: 0 }, /option "m" must be ≥ 1, got 0/],
    [{ warmupSteps: -1 }, /option "warmupSteps" must be ≥ 0, got -1/],
    [{ alphaInit: 1.5 }, /option "alphaInit" must be ≤ 1, got 1\.5/],
    [{ seed: 2 ** 32 }, /option "seed" must be ≤ 4294967295, got 4294967296/],
    [{ lr: 0 }, /option "lr" must be > 0, got 0/],
    [{ lr: -1e-4 }, /option "lr" must be > 0, got -0\.0001/],
    [{ decayFraction: -0.1 }, /option "decayFraction" must be ≥ 0, got -0\.1/],
    [{ activation: "relu" }, /option "activation" must be one of "batchtopk", "topk", got "relu"/],
    [{ decode: "Plain" }, /option "decode" must be one of "plain", "equivariant", got "Plain"/],
    [{ reweight: "" }, /option "reweight" must be one of "none", "equalize", got ""/],
    [{ bDecInit: "median" }, /option "bDecInit" must be one of "geometric-median", "mean", got "median"/],
    [{ m: null }, /option "m" must be a finite number, got null/],
  ];
  for (const [input, pattern] of cases) {
    const msg = messageOf(() => validateTrainConfig(input, WHERE));
    assert.match(msg, pattern, JSON.stringify(input));
    assert.ok(msg.startsWith(`${WHERE}: `), `${JSON.stringify(input)}: message must start with where`);
  }
  // Edges inside the range are accepted.
  const ok = validateTrainConfig(
    { alphaInit: 0, decayFraction: 1, warmupSteps: 0, m: 1, k: 1, lr: 1e-12 },
    WHERE,
  );
  assert.equal(ok.alphaInit, 0);
  assert.equal(ok.decayFraction, 1);
  assert.equal(ok.warmupSteps, 0);
});

test("several problems are reported together", () => {
  const msg = messageOf(() =>
    validateTrainConfig({ m: -5, score: "dot", k: 1.5, colour: "red", stepz: 3 }, WHERE),
  );
  assert.match(msg, /unknown option "colour"/);
  assert.match(msg, /unknown option "stepz" \(did you mean "steps"\?\)/);
  assert.match(msg, /option "m" must be ≥ 1, got -5/);
  assert.match(msg, /option "score" must be one of .*, got "dot"/);
  assert.match(msg, /option "k" must be an integer, got 1\.5/);
  assert.equal(msg.split("; ").length, 5, msg);
});

test("not an object is refused; k may not exceed m", () => {
  for (const bad of [null, 3, "m=4", [1, 2]]) {
    assert.match(
      messageOf(() => validateTrainConfig(bad, WHERE)),
      /runs\/a\/config\.json: expected an object of options/,
    );
  }
  assert.match(
    messageOf(() => validateTrainConfig({ m: 4, k: 5 }, WHERE)),
    /option "k" \(5\) must not exceed "m" \(4\)/,
  );
  assert.match(
    messageOf(() => validateTrainConfig({ m: 4, k: 5, activation: "topk" }, WHERE)),
    /option "k" \(5\) must not exceed "m" \(4\)/,
  );
  assert.equal(validateTrainConfig({ m: 4, k: 4 }, WHERE).k, 4);
});

test("validateFields works on any table (bool and string kinds)", () => {
  const table = {
    verbose: { kind: "bool", default: false, help: "" },
    name: { kind: "string", default: null, help: "" },
  } as const;
  assert.deepEqual(validateFields(table, {}, "x"), { verbose: false, name: null });
  assert.deepEqual(validateFields(table, { verbose: true, name: "a" }, "x"), { verbose: true, name: "a" });
  assert.match(
    messageOf(() => validateFields(table, { verbose: "yes" }, "x")),
    /option "verbose" must be true or false, got "yes"/,
  );
  assert.match(
    messageOf(() => validateFields(table, { name: "" }, "x")),
    /option "name" must be a non-empty string, got ""/,
  );
});

// ---------------------------------------------------------------------------
// Run specs

test("validateRunSpec splits training options from data and checks both", () => {
  const spec = validateRunSpec({ m: 32, k: 2, data: { synthetic: { d: 16, features: 40 } } }, "run.json");
  assert.equal(spec.train.m, 32);
  assert.equal(spec.train.k, 2);
  assert.equal(spec.data.synthetic?.d, 16);
  assert.equal(spec.data.synthetic?.features, 40);
  assert.equal(spec.data.synthetic?.noise, defaultSyntheticConfig.noise);
  // No data: the default synthetic set.
  assert.deepEqual(validateRunSpec({}, "run.json").data.synthetic, { ...defaultSyntheticConfig });
});

test("validateRunSpec rejects an unknown data source with the path", () => {
  const where = "/tmp/runs/x/run.json";
  const msg = messageOf(() => validateRunSpec({ data: { npy: "acts.npy" } }, where));
  assert.match(msg, /unknown data source "npy" \(expected "synthetic" or "activations"\)/);
  assert.ok(msg.startsWith(`${where}: `), msg);
  assert.match(
    messageOf(() => validateRunSpec({ data: { synthetic: {}, folder: "x" } }, where)),
    /unknown data source "folder"/,
  );
});

test("validateRunSpec rejects bad synthetic options with the path", () => {
  const where = "/tmp/runs/y/run.json";
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ d: 0 }, /d = 0; expected an integer >= 1/],
    [{ d: "16" }, /d = "16"; expected a finite number/],
    [{ noise: -1 }, /noise = -1; expected a number >= 0/],
    [{ massiveFraction: 2 }, /massiveFraction = 2; expected a number in \[0, 1\]/],
    [{ massiveDirection: 1 }, /massiveDirection = 1; expected a boolean/],
    [{ featurs: 10 }, /featurs = 10; expected no such option/],
    [{ magnitudeMin: 2, magnitudeMax: 1 }, /magnitudeMax = 1; expected a number >= magnitudeMin \(2\)/],
  ];
  for (const [synthetic, pattern] of cases) {
    const msg = messageOf(() => validateRunSpec({ data: { synthetic } }, where));
    assert.match(msg, pattern, JSON.stringify(synthetic));
    assert.ok(msg.startsWith(`${where}: data.synthetic: `), msg);
  }
  // Training options in a run spec are checked with the same path.
  const train = messageOf(() => validateRunSpec({ stepz: 3, data: { synthetic: {} } }, where));
  assert.ok(train.startsWith(`${where}: `), train);
  assert.match(train, /unknown option "stepz" \(did you mean "steps"\?\)/);
  assert.match(
    messageOf(() => validateRunSpec(null, where)),
    /\/tmp\/runs\/y\/run\.json: expected a JSON object/,
  );
});

test("validateRunSpec reads data.activations with defaults, and names bad options with the path", () => {
  const where = "/tmp/runs/z/run.json";
  const spec = validateRunSpec(
    { m: 32, k: 2, data: { activations: { path: "acts/", bufferMiB: 64 } } },
    where,
  );
  assert.equal(spec.data.synthetic, undefined);
  assert.deepEqual(spec.data.activations, {
    path: "acts/",
    bufferMiB: 64,
    chunkRows: 8192,
    nonFinite: "error",
    epochs: null,
    holdOut: 0,
    rows: null,
    d: null,
  });
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ activations: {} }, /data\.activations: option "path" is required/],
    [{ activations: { path: "" } }, /data\.activations: option "path" must be a non-empty string, got ""/],
    [{ activations: { path: "a", bufferMB: 3 } }, /unknown option "bufferMB" \(did you mean "bufferMiB"\?\)/],
    [{ activations: { path: "a", bufferMiB: 0 } }, /option "bufferMiB" must be > 0, got 0/],
    [
      { activations: { path: "a", nonFinite: "drop" } },
      /option "nonFinite" must be one of "error", "skip", got "drop"/,
    ],
    [{ activations: { path: "a" }, synthetic: {} }, /data has both "synthetic" and "activations"; give one/],
  ];
  for (const [data, pattern] of cases) {
    const msg = messageOf(() => validateRunSpec({ data }, where));
    assert.match(msg, pattern, JSON.stringify(data));
    assert.ok(msg.startsWith(`${where}: `), msg);
  }
  assert.match(
    messageOf(() => validateRunSpec({ steps: 10, data: { activations: { path: "a", epochs: 2 } } }, where)),
    /give "steps" or data\.activations\.epochs, not both/,
  );
});

// ---------------------------------------------------------------------------
// Derived values

test("resolveTrainConfig derives lr, kAux, warm-up and deadTokens", () => {
  const base = validateTrainConfig({ m: 16384, steps: 1000, batchSize: 1024 }, WHERE);
  const r = resolveTrainConfig(base, 768);
  assert.equal(r.lr, 2e-4);
  assert.equal(r.kAux, 384);
  assert.equal(r.warmupSteps, 50, "5% of steps");
  assert.equal(r.deadTokens, 102400, "tokens / 10");

  for (const m of [1024, 4096, 65536, 100]) {
    const rm = resolveTrainConfig(validateTrainConfig({ m, k: 1 }, WHERE), 64);
    const want = 2e-4 / Math.sqrt(m / 16384);
    assert.ok(Math.abs(rm.lr - want) <= 1e-15 * want, `m ${m}: lr ${rm.lr}, want ${want}`);
  }
  assert.ok(Math.abs(resolveTrainConfig(validateTrainConfig({ m: 4096 }, WHERE), 8).lr - 4e-4) < 1e-18);

  // kAux = d/2 (floored, at least 1).
  assert.equal(resolveTrainConfig(base, 7).kAux, 3);
  assert.equal(resolveTrainConfig(base, 1).kAux, 1);

  // Warm-up: 5% of steps, at most 1000.
  assert.equal(resolveTrainConfig(validateTrainConfig({ steps: 19 }, WHERE), 8).warmupSteps, 0);
  assert.equal(resolveTrainConfig(validateTrainConfig({ steps: 30 }, WHERE), 8).warmupSteps, 1);
  assert.equal(resolveTrainConfig(validateTrainConfig({ steps: 20000 }, WHERE), 8).warmupSteps, 1000);
  assert.equal(resolveTrainConfig(validateTrainConfig({ steps: 100000 }, WHERE), 8).warmupSteps, 1000);

  // deadTokens: min(10M, tokens/10), never below one batch.
  const long = resolveTrainConfig(validateTrainConfig({ steps: 200000, batchSize: 4096 }, WHERE), 8);
  assert.equal(long.deadTokens, 10_000_000);
  const short = resolveTrainConfig(validateTrainConfig({ steps: 5, batchSize: 100 }, WHERE), 8);
  assert.equal(short.deadTokens, 100, "at least one batch");

  // Given values win over the derived ones.
  const given = resolveTrainConfig(
    validateTrainConfig({ lr: 0.003, kAux: 9, warmupSteps: 7, deadTokens: 12345 }, WHERE),
    768,
  );
  assert.equal(given.lr, 0.003);
  assert.equal(given.kAux, 9);
  assert.equal(given.warmupSteps, 7);
  assert.equal(given.deadTokens, 12345);
  // The rest passes through.
  assert.equal(given.score, "cosine");
  assert.equal(given.m, 1024);
});
