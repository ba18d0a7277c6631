/**
 * A tiny schema for flat option records: one table per record gives defaults,
 * validation with messages that say what and where, and the command-line flags.
 * `null` defaults mean "derived from other options" (resolved later).
 */

/** One option: its kind, its default (`null`: derived from the others), its range or values, and its help line. */
export type FieldSpec =
  | { kind: "int"; default: number | null; min?: number; max?: number; help: string }
  | {
      kind: "number";
      default: number | null;
      min?: number;
      max?: number;
      exclusiveMin?: boolean;
      help: string;
    }
  | { kind: "enum"; default: string; values: readonly string[]; help: string }
  | { kind: "bool"; default: boolean; help: string }
  | { kind: "string"; default: string | null; help: string };

/** A record's options by name: `trainFields`, `harvestFields` … */
export type FieldTable = Record<string, FieldSpec>;

/** The value validateFields gives one field: its enum's values, or its kind's type, or null where the default is derived. */
export type FieldValue<S extends FieldSpec> = S extends { kind: "enum"; values: readonly (infer V)[] }
  ? V
  :
      | (S extends { kind: "int" | "number" } ? number : S extends { kind: "bool" } ? boolean : string)
      | (S["default"] extends null ? null : never);

/** The record validateFields returns for `table` (write `as const satisfies FieldTable` on it, so enums keep their values). */
export type FieldValues<T extends FieldTable> = { -readonly [K in keyof T]: FieldValue<T[K]> };

/**
 * Validates `input` (an object from JSON or from flags) against `table`, fills
 * defaults, and throws one error listing every problem found, each prefixed by
 * `where` (a file name or "command line").
 */
export function validateFields<T extends FieldTable>(
  table: T,
  input: unknown,
  where: string,
): FieldValues<T> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new Error(`${where}: expected an object of options, got ${describe(input)}`);
  }
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!Object.hasOwn(table, key)) {
      const near = closest(key, Object.keys(table));
      problems.push(`unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ""}`);
    }
  }
  for (const [name, spec] of Object.entries(table)) {
    const value = record[name];
    if (value === undefined || (value === null && spec.default === null)) {
      out[name] = spec.default;
      continue;
    }
    const problem = check(spec, value);
    if (problem) problems.push(`option "${name}" ${problem}, got ${describe(value)}`);
    else out[name] = value;
  }
  if (problems.length > 0) throw new Error(`${where}: ${problems.join("; ")}`);
  // Every field is set above, checked against its spec (or its default taken).
  return out as FieldValues<T>;
}

function check(spec: FieldSpec, value: unknown): string | null {
  switch (spec.kind) {
    case "int":
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return "must be a finite number";
      if (spec.kind === "int" && !Number.isInteger(value)) return "must be an integer";
      if (spec.min !== undefined) {
        const exclusive = spec.kind === "number" && spec.exclusiveMin;
        if (exclusive ? value <= spec.min : value < spec.min)
          return `must be ${exclusive ? ">" : "≥"} ${spec.min}`;
      }
      if (spec.max !== undefined && value > spec.max) return `must be ≤ ${spec.max}`;
      return null;
    }
    case "enum":
      return typeof value === "string" && spec.values.includes(value)
        ? null
        : `must be one of ${spec.values.map((v) => `"${v}"`).join(", ")}`;
    case "bool":
      return typeof value === "boolean" ? null : "must be true or false";
    case "string":
      return typeof value === "string" && value.length > 0 ? null : "must be a non-empty string";
  }
}

/** Converts command-line strings to the table's types; validation happens in validateFields. */
export function parseFlagValues(
  table: FieldTable,
  flags: Record<string, string | boolean | undefined>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(flags)) {
    if (raw === undefined) continue;
    const spec = table[name];
    if (!spec) continue;
    if ((spec.kind === "int" || spec.kind === "number") && typeof raw === "string") {
      const v = raw.trim() === "" ? Number.NaN : Number(raw);
      out[name] = Number.isNaN(v) ? raw : v;
    } else out[name] = raw;
  }
  return out;
}

/** Options for node's util.parseArgs, one flag per field (`--name value`; booleans are bare flags). */
export function flagOptions(table: FieldTable): Record<string, { type: "string" | "boolean" }> {
  const out: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(table))
    out[name] = { type: spec.kind === "bool" ? "boolean" : "string" };
  return out;
}

/** One help line per field. */
export function fieldHelp(table: FieldTable): string {
  return Object.entries(table)
    .map(([name, spec]) => {
      const range = spec.kind === "enum" ? ` (${spec.values.join(" | ")})` : "";
      const def = spec.default === null ? "auto" : String(spec.default);
      return `  --${name.padEnd(18)} ${spec.help}${range} [default: ${def}]`;
    })
    .join("\n");
}

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  if (typeof v === "object") return "an object";
  return String(v);
}

function closest(word: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The items of a comma-separated flag value ("a, b,,c" → ["a", "b", "c"]): trimmed, empty ones dropped. */
export function splitList(list: string): string[] {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
