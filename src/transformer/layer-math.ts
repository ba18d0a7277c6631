/**
 * The per-token arithmetic of a Llama block, as pure loops over row-major
 * float32 arrays (JS arithmetic is float64, so sums accumulate in float64).
 */

/** out[t] = x[t] / rms(x[t]) with rms = sqrt(mean(x²) + eps): the RMSNorm before its gain. */
export function rmsNormalize(x: Float32Array, rows: number, width: number, eps: number): Float32Array {
  const out = new Float32Array(rows * width);
  for (let t = 0; t < rows; t++) {
    const o = t * width;
    let ss = 0;
    for (let i = 0; i < width; i++) ss += x[o + i]! * x[o + i]!;
    const inv = 1 / Math.sqrt(ss / width + eps);
    for (let i = 0; i < width; i++) out[o + i] = x[o + i]! * inv;
  }
  return out;
}

/** out[t, i] = x[t, i] · gain[i]. */
export function scaleColumns(x: Float32Array, rows: number, gain: Float32Array): Float32Array {
  const width = gain.length;
  const out = new Float32Array(rows * width);
  for (let t = 0; t < rows; t++) {
    const o = t * width;
    for (let i = 0; i < width; i++) out[o + i] = x[o + i]! * gain[i]!;
  }
  return out;
}

/** a + b, elementwise, into a new array. */
export function addArrays(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/**
 * SwiGLU: from gateUp [rows, 2·hidden] (gate in the first `hidden` columns,
 * up in the rest) returns silu(gate) · up [rows, hidden].
 */
export function swiglu(gateUp: Float32Array, rows: number, hidden: number): Float32Array {
  const out = new Float32Array(rows * hidden);
  for (let t = 0; t < rows; t++) {
    const g0 = t * 2 * hidden;
    const o = t * hidden;
    for (let i = 0; i < hidden; i++) {
      const g = gateUp[g0 + i]!;
      out[o + i] = (g / (1 + Math.exp(-g))) * gateUp[g0 + hidden + i]!;
    }
  }
  return out;
}
