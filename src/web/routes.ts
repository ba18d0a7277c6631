import { type BatchQuery, parseBatchQuery } from "./batch-query.js";
import { parseStrictIndex } from "./strict-index.js";

/** What a request path asks for. */
export type Route =
  | { kind: "asset"; url: string }
  | { kind: "saes" }
  | { kind: "table"; sae: number }
  | { kind: "latent"; sae: number; latent: number }
  | { kind: "train-meta" }
  | ({ kind: "train-batch" } & BatchQuery)
  | { kind: "bad-request"; message: string }
  | { kind: "not-found"; message: string };

/**
 * Every path the server knows is plain: letters, digits, "/", ".", "-", "_".
 * Anything else (percent-escapes, backslashes, NUL, a scheme) is refused before
 * it is looked at; the rest must match a route or an asset URL exactly.
 */
const plainPath = /^\/[A-Za-z0-9._/-]*$/;

/**
 * `latents(s)` is SAE s's latent count; `training` is null unless the training
 * page is served (then its batch size cap). The query string is ignored, except
 * by the batch route, which reads it strictly.
 */
export function route(
  target: string,
  saeCount: number,
  latents: (sae: number) => number,
  training: { maxBatchRows: number } | null = null,
): Route {
  const question = target.indexOf("?");
  const path = question >= 0 ? target.slice(0, question) : target;
  if (!plainPath.test(path)) return { kind: "bad-request", message: "malformed request path" };
  if (!path.startsWith("/api/")) return { kind: "asset", url: path };
  if (path === "/api/train" || path.startsWith("/api/train/")) {
    if (!training)
      return { kind: "not-found", message: `no API route ${path} (cosae serve --train serves it)` };
    if (path === "/api/train/meta") return { kind: "train-meta" };
    if (path !== "/api/train/batch") return { kind: "not-found", message: `no API route ${path}` };
    const query = parseBatchQuery(question >= 0 ? target.slice(question + 1) : "", training.maxBatchRows);
    return "error" in query
      ? { kind: "bad-request", message: query.error }
      : { kind: "train-batch", ...query };
  }
  const parts = path.split("/").slice(2);
  if (
    parts[0] !== "saes" ||
    parts.length === 2 ||
    parts.length > 4 ||
    (parts.length >= 3 && parts[2] !== "latents")
  )
    return { kind: "not-found", message: `no API route ${path}` };
  if (parts.length === 1) return { kind: "saes" };
  const sae = parseStrictIndex(parts[1]!, saeCount);
  if (sae === null)
    return { kind: "not-found", message: `no SAE "${parts[1]}" (there are ${saeCount}: 0…${saeCount - 1})` };
  if (parts.length === 3) return { kind: "table", sae };
  const m = latents(sae);
  const latent = parseStrictIndex(parts[3]!, m);
  if (latent === null)
    return { kind: "not-found", message: `no latent "${parts[3]}" in SAE ${sae} (it has ${m}: 0…${m - 1})` };
  return { kind: "latent", sae, latent };
}
