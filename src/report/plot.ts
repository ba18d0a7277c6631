/** What each plot function returns: a figure, or a note on why there is none. */
export type Plot =
  /** `caption` and `note` are HTML (their data already escaped) */
  | { kind: "figure"; title: string; svg: string; caption: string }
  | { kind: "note"; title: string; note: string };

/** Width of every plot's viewBox; plots scale to their grid cell. */
export const PLOT_WIDTH = 600;
