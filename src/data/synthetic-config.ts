/**
 * Options of the embedded synthetic dataset (DESIGN.md §5) and their checking.
 * Every choice the design leaves open is an option here with its default.
 */
export interface SyntheticConfig {
  /** Input width. */
  d: number;
  /** Number of ground-truth unit directions. */
  features: number;
  /** Expected number of active features per token (before the "at least one" rule). */
  meanActive: number;
  /** P(feature i active) ∝ (i + 1)^-exponent, scaled so Σ p_i = meanActive with each p_i capped at 1. */
  frequencyExponent: number;
  /** Magnitudes of active features, uniform in [magnitudeMin, magnitudeMax]; positive so features never cancel. */
  magnitudeMin: number;
  magnitudeMax: number;
  /** Ordinary tokens: ρ = exp(normSigma · N(0, 1)), log-normal with median 1. */
  normSigma: number;
  /** Probability that a token is massive (Bernoulli per token). */
  massiveFraction: number;
  /** Massive tokens get ρ = massiveScale (the median ordinary ρ is 1), like attention sinks. */
  massiveScale: number;
  /**
   * If true, a massive token keeps its ordinary log-normal ρ and gains a fixed
   * component instead: x = ρ·v̂ + massiveScale·u, with u one fixed unit direction.
   */
  massiveDirection: boolean;
  /** Isotropic Gaussian noise with expected norm noise·ρ, so signal-to-noise does not depend on ρ. */
  noise: number;
  /** Seeds features, the massive direction and every batch. */
  seed: number;
}

export const defaultSyntheticConfig: Readonly<SyntheticConfig> = Object.freeze({
  d: 128,
  features: 512,
  meanActive: 6,
  frequencyExponent: 0.8,
  magnitudeMin: 0.5,
  magnitudeMax: 1.5,
  normSigma: 0.5,
  massiveFraction: 0.01,
  massiveScale: 10,
  massiveDirection: false,
  noise: 0.05,
  seed: 0,
});

type Check = (value: number) => string | null;

const positiveInt: Check = (v) => (Number.isInteger(v) && v >= 1 ? null : "an integer >= 1");
const nonNegative: Check = (v) => (v >= 0 ? null : "a number >= 0");
const positive: Check = (v) => (v > 0 ? null : "a number > 0");
const probability: Check = (v) => (v >= 0 && v <= 1 ? null : "a number in [0, 1]");
const seedCheck: Check = (v) =>
  Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? null : "an integer in [0, 4294967295]";

const numberChecks: Record<Exclude<keyof SyntheticConfig, "massiveDirection">, Check> = {
  d: positiveInt,
  features: positiveInt,
  meanActive: positive,
  frequencyExponent: nonNegative,
  magnitudeMin: positive,
  magnitudeMax: positive,
  normSigma: nonNegative,
  massiveFraction: probability,
  massiveScale: positive,
  noise: nonNegative,
  seed: seedCheck,
};

function fail(field: string, value: unknown, expected: string): never {
  let shown: string;
  try {
    shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    shown = typeof value;
  }
  throw new Error(`synthetic config: ${field} = ${shown}; expected ${expected}`);
}

/** Merges `partial` over the defaults and checks every field; errors name the field, the value and what was expected. */
export function validateSyntheticConfig(partial: unknown): SyntheticConfig {
  if (partial === undefined || partial === null) return { ...defaultSyntheticConfig };
  if (typeof partial !== "object" || Array.isArray(partial)) {
    fail("(config)", partial, "an object of synthetic options");
  }
  const input = partial as Record<string, unknown>;
  const config: SyntheticConfig = { ...defaultSyntheticConfig };
  const known = Object.keys(defaultSyntheticConfig);
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) fail(key, input[key], `no such option (known: ${known.join(", ")})`);
  }
  for (const key of Object.keys(numberChecks) as (keyof typeof numberChecks)[]) {
    const value = input[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value)) fail(key, value, "a finite number");
    const problem = numberChecks[key](value);
    if (problem !== null) fail(key, value, problem);
    config[key] = value;
  }
  if (input["massiveDirection"] !== undefined) {
    const value = input["massiveDirection"];
    if (typeof value !== "boolean") fail("massiveDirection", value, "a boolean");
    config.massiveDirection = value;
  }
  // Cross-field rules, checked on the merged result so defaults count too.
  if (config.magnitudeMax < config.magnitudeMin) {
    fail("magnitudeMax", config.magnitudeMax, `a number >= magnitudeMin (${config.magnitudeMin})`);
  }
  if (config.meanActive > config.features) {
    fail("meanActive", config.meanActive, `a number <= features (${config.features})`);
  }
  return config;
}
