#!/usr/bin/env bash
# The GPU comparison of issue 17, for a machine with an NVIDIA GPU and PyTorch+CUDA but
# no Node: a PyTorch fp32 BatchTopK SAE step (pytorch_batchtopk.py), then cosae's
# WebGPU bench (bench/bench.ts --kernels webgpu) from the bundle prepare.sh made, at
# (d, m, k, B) = (768, 16384, 32, 4096) and (2304, 65536, 64, 4096), side by side.
#
#   bash bench/gpu/prepare.sh          # here, after npm run build
#   bash bench/gpu/run.sh [OUTDIR]     # there; OUTDIR defaults to $OUT, else runs/gpu-bench
#
# Knobs (environment): COSAE_BENCH_STEPS (timed steps per cosae row, default 3),
# COSAE_BENCH_TIMEOUT (seconds for the cosae part, default 420), TORCH_STEPS (default 20);
# for a try under SwiftShader on a machine with no GPU: COSAE_WEBGPU_ADAPTER=swiftshader
# COSAE_BENCH_SHAPES=tiny COSAE_BENCH_PEAK=256x128x1024 (the PyTorch part then fails, and
# the rest goes on).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-${OUT:-runs/gpu-bench}}
mkdir -p "$out"
py=${PYTHON:-python3}
shapes=${COSAE_BENCH_SHAPES:-768x16384,2304x65536}
peak=${COSAE_BENCH_PEAK:-4096x768x16384}

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | head -4
"$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1

echo "== PyTorch fp32 BatchTopK step"
"$py" "$here/pytorch_batchtopk.py" --steps "${TORCH_STEPS:-20}" --json "$out/pytorch.json" 2>&1 | tee "$out/pytorch.log"

echo "== cosae WebGPU bench"
bundle="$here/bundle/cosae-gpu-bench.tar.xz"
cosae_json="$out/cosae-bench.json"
if [ ! -f "$bundle" ]; then
  echo "no $bundle: run bash bench/gpu/prepare.sh on a machine with Node, and carry bench/gpu/bundle"
else
  app=$(mktemp -d)/cosae
  tar -C "$(dirname "$app")" -xJf "$bundle"
  cat "$app/VERSION"
  # The Vulkan loader: the system's, else the bundled one.
  if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
    export LD_LIBRARY_PATH="$app/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "using the bundled libvulkan.so.1"
  fi
  # NVIDIA's Vulkan driver lives in libGLX_nvidia.so.0; containers started without the
  # "graphics" capability may lack its ICD manifest, so write one when none is installed.
  if [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
    glx=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0 /{print $NF; exit}')
    if [ -n "$glx" ]; then
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" > "$app/nvidia_icd.json"
      export VK_ICD_FILENAMES="$app/nvidia_icd.json"
      echo "no NVIDIA Vulkan ICD manifest installed: wrote one for $glx"
    else
      echo "no NVIDIA Vulkan driver found (libGLX_nvidia.so.0): Dawn will likely find no adapter"
    fi
  fi
  (cd "$app" && timeout "${COSAE_BENCH_TIMEOUT:-420}" ./bin/node dist/bench/bench.js --kernels webgpu \
    --shapes "$shapes" --peak "$peak" --scores inner --steps "${COSAE_BENCH_STEPS:-3}" --out "$cosae_json") 2>&1 | tee "$out/cosae.log"
fi

echo "== side by side"
"$py" "$here/pytorch_batchtopk.py" --compare "$out/pytorch.json" --cosae "$cosae_json" 2>&1 | tee "$out/side-by-side.txt"
