import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { writeCosaeExport } from "../../src/io/cosae-export.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import type { ScoreKind } from "../../src/kernels/score-family.js";
import type { Activation, CosineOrigin, Decoding } from "../../src/model/config.js";
import { reconstruct } from "../../src/model/forward.js";
import { cloneSae } from "../../src/model/sae.js";
import { skipWhenMissing } from "../helpers/optional-part.js";
import { randomInputs, randomSae } from "../helpers/random-sae.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const root = useTemporaryFolder("cosae-readme-");

const hasNumpy = spawnSync("python3", ["-c", "import numpy"], { encoding: "utf8" }).status === 0;

/** `safetensors.numpy.load_file` for F32/F64 files, so the README's code runs without the package. */
const shim = `import json, struct
import numpy as np
def load_file(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    out = {}
    for k, v in json.loads(b[8:8 + n]).items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        out[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype={"F32": "<f4", "F64": "<f8"}[v["dtype"]]).reshape(v["shape"])
    return out
`;

const cases: Array<[ScoreKind, Activation, Decoding, CosineOrigin]> = [
  ["cosine", "batchtopk", "plain", "centred"],
  ["blend", "topk", "equivariant", "centred"],
  ["blend-feature", "batchtopk", "equivariant", "centred"],
  ["inner", "jumprelu", "plain", "centred"],
  ["cosine", "batchtopk", "plain", "uncentred"],
  ["blend-feature", "topk", "equivariant", "uncentred"],
];

test("the README's NumPy reference computes what cosae computes", {
  skip: skipWhenMissing(
    "NumPy",
    hasNumpy ? null : "python3 cannot import numpy (apt-get install python3-numpy)",
  ),
}, async () => {
  await mkdir(join(root(), "safetensors"), { recursive: true });
  await writeFile(join(root(), "safetensors", "__init__.py"), "");
  await writeFile(join(root(), "safetensors", "numpy.py"), shim);
  for (const [score, activation, decode, cosineOf] of cases) {
    const sae = cloneSae(
      randomSae(
        { score, activation, decode, cosineOf, d: 6, m: 10, k: activation === "jumprelu" ? 0 : 3 },
        7,
      ),
      Float32Array,
    );
    sae.constants = { scale: 1.4, nu: 2.2, threshold: 0.3 };
    if (activation === "jumprelu")
      sae.constants.thresholds = Float32Array.from({ length: 10 }, (_, j) => 0.05 * j);
    const folder = join(root(), `${score}-${activation}-${decode}-${cosineOf}`);
    await writeCosaeExport(folder, sae);
    const readme = await readFile(join(folder, "README.md"), "utf8");
    const code = /```python\n([\s\S]*?)```/.exec(readme)![1]!;
    const x = randomInputs(50, 6, 11);
    const script = `${code}
x = np.array(json.loads(${JSON.stringify(JSON.stringify(Array.from(x)))})).reshape(50, 6)
z, r, a = encode(cfg, w, x)
print(json.dumps({"z": z.ravel().tolist(), "xhat": decode(cfg, w, z, r, a).ravel().tolist()}))
`;
    const py = spawnSync("python3", ["-c", script], {
      cwd: folder,
      encoding: "utf8",
      env: { ...process.env, PYTHONPATH: root() },
    });
    assert.equal(py.status, 0, py.stderr);
    const lines = py.stdout.trim().split("\n");
    const got = JSON.parse(lines[lines.length - 1]!) as { z: number[]; xhat: number[] };
    const want = await reconstruct(sae, Float32Array.from(x), 50, referenceKernels);
    const z = new Float64Array(500);
    for (let t = 0; t < 50; t++)
      for (let i = want.codes.rowStart[t]!; i < want.codes.rowStart[t + 1]!; i++)
        z[t * 10 + want.codes.index[i]!] = want.codes.value[i]!;
    const label = `${score} ${activation} ${decode} ${cosineOf}`;
    for (let i = 0; i < 500; i++)
      assert.ok(
        Math.abs(got.z[i]! - z[i]!) <= 1e-4 * (1 + Math.abs(z[i]!)),
        `${label} z[${i}]: ${got.z[i]} vs ${z[i]}`,
      );
    for (let i = 0; i < 300; i++) {
      const w = want.reconstruction[i]!;
      assert.ok(
        Math.abs(got.xhat[i]! - w) <= 1e-4 * (1 + Math.abs(w)),
        `${label} x̂[${i}]: ${got.xhat[i]} vs ${w}`,
      );
    }
  }
});
