/**
 * Matched reconstruction (DESIGN §4): each family is trained at several k,
 * and every measure is read off at the target FVU by interpolating between the
 * two runs whose FVUs bracket it — linearly in FVU for the measures, in log k
 * for k. When no pair brackets the target, the run nearest to it stands in and
 * the row says so; either way the row carries how far the nearest run was.
 */
import type { MatchedRow } from "./compare-results.js";

export interface MatchPoint {
  k: number;
  fvu: number;
  measures: Record<string, number | null>;
}

export function matchAtFvu(family: string, points: readonly MatchPoint[], target: number): MatchedRow {
  if (points.length === 0) throw new Error(`matchAtFvu: family "${family}" has no runs`);
  if (!Number.isFinite(target)) throw new Error(`matchAtFvu: target FVU ${target} is not finite`);
  const byK = [...points].sort((a, b) => a.k - b.k);
  let nearest = byK[0]!;
  for (const p of byK) if (Math.abs(p.fvu - target) < Math.abs(nearest.fvu - target)) nearest = p;
  const nearestGap = nearest.fvu - target;

  // The bracketing pair of neighbours in k whose FVUs enclose the target, closest to the nearest run.
  let pair: [MatchPoint, MatchPoint] | null = null;
  for (let i = 0; i + 1 < byK.length; i++) {
    const a = byK[i]!;
    const b = byK[i + 1]!;
    if (Math.min(a.fvu, b.fvu) <= target && target <= Math.max(a.fvu, b.fvu) && a.fvu !== b.fvu) {
      if (pair === null || a === nearest || b === nearest) pair = [a, b];
    }
  }
  if (pair === null) {
    return {
      family,
      k: nearest.k,
      nearestGap,
      bracketed: nearest.fvu === target,
      measures: { ...nearest.measures },
    };
  }
  const [a, b] = pair;
  const w = (target - a.fvu) / (b.fvu - a.fvu);
  const measures: Record<string, number | null> = {};
  for (const key of new Set([...Object.keys(a.measures), ...Object.keys(b.measures)])) {
    const va = a.measures[key] ?? null;
    const vb = b.measures[key] ?? null;
    measures[key] = va === null || vb === null ? null : va + w * (vb - va);
  }
  const k = Math.exp(Math.log(a.k) + w * (Math.log(b.k) - Math.log(a.k)));
  return { family, k, nearestGap, bracketed: true, measures };
}
