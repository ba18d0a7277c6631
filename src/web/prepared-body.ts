import { promisify } from "node:util";
import { gzip, gzipSync } from "node:zlib";

/** A response body and, when it is worth compressing, its gzip form. */
export interface PreparedBody {
  type: string;
  body: Buffer;
  gzipped: Buffer | null;
}

/** Below this a gzip header costs more than it saves. */
const GZIP_MIN_BYTES = 1024;
const gzipAsync = promisify(gzip);

export const jsonType = "application/json; charset=utf-8";
/** raw bytes (the training page's batches of float32) */
export const binaryType = "application/octet-stream";

/** For bodies made once at startup (assets, latent tables). */
export function prepareBody(type: string, body: Buffer): PreparedBody {
  return { type, body, gzipped: body.length >= GZIP_MIN_BYTES ? gzipSync(body) : null };
}

/** For bodies made per request (a latent's record), compressed off the main thread. */
export async function prepareJson(value: unknown, compress: boolean): Promise<PreparedBody> {
  const body = Buffer.from(JSON.stringify(value), "utf8");
  const gzipped = compress && body.length >= GZIP_MIN_BYTES ? await gzipAsync(body) : null;
  return { type: jsonType, body, gzipped };
}
