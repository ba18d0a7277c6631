/**
 * The server's limits. The page's own URLs are short (the longest is
 * /api/saes/1/latents/16383), so anything near these is not the page.
 */
export const requestLimits = {
  /** longer request targets get 414 */
  maxUrlBytes: 2048,
  /** node answers 431 when the request line and headers together exceed this */
  maxHeaderBytes: 16 * 1024,
  /** the whole header block must arrive within this (slow-loris) */
  headersTimeoutMs: 10_000,
  /** and the whole request within this */
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckMs: 1_000,
} as const;
