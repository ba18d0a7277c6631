/**
 * Score families of a comparison, named `<score>[-uncentred][-equivariant][-equalize]`
 * (the suffixes in that order, each optional): `cosine-equivariant` is the cosine score
 * with equivariant decoding, `cosine-uncentred` the cosine of x̃ instead of x_c
 * (cosineOf "uncentred", cosine family only), `inner-equalize` the inner product with
 * the paper's gradient-equalising loss weights. Everything else about the runs is shared.
 */
import { splitList } from "../config/fields.js";
import { isCosine, scoreKinds } from "../kernels/score-family.js";
import { decodings } from "../model/config.js";
import type { FamilySpec } from "./compare-results.js";

/** The paper's comparison, plus both decodings for cosine and blend-feature (DESIGN §2). */
export const defaultFamilies = [
  "inner",
  "inner-equalize",
  "cosine",
  "cosine-equivariant",
  "blend",
  "blend-feature",
  "blend-feature-equivariant",
];

/** The grammar of a family name, for help texts and errors. */
export const familyGrammar = "<score>[-uncentred][-equivariant][-equalize]";

export function parseFamily(name: string): FamilySpec {
  let rest = name.trim();
  let reweight: FamilySpec["reweight"] = "none";
  let decode: FamilySpec["decode"] = "plain";
  let cosineOf: NonNullable<FamilySpec["cosineOf"]> = "centred";
  if (rest.endsWith("-equalize")) {
    reweight = "equalize";
    rest = rest.slice(0, -"-equalize".length);
  }
  for (const d of decodings) {
    if (d !== "plain" && rest.endsWith(`-${d}`)) {
      decode = d;
      rest = rest.slice(0, -(d.length + 1));
    }
  }
  if (rest.endsWith("-uncentred")) {
    cosineOf = "uncentred";
    rest = rest.slice(0, -"-uncentred".length);
  }
  const score = scoreKinds.find((s) => s === rest);
  if (score === undefined) {
    throw new Error(
      `unknown family "${name}": expected ${familyGrammar} with score one of ${scoreKinds.join(", ")}`,
    );
  }
  if (cosineOf === "uncentred" && !isCosine(score))
    throw new Error(
      `family "${name}": -uncentred applies to the cosine family only (cosine, blend, blend-feature); ` +
        `the inner score always looks at x_c = x̃ − b_dec`,
    );
  // Centred is left unsaid, so a default family's spec (and compare-results.json) reads as before.
  return { name: name.trim(), score, decode, reweight, ...(cosineOf === "uncentred" ? { cosineOf } : {}) };
}

/** Families from a comma-separated list, each once. */
export function parseFamilies(list: string): FamilySpec[] {
  const out = splitList(list).map(parseFamily);
  const names = new Set<string>();
  for (const f of out) {
    if (names.has(f.name)) throw new Error(`family "${f.name}" is listed twice`);
    names.add(f.name);
  }
  if (out.length === 0) throw new Error("no families given");
  return out;
}
