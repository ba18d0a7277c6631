#!/usr/bin/env python3
"""A PyTorch fp32 BatchTopK SAE training step, timed on CUDA, to set beside cosae's WebGPU bench.

The step is the one SAELens's BatchTopK training SAE and sparsify's SAE take, at cosae's
bench shapes (d, m, k, B) = (768, 16384, 32, 4096) and (2304, 65536, 64, 4096):
  encoder GEMM   pre = (x - b_dec) @ W_enc^T + b_enc       (B x d) . (d x m), fp32, TF32 off
  BatchTopK      the k*B largest ReLU(pre) over the whole batch (torch.topk on B*m scores)
  decode         dense by default, as SAELens does: codes [B, m] (zeros but the k*B entries)
                 @ W_dec + b_dec, a second B x m x d GEMM; --decode sparse gathers the
                 selected decoder rows and index_adds them (sparsify's sparse decode, here
                 in plain PyTorch rather than its Triton kernel)
  loss           sum of squared errors per token, mean over the batch
  backward       autograd
  constraint     the decoder-parallel gradient removed, rows renormalised (sparsify, cosae)
  Adam           torch.optim.Adam (fused), lr 1e-4
No AuxK: compare with cosae's "no dead" column.

Timing: CUDA events over --steps steps after --warmup steps. The encoder GEMM's time within
the step is read from events around it; torch.matmul alone at the same shape (fp32, and
TF32 for reference) gives the peak the GEMM is measured against.

  python3 pytorch_batchtopk.py [--steps 20] [--decode dense|sparse] [--json FILE]
  python3 pytorch_batchtopk.py --compare pytorch.json --cosae cosae-bench.json
"""
import argparse
import json
import math
import os
import sys

SHAPES = [(768, 16384, 32, 4096), (2304, 65536, 64, 4096)]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--decode", choices=["dense", "sparse"], default="dense")
    p.add_argument("--shapes", default=";".join(",".join(map(str, s)) for s in SHAPES),
                   help="d,m,k,B;d,m,k,B")
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--compare", help="print this run's JSON beside --cosae's and exit")
    p.add_argument("--cosae", help="cosae's bench JSON (bench/bench.ts --out)")
    return p.parse_args()


def matmul_tflops(torch, rows, d, m, tf32, repeats=20):
    """torch.matmul X[rows, d] @ W[m, d]^T alone: the peak the step's GEMM is held against."""
    torch.backends.cuda.matmul.allow_tf32 = tf32
    x = torch.randn(rows, d, device="cuda")
    w = torch.randn(m, d, device="cuda")
    out = torch.empty(rows, m, device="cuda")
    for _ in range(3):
        torch.matmul(x, w.t(), out=out)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    best = math.inf
    for _ in range(3):
        start.record()
        for _ in range(repeats):
            torch.matmul(x, w.t(), out=out)
        end.record()
        torch.cuda.synchronize()
        best = min(best, start.elapsed_time(end) / repeats)
    torch.backends.cuda.matmul.allow_tf32 = False
    del x, w, out
    return 2 * rows * d * m / (best * 1e-3) / 1e12


def bench_step(torch, d, m, k, batch, steps, warmup, decode):
    torch.manual_seed(0)
    dev = "cuda"
    w_enc = torch.nn.Parameter(torch.randn(m, d, device=dev) / math.sqrt(d))
    w_dec = torch.nn.Parameter(w_enc.detach().clone())
    with torch.no_grad():
        w_dec /= w_dec.norm(dim=1, keepdim=True)
    b_enc = torch.nn.Parameter(torch.zeros(m, device=dev))
    b_dec = torch.nn.Parameter(torch.zeros(d, device=dev))
    params = [w_enc, w_dec, b_enc, b_dec]
    try:
        opt = torch.optim.Adam(params, lr=1e-4, fused=True)
    except (TypeError, RuntimeError):
        opt = torch.optim.Adam(params, lr=1e-4)
    # A few fresh batches on the device, cycled (the data phase is not what is timed).
    batches = [torch.randn(batch, d, device=dev) for _ in range(4)]
    gemm_events = []

    def step(i, timed):
        x = batches[i % len(batches)]
        xc = x - b_dec
        if timed:
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            e0.record()
        pre = xc @ w_enc.t()
        if timed:
            e1.record()
            gemm_events.append((e0, e1))
        pre = torch.relu(pre + b_enc)
        flat = pre.flatten()
        vals, idx = flat.topk(k * batch, sorted=False)
        if decode == "dense":
            codes = torch.zeros_like(flat).scatter(0, idx, vals).view(batch, m)
            recon = codes @ w_dec + b_dec
        else:
            rows, cols = idx // m, idx % m
            recon = torch.zeros(batch, d, device=dev).index_add(0, rows, vals[:, None] * w_dec[cols]) + b_dec
        loss = (recon - x).pow(2).sum(dim=1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            # The decoder constraint: no gradient along each unit row, rows renormalised after Adam.
            g = w_dec.grad
            g -= (g * w_dec).sum(dim=1, keepdim=True) * w_dec
        opt.step()
        with torch.no_grad():
            w_dec /= w_dec.norm(dim=1, keepdim=True)
        return loss

    for i in range(warmup):
        step(i, False)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for i in range(steps):
        loss = step(i, True)
    end.record()
    torch.cuda.synchronize()
    ms = start.elapsed_time(end) / steps
    gemm_ms = sum(a.elapsed_time(b) for a, b in gemm_events) / len(gemm_events)
    result = {
        "d": d, "m": m, "k": k, "B": batch, "decode": decode,
        "msPerStep": ms,
        "tokensPerSecond": batch / (ms * 1e-3),
        "encoderGemmMs": gemm_ms,
        "encoderGemmTflops": 2 * batch * d * m / (gemm_ms * 1e-3) / 1e12,
        "loss": float(loss.item()),
        "peakMemoryGiB": torch.cuda.max_memory_allocated() / 2**30,
    }
    del params, opt, batches, w_enc, w_dec, b_enc, b_dec
    torch.cuda.empty_cache()
    return result


def run(args):
    import torch
    if not torch.cuda.is_available():
        sys.exit("pytorch_batchtopk: no CUDA device visible to PyTorch")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    gpu = torch.cuda.get_device_name(0)
    print(f"{gpu}; torch {torch.__version__}; fp32 (TF32 off); {args.decode} decode; "
          f"{args.steps} steps after {args.warmup}")
    rows = []
    for spec in args.shapes.split(";"):
        d, m, k, batch = (int(v) for v in spec.split(","))
        r = bench_step(torch, d, m, k, batch, args.steps, args.warmup, args.decode)
        r["matmulTflops"] = matmul_tflops(torch, batch, d, m, tf32=False)
        r["matmulTf32Tflops"] = matmul_tflops(torch, batch, d, m, tf32=True)
        print(f"({d}, {m}, {k}, {batch}): {r['tokensPerSecond']:.0f} tok/s, {r['msPerStep']:.2f} ms/step; "
              f"encoder GEMM {r['encoderGemmTflops']:.1f} TFLOP/s in the step, torch.matmul alone "
              f"{r['matmulTflops']:.1f} fp32 / {r['matmulTf32Tflops']:.1f} TF32; loss {r['loss']:.4g}; "
              f"peak memory {r['peakMemoryGiB']:.1f} GiB", flush=True)
        rows.append(r)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"gpu": gpu, "torch": torch.__version__, "rows": rows}, f, indent=2)


def compare(args):
    torch_run = {"gpu": "?", "torch": "(no figures: see pytorch.log)", "rows": []}
    if os.path.exists(args.compare):
        with open(args.compare) as f:
            torch_run = json.load(f)
    cosae = None
    if args.cosae and os.path.exists(args.cosae):
        with open(args.cosae) as f:
            cosae = json.load(f)
    print(f"GPU: {torch_run['gpu']}; PyTorch {torch_run['torch']} fp32; "
          f"cosae: {cosae['description'] if cosae else 'no figures (see cosae.log)'}")
    head = ["shape d,m,k,B", "torch tok/s", "cosae tok/s", "cosae/torch",
            "torch GEMM TF/s", "cosae GEMM TF/s", "matmul fp32 TF/s", "cosae GEMM/matmul"]
    lines = []
    if not torch_run["rows"] and cosae:
        # PyTorch did not run: cosae's rows alone, with no PyTorch figures beside them.
        torch_run["rows"] = [{"d": x["d"], "m": x["m"], "k": x["k"], "B": x["B"], "tokensPerSecond": None,
                              "encoderGemmTflops": None, "matmulTflops": None} for x in cosae["rows"]]
    for r in torch_run["rows"]:
        c = None
        if cosae:
            c = next((x for x in cosae["rows"] if (x["d"], x["m"], x["k"], x["B"]) == (r["d"], r["m"], r["k"], r["B"])), None)
        cosae_tps = c["tokensPerSecondWithoutAuxk"] if c else None
        cosae_gemm = c["deviceGemmGflops"] / 1e3 if c and c.get("deviceGemmGflops") else None
        fmt = lambda v, p=0: "-" if v is None else f"{v:.{p}f}"
        lines.append([
            f"{r['d']},{r['m']},{r['k']},{r['B']}",
            fmt(r["tokensPerSecond"]), fmt(cosae_tps),
            "-" if cosae_tps is None or not r["tokensPerSecond"] else f"{cosae_tps / r['tokensPerSecond']:.2f}",
            fmt(r["encoderGemmTflops"], 1), fmt(cosae_gemm, 1), fmt(r["matmulTflops"], 1),
            "-" if cosae_gemm is None or not r["matmulTflops"] else f"{100 * cosae_gemm / r['matmulTflops']:.0f}%",
        ])
    widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for l in lines:
        print("  ".join(v.rjust(w) for v, w in zip(l, widths)))
    print("cosae tok/s: its step with no dead latents (no AuxK), like the PyTorch step; "
          "GEMM TF/s: the encoder product alone on the device.")


if __name__ == "__main__":
    a = parse_args()
    compare(a) if a.compare else run(a)
