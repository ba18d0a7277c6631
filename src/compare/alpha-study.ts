/**
 * The α-initialisation study (docs/alpha.md, `npm run study:alpha`): the same
 * blend families trained from several initial α₀, each start a comparison of
 * its own. This file turns the finished comparisons into the study's markdown:
 * per run the held-out FVU, the dead share, the final α distribution and the
 * mean α along training (from the run's metrics.jsonl), and per family how much
 * of its start the final α keeps.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AlphaReport } from "../evaluation/alpha-report.js";
import { metricsFile } from "../training/run-folder-state.js";
import { fixed, percent } from "../util/number-format.js";
import type { CompareSection } from "./compare-results.js";

/** The starts of the study, α₀ ∈ {0, 0.25, 0.5, 0.75, 1}. */
export const alphaStudyStarts = [0, 0.25, 0.5, 0.75, 1] as const;

/** The fractions of training at which the mean α is shown (the last is the end). */
export const traceFractions = [0.25, 0.5, 0.8, 1] as const;

/** One run of the study. */
export interface AlphaStudyRun {
  family: string;
  /** null for a reference family without α (cosine) */
  alphaInit: number | null;
  k: number;
  fvu: number;
  deadShare: number;
  alpha: AlphaReport | null;
  /** the mean α logged nearest each of `traceFractions` of the run's steps (empty without α) */
  trace: number[];
}

/** One dataset of the study: its title and runs. */
export interface AlphaStudyDataset {
  title: string;
  data: string;
  runs: AlphaStudyRun[];
}

/** A comparison section (one α₀, or the references when `alphaInit` is null) and the folder it ran in. */
export interface AlphaStudySection {
  alphaInit: number | null;
  section: CompareSection;
  /** the folder holding the section's run folders (CompareRun.runDir is relative to it) */
  folder: string;
}

/** The study's runs of one dataset, with the α trace of each read from its metrics.jsonl. */
export async function alphaStudyDataset(sections: AlphaStudySection[]): Promise<AlphaStudyDataset> {
  const first = sections[0];
  if (!first) throw new Error("alphaStudyDataset: no comparison sections given");
  const runs: AlphaStudyRun[] = [];
  for (const { alphaInit, section, folder } of sections) {
    for (const run of section.runs) {
      const alpha = run.report.alpha;
      runs.push({
        family: run.family,
        alphaInit: alpha ? alphaInit : null,
        k: run.k,
        fvu: run.report.fvu,
        deadShare: run.report.deadShare,
        alpha,
        trace: alpha ? alphaTrace(await readMetrics(join(folder, run.runDir))) : [],
      });
    }
  }
  return { title: first.section.title, data: first.section.data, runs };
}

/** The mean α of the logged steps nearest each fraction of the last logged step. */
export function alphaTrace(metrics: { step: number; alpha: number | null }[]): number[] {
  const logged = metrics.filter((m) => m.alpha !== null);
  const last = logged.at(-1);
  if (!last) return [];
  return traceFractions.map((f) => {
    const want = f * last.step;
    let best = logged[0]!;
    for (const m of logged) if (Math.abs(m.step - want) < Math.abs(best.step - want)) best = m;
    return best.alpha!;
  });
}

async function readMetrics(runFolder: string): Promise<{ step: number; alpha: number | null }[]> {
  const path = join(runFolder, metricsFile);
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { step: number; alpha: number | null });
}

/**
 * How much of its start a family's final α keeps: the range of its final
 * median α over the starts, divided by the range of the starts. 0: every start
 * ends at the same α (the data identify it); 1: α ends where it started.
 */
export function startKept(runs: AlphaStudyRun[]): number | null {
  const started = runs.filter((r) => r.alphaInit !== null && r.alpha !== null);
  if (started.length < 2) return null;
  const starts = started.map((r) => r.alphaInit!);
  const ends = started.map((r) => r.alpha!.median);
  const startRange = Math.max(...starts) - Math.min(...starts);
  return startRange > 0 ? (Math.max(...ends) - Math.min(...ends)) / startRange : null;
}

/** References (no α) first, then each family's runs by α₀, families in the order they first appear. */
function byFamilyThenStart(runs: AlphaStudyRun[]): AlphaStudyRun[] {
  const families = [...new Set(runs.map((r) => r.family))];
  const rank = (r: AlphaStudyRun) => (r.alphaInit === null ? 0 : 1);
  return [...runs].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      families.indexOf(a.family) - families.indexOf(b.family) ||
      (a.alphaInit ?? 0) - (b.alphaInit ?? 0) ||
      a.k - b.k,
  );
}

function markdownTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The study as markdown: per dataset the run table and the per-family summary. */
export function alphaStudyMarkdown(datasets: AlphaStudyDataset[], settings: string): string {
  const out = [
    "# α-initialisation study",
    "",
    `Written by \`npm run study:alpha\` (scripts/alpha-study.mjs); read in docs/alpha.md. ${settings}`,
    "FVU and dead share are measured on held-out tokens; α is the final per-latent (blend-feature)",
    'or global (blend) magnitude exponent; "mean α at" is the logged mean α at 25%, 50% and 80%',
    "of the steps and at the end (the learning rate decays to 0 over the last 20%).",
  ];
  for (const dataset of datasets) {
    out.push("", `## ${dataset.title}`, "", dataset.data, "");
    const rows = byFamilyThenStart(dataset.runs).map((r) => [
      r.family,
      r.alphaInit === null ? "—" : String(r.alphaInit),
      String(r.k),
      fixed(r.fvu, 4),
      percent(r.deadShare),
      fixed(r.alpha?.min, 3),
      fixed(r.alpha?.q1, 3),
      fixed(r.alpha?.median, 3),
      fixed(r.alpha?.q3, 3),
      fixed(r.alpha?.max, 3),
      percent(r.alpha?.shareAbove, 0),
      r.trace.length > 0 ? r.trace.map((a) => fixed(a, 2)).join(" / ") : "—",
    ]);
    const headers = ["family", "α₀", "k", "FVU", "dead", "α min", "q1", "median", "q3", "max", "α > 0.5"];
    out.push(markdownTable([...headers, "mean α at 25/50/80/100%"], rows));
    const families = [...new Set(dataset.runs.filter((r) => r.alphaInit !== null).map((r) => r.family))];
    if (families.length === 0) continue;
    out.push(
      "",
      "Start kept: the range of the final median α over the starts, divided by the range of the starts",
      "(0: every start ends at the same α, so the data identify it; 1: α stays where it started).",
      "",
    );
    const summary = families.map((family) => {
      const own = dataset.runs.filter((r) => r.family === family && r.alphaInit !== null);
      const best = own.reduce((a, b) => (b.fvu < a.fvu ? b : a));
      return [
        family,
        own.map((r) => `${r.alphaInit} → ${fixed(r.alpha?.median, 2)}`).join(", "),
        fixed(startKept(own), 2),
        `${best.alphaInit} (${fixed(best.fvu, 4)})`,
      ];
    });
    out.push(markdownTable(["family", "α₀ → final median α", "start kept", "best FVU from α₀"], summary));
  }
  return `${out.join("\n")}\n`;
}
