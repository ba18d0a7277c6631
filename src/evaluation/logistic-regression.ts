/**
 * L2-regularised logistic regression, fitted exactly and deterministically
 * (the probes of DESIGN §4: k-sparse probing and the first-letter probes).
 *
 *   f(w, b) = (1/n) Σ_i [log(1 + e^{z_i}) − y_i z_i] + (λ/2) ‖w‖²,   z_i = w · x_i + b
 *
 * The intercept b is not penalised. With λ > 0 and both classes present f is
 * strictly convex with a finite minimiser, even on separable data. Few
 * features (the k ≤ 20 latents of a sparse probe): Newton's method with a
 * Cholesky solve, to machine precision in a few steps. Many (a probe on all d
 * raw dimensions, d up to 768 and more): L-BFGS, which needs only O(n·p) per
 * step where Newton would need O(n·p² + p³).
 */

export interface LogisticOptions {
  /** λ, the L2 penalty on the weights (not the intercept); > 0 */
  l2: number;
  /** "auto": Newton up to `newtonMaxFeatures` features, L-BFGS above */
  method: "auto" | "newton" | "lbfgs";
  newtonMaxFeatures: number;
  /** stop when every gradient component is at most this */
  gradientTolerance: number;
  maxIterations: number;
}

export const defaultLogisticOptions: LogisticOptions = {
  l2: 1e-3,
  method: "auto",
  newtonMaxFeatures: 32,
  gradientTolerance: 1e-8,
  maxIterations: 500,
};

export interface LogisticFit {
  /** w [p] */
  weights: Float64Array;
  bias: number;
  /** f at the solution */
  objective: number;
  /** max |∂f| at the solution */
  gradientMax: number;
  iterations: number;
  method: "newton" | "lbfgs";
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * f and its gradient at θ = [w (p), b]; `x` is [n, p] row-major. The gradient goes
 * into `grad` (length p + 1); `z` (length n) receives the logits.
 */
export function logisticObjective(
  x: Float64Array,
  y: Uint8Array,
  n: number,
  p: number,
  l2: number,
  theta: Float64Array,
  grad: Float64Array,
  z: Float64Array = new Float64Array(n),
): number {
  const b = theta[p]!;
  let loss = 0;
  grad.fill(0);
  for (let i = 0; i < n; i++) {
    let zi = b;
    const row = i * p;
    for (let c = 0; c < p; c++) zi += theta[c]! * x[row + c]!;
    z[i] = zi;
    loss += softplus(zi) - (y[i]! ? zi : 0);
    const r = sigmoid(zi) - y[i]!;
    for (let c = 0; c < p; c++) grad[c]! += r * x[row + c]!;
    grad[p]! += r;
  }
  let penalty = 0;
  for (let c = 0; c <= p; c++) grad[c]! /= n;
  for (let c = 0; c < p; c++) {
    penalty += theta[c]! ** 2;
    grad[c]! += l2 * theta[c]!;
  }
  return loss / n + 0.5 * l2 * penalty;
}

/** Fits w and b; `x` is [n, p] row-major, `y` 0/1 with both classes present. */
export function fitLogistic(
  x: Float64Array,
  y: Uint8Array,
  n: number,
  p: number,
  options: Partial<LogisticOptions> = {},
): LogisticFit {
  const o = { ...defaultLogisticOptions, ...options };
  if (!(o.l2 > 0)) throw new RangeError(`fitLogistic: l2 must be > 0, got ${o.l2}`);
  if (x.length !== n * p) throw new RangeError(`fitLogistic: x has ${x.length} values, expected ${n} × ${p}`);
  if (y.length !== n) throw new RangeError(`fitLogistic: ${y.length} labels for ${n} rows`);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i]!;
  if (positives === 0 || positives === n)
    throw new RangeError(`fitLogistic: the labels hold one class only (${positives} of ${n} positive)`);
  const method = o.method === "auto" ? (p <= o.newtonMaxFeatures ? "newton" : "lbfgs") : o.method;
  return method === "newton" ? newton(x, y, n, p, o) : lbfgs(x, y, n, p, o);
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
}

/** Backtracking (Armijo) along `dir` from θ into `trial`; returns the new f, or null when no step decreases f. */
function backtrack(
  x: Float64Array,
  y: Uint8Array,
  n: number,
  p: number,
  l2: number,
  theta: Float64Array,
  f: number,
  grad: Float64Array,
  dir: Float64Array,
  step0: number,
  trial: Float64Array,
  trialGrad: Float64Array,
  z: Float64Array,
): number | null {
  let slope = 0;
  for (let c = 0; c <= p; c++) slope += grad[c]! * dir[c]!;
  if (!(slope < 0)) return null;
  let step = step0;
  for (let tries = 0; tries < 60; tries++) {
    for (let c = 0; c <= p; c++) trial[c] = theta[c]! + step * dir[c]!;
    const ft = logisticObjective(x, y, n, p, l2, trial, trialGrad, z);
    // Strictly lower too: at the limit of float64, f + 1e-4·step·slope rounds to f and a step that
    // changes nothing would pass, so the caller would spin until maxIterations.
    if (ft <= f + 1e-4 * step * slope && ft < f) return ft;
    step /= 2;
  }
  return null;
}

function newton(x: Float64Array, y: Uint8Array, n: number, p: number, o: LogisticOptions): LogisticFit {
  const q = p + 1;
  const theta = new Float64Array(q);
  const grad = new Float64Array(q);
  const z = new Float64Array(n);
  const hess = new Float64Array(q * q);
  const dir = new Float64Array(q);
  const trial = new Float64Array(q);
  const trialGrad = new Float64Array(q);
  let f = logisticObjective(x, y, n, p, o.l2, theta, grad, z);
  let it = 0;
  for (; it < o.maxIterations && maxAbs(grad) > o.gradientTolerance; it++) {
    // H = (1/n) Σ s_i [x_i, 1][x_i, 1]ᵀ + λ diag(1…1, 0), s_i = σ(z_i)(1 − σ(z_i)): lower triangle, then mirrored.
    hess.fill(0);
    for (let i = 0; i < n; i++) {
      const sg = sigmoid(z[i]!);
      const s = sg * (1 - sg);
      if (s === 0) continue;
      const row = i * p;
      for (let a = 0; a < q; a++) {
        const xa = s * (a < p ? x[row + a]! : 1);
        if (xa === 0) continue;
        const h = a * q;
        for (let c = 0; c < p && c <= a; c++) hess[h + c]! += xa * x[row + c]!;
        if (a === p) hess[h + p]! += xa;
      }
    }
    for (let a = 0; a < q; a++) {
      for (let c = 0; c <= a; c++) hess[a * q + c]! /= n;
      if (a < p) hess[a * q + a]! += o.l2;
    }
    for (let c = 0; c < q; c++) dir[c] = -grad[c]!;
    if (!choleskySolve(hess, q, dir)) for (let c = 0; c < q; c++) dir[c] = -grad[c]!; // never with λ > 0
    const ft = backtrack(x, y, n, p, o.l2, theta, f, grad, dir, 1, trial, trialGrad, z);
    if (ft === null) break; // at the limit of float64: no step lowers f
    theta.set(trial);
    grad.set(trialGrad);
    f = ft;
  }
  // z was last written by the accepted trial, so grad and f describe theta.
  return {
    weights: theta.slice(0, p),
    bias: theta[p]!,
    objective: f,
    gradientMax: maxAbs(grad),
    iterations: it,
    method: "newton",
  };
}

/**
 * Solves A v = b in place (b → v) for the symmetric positive definite A whose
 * lower triangle is given ([q, q] row-major; overwritten by its Cholesky factor).
 * False when A is not positive definite.
 */
export function choleskySolve(a: Float64Array, q: number, b: Float64Array): boolean {
  for (let j = 0; j < q; j++) {
    let s = a[j * q + j]!;
    for (let k = 0; k < j; k++) s -= a[j * q + k]! ** 2;
    if (!(s > 0)) return false;
    const l = Math.sqrt(s);
    a[j * q + j] = l;
    for (let i = j + 1; i < q; i++) {
      let t = a[i * q + j]!;
      for (let k = 0; k < j; k++) t -= a[i * q + k]! * a[j * q + k]!;
      a[i * q + j] = t / l;
    }
  }
  for (let i = 0; i < q; i++) {
    let t = b[i]!;
    for (let k = 0; k < i; k++) t -= a[i * q + k]! * b[k]!;
    b[i] = t / a[i * q + i]!;
  }
  for (let i = q - 1; i >= 0; i--) {
    let t = b[i]!;
    for (let k = i + 1; k < q; k++) t -= a[k * q + i]! * b[k]!;
    b[i] = t / a[i * q + i]!;
  }
  return true;
}

/** L-BFGS (Nocedal & Wright, Algorithm 7.4) with the last `MEMORY` pairs and Armijo backtracking. */
const MEMORY = 10;

function lbfgs(x: Float64Array, y: Uint8Array, n: number, p: number, o: LogisticOptions): LogisticFit {
  const q = p + 1;
  const theta = new Float64Array(q);
  const grad = new Float64Array(q);
  const z = new Float64Array(n);
  const dir = new Float64Array(q);
  const trial = new Float64Array(q);
  const trialGrad = new Float64Array(q);
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(MEMORY);
  let f = logisticObjective(x, y, n, p, o.l2, theta, grad, z);
  let it = 0;
  for (; it < o.maxIterations && maxAbs(grad) > o.gradientTolerance; it++) {
    // Two-loop recursion: dir = −H_k ∇f.
    for (let c = 0; c < q; c++) dir[c] = -grad[c]!;
    const h = sHist.length;
    for (let i = h - 1; i >= 0; i--) {
      let a = 0;
      for (let c = 0; c < q; c++) a += sHist[i]![c]! * dir[c]!;
      a *= rho[i]!;
      alpha[i] = a;
      for (let c = 0; c < q; c++) dir[c]! -= a * yHist[i]![c]!;
    }
    let gamma: number;
    if (h > 0) {
      let sy = 0;
      let yy = 0;
      for (let c = 0; c < q; c++) {
        sy += sHist[h - 1]![c]! * yHist[h - 1]![c]!;
        yy += yHist[h - 1]![c]! ** 2;
      }
      gamma = sy / yy;
    } else {
      let g2 = 0;
      for (let c = 0; c < q; c++) g2 += grad[c]! ** 2;
      gamma = 1 / Math.max(1, Math.sqrt(g2)); // a first step of length ≤ 1
    }
    for (let c = 0; c < q; c++) dir[c]! *= gamma;
    for (let i = 0; i < h; i++) {
      let bta = 0;
      for (let c = 0; c < q; c++) bta += yHist[i]![c]! * dir[c]!;
      bta *= rho[i]!;
      for (let c = 0; c < q; c++) dir[c]! += sHist[i]![c]! * (alpha[i]! - bta);
    }
    const ft = backtrack(x, y, n, p, o.l2, theta, f, grad, dir, 1, trial, trialGrad, z);
    if (ft === null) break;
    const s = new Float64Array(q);
    const yv = new Float64Array(q);
    let sy = 0;
    for (let c = 0; c < q; c++) {
      s[c] = trial[c]! - theta[c]!;
      yv[c] = trialGrad[c]! - grad[c]!;
      sy += s[c]! * yv[c]!;
    }
    theta.set(trial);
    grad.set(trialGrad);
    f = ft;
    if (sy > 0) {
      // f is strictly convex, so sᵀy > 0 except at the limit of float64
      if (sHist.length === MEMORY) {
        sHist.shift();
        yHist.shift();
        rho.shift();
      }
      sHist.push(s);
      yHist.push(yv);
      rho.push(1 / sy);
    }
  }
  return {
    weights: theta.slice(0, p),
    bias: theta[p]!,
    objective: f,
    gradientMax: maxAbs(grad),
    iterations: it,
    method: "lbfgs",
  };
}
