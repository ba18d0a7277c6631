/**
 * Reads config.json so that no field is ever ignored: each field a family
 * reads, checks or declares inert is marked; `finish()` then refuses, by
 * name, any field left unmarked. Every message names the file and the field.
 */
import { ModelFormatError } from "../model-format-error.js";
import { checkGenericFields } from "./generic-config-fields.js";

/** A value as the message shows it: JSON, cut short when long. */
export function showValue(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function kindOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`;
}

export class ConfigReader {
  private readonly marked = new Set<string>();

  constructor(
    readonly json: Readonly<Record<string, unknown>>,
    /** The file, for messages (…/config.json). */
    readonly source: string,
    readonly modelType: string,
  ) {}

  /** Whether the field is written (null counts as written). */
  has(field: string): boolean {
    return this.json[field] !== undefined;
  }

  /** The raw value, marking the field as read. */
  raw(field: string): unknown {
    this.marked.add(field);
    return this.json[field];
  }

  /** Marks fields that do not change the forward pass (dropout, ids, …). */
  inert(...fields: string[]): void {
    for (const f of fields) this.marked.add(f);
  }

  /** Throws: the field holds a value cosae does not implement. */
  unsupported(field: string, value: unknown, expected: string): never {
    throw new ModelFormatError(
      `${this.source}: field "${field}" ${showValue(value)} is not supported; expected ${expected}`,
    );
  }

  /** Throws: the field is missing or of the wrong kind. */
  invalid(field: string, value: unknown, expected: string): never {
    const found =
      value === undefined ? "missing" : value === null ? "null" : `${showValue(value)} (${kindOf(value)})`;
    throw new ModelFormatError(`${this.source}: field "${field}" is ${found}; expected ${expected}`);
  }

  /** Throws an error about the config as a whole (fields that disagree). */
  fail(message: string): never {
    throw new ModelFormatError(`${this.source}: ${message}`);
  }

  private value(field: string, fallback: unknown): unknown {
    const v = this.raw(field);
    return v === undefined ? fallback : v;
  }

  /** A positive integer; `fallback` (the configuration class's default) when absent. */
  positiveInteger(field: string, fallback?: number): number {
    const v = this.value(field, fallback);
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) {
      this.invalid(field, v, "a positive integer");
    }
    return v;
  }

  /** A positive integer, or null when the field is null or absent (Python's `None`). */
  positiveIntegerOrNull(field: string): number | null {
    const v = this.raw(field);
    if (v === undefined || v === null) return null;
    return this.positiveInteger(field);
  }

  /** A finite positive number. */
  positiveNumber(field: string, fallback?: number): number {
    const v = this.value(field, fallback);
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
      this.invalid(field, v, "a positive number");
    }
    return v;
  }

  /** A finite positive number, or null when null (absent gives `fallback`). */
  positiveNumberOrNull(field: string, fallback: number | null): number | null {
    const v = this.value(field, fallback);
    if (v === null) return null;
    return this.positiveNumber(field, fallback ?? undefined);
  }

  boolean(field: string, fallback?: boolean): boolean {
    const v = this.value(field, fallback);
    if (typeof v !== "boolean") this.invalid(field, v, "true or false");
    return v;
  }

  string(field: string, fallback?: string): string {
    const v = this.value(field, fallback);
    if (typeof v !== "string") this.invalid(field, v, "a string");
    return v;
  }

  /** Checks that the field, when written, holds a value cosae implements. */
  expect(field: string, ok: (v: unknown) => boolean, expected: string): void {
    const v = this.raw(field);
    if (v !== undefined && !ok(v)) this.unsupported(field, v, expected);
  }

  /**
   * Checks the generic PretrainedConfig fields, then refuses any field that
   * neither the family nor the generic list knows.
   */
  finish(): void {
    checkGenericFields(this);
    for (const [field, value] of Object.entries(this.json)) {
      if (this.marked.has(field) || value === undefined) continue;
      throw new ModelFormatError(
        `${this.source}: field "${field}" (${showValue(value)}) is not known to cosae for model_type ` +
          `"${this.modelType}"; cosae refuses a field it does not know rather than ignore it — remove it ` +
          "only if you know it does not change the model's forward pass",
      );
    }
  }
}
