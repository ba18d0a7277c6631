import type { LatentResponse, TokenContext } from "../features/latent-record.js";
import type { ServedSae } from "./served-sae.js";

/** How many decoder neighbours a latent view lists, in its own SAE and in the other. */
export const NEIGHBOURS = 10;

/**
 * GET /api/saes/:sae/latents/:latent: the cached record, its decoder
 * neighbours (computed now, m·d per SAE), and the strings of just the token
 * ids its contexts use, so the page never needs the whole vocabulary.
 */
export async function latentResponse(
  saes: readonly ServedSae[],
  sae: number,
  latent: number,
): Promise<LatentResponse> {
  const own = saes[sae]!;
  const record = await own.cache.record(latent);
  const nearest = own.directions.nearest(latent, NEIGHBOURS);
  let nearestOther: LatentResponse["nearestOther"] = null;
  if (saes.length === 2) {
    const other = 1 - sae;
    const theirs = saes[other]!.directions;
    if (theirs.d === own.directions.d)
      nearestOther = theirs
        .nearest(latent, NEIGHBOURS, own.directions)
        .map((n) => ({ sae: other, latent: n.latent, cosine: n.cosine }));
  }
  const contexts: TokenContext[] = [...record.top, ...record.quantiles.flatMap((b) => b.examples)];
  const strings = own.cache.header.vocab;
  const vocab: Record<number, string> = {};
  for (const c of contexts)
    for (const id of c.tokens) if (!(id in vocab)) vocab[id] = strings?.[id] ?? `<${id}>`;
  return { sae, ...record, nearest, nearestOther, vocab };
}
