import { parseStrictIndex } from "./strict-index.js";

/** A request for training batch `index` of `size` rows, shuffled with `seed` (GET /api/train/batch?…). */
export interface BatchQuery {
  seed: number;
  index: number;
  size: number;
}

/** The largest seed a run takes (train-config.ts's seed option). */
const maxSeed = 2 ** 32 - 1;

/**
 * The query string of a batch request: exactly `index`, `size` and `seed`,
 * each once, each plain decimal digits (see strict-index.ts), size within
 * [1, maxRows]. Anything else is a message saying what is wrong.
 */
export function parseBatchQuery(query: string, maxRows: number): BatchQuery | { error: string } {
  const usage = "expected ?index=I&size=B&seed=S (whole numbers)";
  const values = new Map<string, string>();
  for (const pair of query === "" ? [] : query.split("&")) {
    const match = /^([a-z]+)=([0-9]*)$/.exec(pair);
    if (!match) return { error: `malformed query parameter "${pair.slice(0, 40)}"; ${usage}` };
    const [, name, value] = match as unknown as [string, string, string];
    if (!["index", "size", "seed"].includes(name))
      return { error: `unknown query parameter "${name}"; ${usage}` };
    if (values.has(name)) return { error: `query parameter "${name}" given twice; ${usage}` };
    values.set(name, value);
  }
  const read = (name: string, bound: number): number | { error: string } => {
    const text = values.get(name);
    if (text === undefined) return { error: `missing query parameter "${name}"; ${usage}` };
    const value = parseStrictIndex(text, bound);
    return value ?? { error: `"${name}" must be a whole number below ${bound}, got "${text.slice(0, 20)}"` };
  };
  const size = read("size", maxRows + 1);
  if (typeof size !== "number") {
    const text = values.get("size");
    return text !== undefined && /^[1-9][0-9]*$/.test(text)
      ? {
          error: `size ${text.slice(0, 20)} is over the cap of ${maxRows} rows a batch; ask for smaller batches`,
        }
      : size;
  }
  if (size === 0) return { error: "size must be at least 1 row" };
  const seed = read("seed", maxSeed + 1);
  if (typeof seed !== "number") return seed;
  // The batch's rows start at index · size in the shuffled stream: that must stay an exact integer.
  const index = read("index", Math.floor(Number.MAX_SAFE_INTEGER / size));
  if (typeof index !== "number") return index;
  return { seed, index, size };
}
