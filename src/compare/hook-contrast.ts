/**
 * Where cosine's advantage holds (issue 16 §2): the paper argues that a
 * sublayer's normalisation discards the magnitude an inner product measures,
 * so the contrast with `inner` should differ between the residual stream and
 * the outputs added to it unnormalised (hook_attn_out, hook_mlp_out). For a
 * comparison whose sections are hooks `blocks.L.<kind>` with two or more kinds
 * at some depth, this lays out, depth by depth and kind by kind, each family's
 * matched measure minus the reference family's (both read at the section's
 * target FVU).
 */
import type { CompareResults, CompareSection, MeasureInfo } from "./compare-results.js";

/** The measures the contrast shows, when present: alignment, norm waste, slot share, the tasks. */
const contrastKeys = [
  "alignedShare",
  "coveredShare",
  "normCorrelatedShare",
  "normDetectorShare",
  "normDetectorSlotShare",
  "top1Share",
  "probeAccuracy1",
  "probeAccuracy20",
  "absorptionRate",
];

export interface HookContrastCell {
  depth: number;
  /** e.g. "hook_resid_pre", "hook_attn_out" */
  kind: string;
  /** the section's title */
  section: string;
  /** by measure key: the family's value, the reference's, and family − reference (null where either is missing) */
  values: Record<string, { family: number | null; reference: number | null; delta: number | null }>;
}

export interface HookContrast {
  family: string;
  reference: string;
  measures: MeasureInfo[];
  /** ordered by depth, then by the kinds' order of first appearance */
  cells: HookContrastCell[];
}

/** `blocks.L.hook_X` in a section's hook, else null. */
export function parseBlockHook(hook: string | null | undefined): { depth: number; kind: string } | null {
  const m = /^blocks\.(\d+)\.(hook_[a-z_]+)$/.exec(hook ?? "");
  return m ? { depth: Number(m[1]), kind: m[2]! } : null;
}

/**
 * One contrast per family other than the reference, or none when no depth has
 * two kinds of hook (a residual-only comparison has nothing to contrast).
 */
export function hookContrasts(results: CompareResults, reference = "inner"): HookContrast[] {
  const placed = results.sections
    .map((s) => ({ s, at: parseBlockHook(s.hook) }))
    .filter((p): p is { s: CompareSection; at: { depth: number; kind: string } } => p.at !== null);
  const kindsAt = new Map<number, Set<string>>();
  for (const { at } of placed) kindsAt.set(at.depth, (kindsAt.get(at.depth) ?? new Set()).add(at.kind));
  if (![...kindsAt.values()].some((kinds) => kinds.size >= 2)) return [];
  if (!results.families.some((f) => f.name === reference)) return [];

  const kindOrder = [...new Set(placed.map((p) => p.at.kind))];
  placed.sort(
    (a, b) => a.at.depth - b.at.depth || kindOrder.indexOf(a.at.kind) - kindOrder.indexOf(b.at.kind),
  );
  const measures = contrastKeys
    .map((key) => results.measures.find((m) => m.key === key))
    .filter((m): m is MeasureInfo => m !== undefined);

  return results.families
    .filter((f) => f.name !== reference)
    .map((f) => {
      const cells = placed.map(({ s, at }) => {
        const own = s.matched.find((r) => r.family === f.name)?.measures ?? {};
        const ref = s.matched.find((r) => r.family === reference)?.measures ?? {};
        const values: HookContrastCell["values"] = {};
        for (const m of measures) {
          const a = finiteOrNull(own[m.key]);
          const b = finiteOrNull(ref[m.key]);
          values[m.key] = { family: a, reference: b, delta: a === null || b === null ? null : a - b };
        }
        return { depth: at.depth, kind: at.kind, section: s.title, values };
      });
      // A measure no cell has a value for (e.g. absorption without token text) is left out.
      const shown = measures.filter((m) => cells.some((c) => c.values[m.key]!.delta !== null));
      return { family: f.name, reference, measures: shown, cells };
    });
}

function finiteOrNull(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}
