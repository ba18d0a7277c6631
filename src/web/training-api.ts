/**
 * What the training page and the server say to each other (browser-safe: the
 * page imports it, so nothing here may import Node modules).
 *
 *   GET /api/train/meta                         TrainingDataMeta (JSON)
 *   GET /api/train/batch?index=I&size=B&seed=S  B rows of d float32, little-endian, row-major
 */
export interface TrainingDataMeta {
  /** input width */
  d: number;
  /** rows the source trains on */
  rows: number;
  /** the dataset in one line (path, rows, d, dtype, files) */
  dataset: string;
  /** the largest batch (rows) one request may ask for */
  maxBatchRows: number;
}
