import { join } from "node:path";
import type { Sae } from "../model/sae.js";
import { writeFileAtomic } from "./atomic-write.js";
import { saeFileConfig, writeSaeFolder } from "./sae-folder.js";

/**
 * An SAE that SAELens cannot express (the cosine family) in cosae's own folder
 * format, plus a README.md with a NumPy reference of encode and decode, so the
 * folder can be used without cosae. cfg.json's `score_formula` says the same
 * in one line.
 */
export const readmeFile = "README.md";

export async function writeCosaeExport(
  folder: string,
  sae: Sae,
  metadata?: Record<string, unknown>,
): Promise<void> {
  await writeSaeFolder(folder, sae, metadata);
  await writeFileAtomic(join(folder, readmeFile), cosaeReadme(sae));
}

export function cosaeReadme(sae: Sae): string {
  const c = sae.config;
  const origin = c.cosineOf === "uncentred" ? " of x/scale_s, uncentred" : "";
  return `# A cosae SAE (${c.score} score${origin}, ${c.activation}${c.activation === "jumprelu" ? "" : ` k=${c.k}`}, ${c.decode} decoding)

\`cfg.json\` holds the configuration; \`sae_weights.safetensors\` the weights, named
as SAELens names them: \`W_enc\` [d_in, d_sae], \`W_dec\` [d_sae, d_in], \`b_enc\`,
\`b_dec\`, \`threshold\` [d_sae], plus \`gain\` [d_sae] and \`alpha\` ([1] or
[d_sae]) for the cosine family. SAELens cannot load it: its encoders are linear.

In one line (\`score_formula\` in cfg.json):

    ${saeFileConfig(sae).score_formula}

The same in NumPy (\`pip install numpy safetensors\`):

\`\`\`python
import json
import numpy as np
from safetensors.numpy import load_file

def load(folder):
    cfg = json.load(open(f"{folder}/cfg.json"))
    w = {k: v.astype(np.float64) for k, v in load_file(f"{folder}/sae_weights.safetensors").items()}
    return cfg, w

def encode(cfg, w, x):
    """x: raw activations [n, d_in] -> codes z [n, d_sae], and r, a for decode."""
    m = cfg["d_sae"]
    xs = x / cfg["scale_s"]
    # the score looks at x_c = xs - b_dec, or at xs itself when cfg["cosine_of"] is "uncentred"
    v = xs if cfg.get("cosine_of") == "uncentred" else xs - w["b_dec"]
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    r = norm / cfg["norm_nu"]
    dots = v @ w["W_enc"]                                   # w_j . v, [n, d_sae]
    score = cfg["score"]
    if score == "inner":
        p, a = dots + w["b_enc"], np.ones(m)
    else:
        cos = dots / (np.linalg.norm(w["W_enc"], axis=0) * norm + cfg["eps"])
        a = {"cosine": np.zeros(m), "blend": np.full(m, w.get("alpha", [0])[0]),
             "blend-feature": w.get("alpha")}[score]
        p = w["gain"] * cos * r ** a + w["b_enc"]
    if cfg["activation"] == "topk":                         # the k largest positive p of each token
        k = cfg["k"]
        top = np.argpartition(-p, k - 1, axis=-1)[:, :k]
        keep = np.zeros(p.shape, dtype=bool)
        np.put_along_axis(keep, top, True, axis=-1)
        z = np.where(keep & (p > 0), p, 0.0)
    else:                                                   # JumpReLU: BatchTopK's tau, or per-latent thresholds
        theta = cfg["threshold_tau"] if cfg["activation"] == "batchtopk" else w["threshold"]
        z = np.where((p > theta) & (p > 0), p, 0.0)
    return z, r, a

def decode(cfg, w, z, r, a):
    """The reconstruction of x in raw units: scale_s * x_hat."""
    q = r ** (1 - a) if cfg["decode"] == "equivariant" else 1.0
    return cfg["scale_s"] * ((z * q) @ w["W_dec"] + w["b_dec"])

cfg, w = load(".")
x = np.random.randn(4, cfg["d_in"])
z, r, a = encode(cfg, w, x)
print((z > 0).sum(-1), np.linalg.norm(x - decode(cfg, w, z, r, a), axis=-1))
\`\`\`

cosae computes in float32, this reference in float64, so values agree to about
1e-6 relative; a p within rounding of its threshold may fall either side.
`;
}
