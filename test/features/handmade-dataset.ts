import type { TokenRows } from "../../src/data/activation-file.js";
import { ActivationShardWriter } from "../../src/data/activation-shard-writer.js";

/**
 * A small dataset where every code of the identity SAE (test/helpers/identity-sae.ts,
 * d = 3: latent c fires max(x_c, 0), latent 3 + c fires max(−x_c, 0)) is known:
 *
 * - sequences of 4, 6, 3 and 7 rows: rows 0–3, 4–9, 10–12, 13–19;
 * - x_0: latent 0 fires on rows 4 (3.5, first row of a sequence), 12 (2.25,
 *   last row of one), 1 (1.5), 7 and 15 (1, a tie), 17 (0.5), 18 (0.25);
 * - x_1 = 1 + t/8 > 0: latent 1 fires on every row, latent 4 never;
 * - x_2 = −(t mod 3): latent 5 fires (1 or 2) where t mod 3 ≠ 0, latent 2 never;
 * - latent 3 never fires, so latents 2, 3, 4 are dead.
 */
export const D = 3;
export const ROWS = 20;
export const SEQUENCE_LENGTHS = [4, 6, 3, 7];
export const LATENT0: ReadonlyMap<number, number> = new Map([
  [4, 3.5],
  [12, 2.25],
  [1, 1.5],
  [7, 1],
  [15, 1],
  [17, 0.5],
  [18, 0.25],
]);
export const VOCAB = Array.from({ length: 11 }, (_, i) => ` w${i}`);

export function handmadeRows(): { x: Float32Array; tokens: TokenRows } {
  const x = new Float32Array(ROWS * D);
  const tokens: TokenRows = {
    ids: new Int32Array(ROWS),
    sequence: new Int32Array(ROWS),
    position: new Int32Array(ROWS),
  };
  let t = 0;
  SEQUENCE_LENGTHS.forEach((length, s) => {
    for (let p = 0; p < length; p++, t++) {
      x[t * D] = LATENT0.get(t) ?? 0;
      x[t * D + 1] = 1 + t / 8;
      x[t * D + 2] = -(t % 3);
      tokens.ids[t] = (t * 5) % VOCAB.length;
      tokens.sequence[t] = s;
      tokens.position[t] = p + 1;
    }
  });
  return { x, tokens };
}

/** Latent j's code on row t, from the definition above. */
export function code(t: number, j: number): number {
  const x = [LATENT0.get(t) ?? 0, 1 + t / 8, -(t % 3)];
  return j < D ? Math.max(x[j]!, 0) : Math.max(-x[j - D]!, 0);
}

/** ‖x_t‖. */
export function norm(t: number): number {
  return Math.hypot(LATENT0.get(t) ?? 0, 1 + t / 8, t % 3);
}

export async function writeHandmadeDataset(
  folder: string,
  options: { vocab: boolean; hook?: string; model?: string },
): Promise<void> {
  const { x, tokens } = handmadeRows();
  const writer = await ActivationShardWriter.open(folder, {
    d: D,
    shardRows: 8,
    hook: options.hook ?? "blocks.0.hook_resid_pre",
    model: options.model ?? null,
    ...(options.vocab ? { vocab: VOCAB } : {}),
  });
  await writer.append(x, tokens);
  await writer.finish();
}
