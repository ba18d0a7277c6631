import { join } from "node:path";
import { FeatureCache, writeFeatureCache } from "../../src/features/feature-cache-file.js";
import type {
  LatentRecord,
  LatentTable,
  SaeOverview,
  TokenContext,
} from "../../src/features/latent-record.js";
import { Rng } from "../../src/util/rng.js";
import { type ServedSae, servedSae } from "../../src/web/served-sae.js";

/**
 * A small feature cache written by hand (not by the builder), for server and
 * page tests that need exact, known content: seeded random latents, every
 * 7th one dead, and a vocabulary with hostile strings (markup, quotes,
 * whitespace) that the page must show as text.
 */
export const hostileTokens = [
  "<script>window.__pwned=1</script>",
  '<img src=x onerror="window.__pwned=2">',
  "&amp;",
  '"quoted"',
  "\n",
  "\t",
  " ",
];
const words = [
  " the",
  " cat",
  " sat",
  " on",
  " mat",
  " and",
  " dog",
  " ran",
  ".",
  ",",
  " Lily",
  " happy",
  " big",
];
export const handmadeVocab = [...words, ...hostileTokens];

export interface HandmadeSae {
  path: string;
  decoder: Float32Array;
  m: number;
  d: number;
}

function context(rng: Rng, width: number, peak: number): TokenContext {
  const tokens = Array.from({ length: width }, () => rng.int(handmadeVocab.length));
  const focus = rng.int(width);
  const acts = tokens.map((_, i) => (i === focus ? peak : rng.uniform() < 0.3 ? peak * rng.uniform() : 0));
  return { row: rng.int(100_000), focus, tokens, acts };
}

/** Contexts and scatter points per latent: the defaults look like a real cache, `lean` keeps 16k latents small. */
interface RecordSize {
  top: number;
  perBand: number;
  scatter: number;
}

function record(j: number, rng: Rng, dead: boolean, size: RecordSize): LatentRecord {
  const max = dead ? 0 : 1 + 4 * rng.uniform();
  const scatterN = size.scatter;
  const norm = Array.from({ length: scatterN }, () => 5 + 10 * rng.uniform());
  return {
    latent: j,
    frequency: dead ? 0 : 0.001 + 0.2 * rng.uniform(),
    meanActivation: max / 2,
    maxActivation: max,
    alpha: rng.uniform(),
    normAuroc: dead ? null : 0.5 + 0.5 * rng.uniform(),
    normDetector: !dead && j % 5 === 0,
    concepts: dead
      ? []
      : [
          { name: `concept-${j % 11}`, f1: rng.uniform() },
          { name: "word: cat", f1: 0.1 },
        ],
    top: dead
      ? []
      : Array.from({ length: size.top }, (_, i) => context(rng, 16, max * (1 - i / (size.top + 2)))),
    quantiles: dead
      ? []
      : ["top 25%", "25–50%", "50–75%", "bottom 25%"].map((label, b) => ({
          label,
          lo: max * (0.75 - b / 4),
          hi: max * (1 - b / 4),
          count: 100 - 10 * b,
          examples: Array.from({ length: size.perBand }, () => context(rng, 12, max * (0.9 - b / 4))),
        })),
    histogram: { lo: 0, hi: max || 1, counts: Array.from({ length: 30 }, () => (dead ? 0 : rng.int(50))) },
    normScatter: { norm, act: norm.map((n) => (!dead && rng.uniform() < 0.3 ? (max * n) / 15 : 0)) },
    promoted: [
      { token: " cat", logit: 1.5 },
      { token: hostileTokens[0]!, logit: 0.7 },
    ],
    suppressed: [{ token: " dog", logit: -1.2 }],
  };
}

/** Writes `name`.cache in `folder` for an SAE of m latents and width d; returns its decoder rows too. */
export async function writeHandmadeCache(
  folder: string,
  name: string,
  options: { m: number; d: number; seed: number; lean?: boolean },
): Promise<HandmadeSae> {
  const { m, d, seed } = options;
  const size: RecordSize = options.lean
    ? { top: 3, perBand: 1, scatter: 20 }
    : { top: 8, perBand: 3, scatter: 200 };
  const rng = new Rng(seed, 1);
  const decoder = Float32Array.from({ length: m * d }, () => rng.normal());
  const records: LatentRecord[] = [];
  for (let j = 0; j < m; j++) records.push(record(j, new Rng(seed, 2, j), j % 7 === 3, size));
  const table: LatentTable = {
    frequency: records.map((r) => r.frequency),
    meanActivation: records.map((r) => r.meanActivation),
    maxActivation: records.map((r) => r.maxActivation),
    alpha: records.map((r) => r.alpha),
    normAuroc: records.map((r) => r.normAuroc),
    normDetector: records.map((r) => r.normDetector),
    bestConcept: records.map((r) => r.concepts[0]?.name ?? null),
    bestF1: records.map((r) => r.concepts[0]?.f1 ?? 0),
    topTokens: records.map((r) =>
      r.top.length ? [...new Set(r.top.map((c) => handmadeVocab[c.tokens[c.focus]!]!))].join(" ") : "",
    ),
  };
  const overview: SaeOverview = {
    label: name,
    architecture: "cosae",
    score: "cosine",
    activation: "batchtopk",
    decode: "plain",
    d,
    m,
    k: 8,
    hook: "blocks.3.hook_resid_pre",
    model: null,
    firstRow: 0,
    tokens: 100_000,
    measures: {
      fvu: 0.21,
      l0: 8.1,
      deadShare: 1 / 7,
      normDetectorShare: 0.1,
      alignedShare: 0.4,
      alphaMedian: null,
    },
    hasConcepts: true,
    hasUnembedding: true,
  };
  const path = join(folder, `${name}.cache`);
  await writeFeatureCache(
    path,
    {
      stamp: {
        sae: { path: name, weightsBytes: 0, weightsModifiedMs: 0 },
        data: { path: "handmade", rows: 100_000 },
        model: null,
        options: {},
      },
      overview,
      table,
      vocab: handmadeVocab,
    },
    records,
  );
  return { path, decoder, m, d };
}

/** Opens a handmade cache as the server serves it. */
export async function openHandmade(sae: HandmadeSae): Promise<ServedSae> {
  return servedSae(await FeatureCache.open(sae.path), { rows: sae.decoder, m: sae.m, d: sae.d });
}
