/** Horizontal bars per family at matched FVU: concept-aligned latents, and norm detectors if measured. */
import type { CompareResults, CompareSection } from "../compare/compare-results.js";
import type { FamilyStyles } from "./palette.js";
import type { Plot } from "./plot.js";
import { matchedBarsPlot } from "./plot-matched-bars.js";

export function alignedSharePlot(
  results: CompareResults,
  section: CompareSection,
  styles: FamilyStyles,
): Plot {
  return matchedBarsPlot({
    results,
    section,
    styles,
    title: "Aligned latents at matched FVU",
    series: [
      { key: "alignedShare", fallback: "aligned latents", opacity: 1 },
      { key: "normDetectorShare", fallback: "norm detectors", opacity: 0.3 },
    ],
    missing: "No aligned-latent share at matched FVU (the data have no concept bank).",
    what: "% of latents",
    caption: "",
  });
}
