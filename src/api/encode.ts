/**
 * Encode and decode batches for library users: raw activations in, sparse
 * codes out (the inference encoding, each token on its own), and back.
 */
import type { FloatArray, SparseRows } from "../kernels/arrays.js";
import { decode as decodeCodes, latentTerms, preactivations, selectInference } from "../model/forward.js";
import type { Sae } from "../model/sae.js";
import { type KernelSet, withKernels } from "./kernels.js";

/**
 * The sparse codes of a batch, in compressed-row form: token t's active
 * latents are `index[i]` with values `value[i]` for
 * `rowStart[t] <= i < rowStart[t + 1]`.
 */
export interface SparseCodes {
  /** tokens in the batch */
  readonly rows: number;
  /** latents of the SAE (the codes' width) */
  readonly m: number;
  /** [rows + 1] offsets into index and value */
  readonly rowStart: Int32Array;
  /** active latent ids */
  readonly index: Int32Array;
  /** their activations */
  readonly value: FloatArray;
  /** ‖x_c‖ per token, in scaled units: the equivariant decoding needs it, so {@link decode} takes it from here */
  readonly norm: Float64Array;
}

/** Options of {@link encode}, {@link decode} and {@link reconstruct}. */
export interface EncodeOptions {
  /** the kernels to run on (default: the fastest here, opened for this call) */
  kernels?: KernelSet;
}

function checkBatch(sae: Sae, x: Float32Array, rows: number, what: string): void {
  const { d } = sae.config;
  if (!(Number.isInteger(rows) && rows >= 1))
    throw new RangeError(`${what}: rows must be a positive integer, got ${rows}`);
  if (x.length !== rows * d)
    throw new RangeError(`${what}: x holds ${x.length} values, but rows × d = ${rows} × ${d} = ${rows * d}`);
}

/**
 * The SAE's inference codes of `rows` raw activations `x` [rows, d]: BatchTopK
 * SAEs fire above their learned threshold τ, TopK keeps k per token, JumpReLU
 * (SAELens) uses its per-latent thresholds. The scores of the batch are held
 * as one rows × m array: encode a large set a few thousand rows at a time.
 */
export async function encode(
  sae: Sae,
  x: Float32Array,
  rows: number,
  options: EncodeOptions = {},
): Promise<SparseCodes> {
  checkBatch(sae, x, rows, "encode");
  return withKernels(options.kernels, async (kernels) => {
    const terms = latentTerms(sae, kernels);
    const pa = await preactivations(sae, x, rows, kernels, terms);
    const codes = selectInference(sae, pa.pre, rows, kernels);
    return { ...copyCodes(codes), m: sae.config.m, norm: pa.norm.slice() };
  });
}

/** The reconstruction [rows, d] of codes from {@link encode}, in the raw units of the input. */
export async function decode(
  sae: Sae,
  codes: SparseCodes,
  options: EncodeOptions = {},
): Promise<Float32Array> {
  if (codes.m !== sae.config.m)
    throw new RangeError(`decode: the codes have m = ${codes.m} but the SAE has m = ${sae.config.m}`);
  return withKernels(options.kernels, async (kernels) => {
    const terms = latentTerms(sae, kernels);
    const out = decodeCodes(sae, terms, codes, codes.norm, kernels);
    const reconstruction = Float32Array.from(out);
    const s = sae.constants.scale;
    for (let i = 0; i < reconstruction.length; i++) reconstruction[i]! *= s;
    return reconstruction;
  });
}

/** {@link encode} then {@link decode}: the codes and the reconstruction [rows, d] of a batch. */
export async function reconstruct(
  sae: Sae,
  x: Float32Array,
  rows: number,
  options: EncodeOptions = {},
): Promise<{ codes: SparseCodes; reconstruction: Float32Array }> {
  return withKernels(options.kernels, async (kernels) => {
    const codes = await encode(sae, x, rows, { kernels });
    return { codes, reconstruction: await decode(sae, codes, { kernels }) };
  });
}

/** The kernels may return views of reused buffers: the caller gets arrays of its own. */
function copyCodes(codes: SparseRows): Pick<SparseCodes, "rows" | "rowStart" | "index" | "value"> {
  return {
    rows: codes.rows,
    rowStart: codes.rowStart.slice(),
    index: codes.index.slice(),
    value: codes.value.slice(),
  };
}
