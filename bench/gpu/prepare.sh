#!/usr/bin/env bash
# Packs what run.sh needs on a GPU machine that has no Node (x86_64 Linux, glibc ≥ 2.34):
# this machine's node binary, the compiled bench and kernels (dist/), Dawn's dawn.node
# from the npm package "webgpu", and the Vulkan loader (libvulkan.so.1) in case the
# machine lacks one. Nothing else: the webgpu bench imports neither onnxruntime nor
# the native addon. Run after `npm run build`:
#
#   bash bench/gpu/prepare.sh      # writes bench/gpu/bundle/cosae-gpu-bench.tar.xz (~35 MB)
#
# bench/gpu/bundle/ is git-ignored: carry it to the GPU machine with the working tree
# (the device runner's `carry: ["bench/gpu/bundle"]`), then run bench/gpu/run.sh there.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ -f dist/bench/bench.js ] || { echo "prepare: dist/bench/bench.js is missing; run npm run build first" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "prepare: this packs an x86_64 node; this machine is $(uname -m)" >&2; exit 1; }
dawn=node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || { echo "prepare: $dawn is missing; run npm ci" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
app="$stage/cosae"
mkdir -p "$app/bin" "$app/lib" "$app/dist" "$app/node_modules/webgpu/dist/linux-x64"
cp "$(readlink -f "$(command -v node)")" "$app/bin/node"
cp package.json "$app/"
(cd dist && find src bench -name '*.map' -prune -o -type f -print | tar -cf - -T -) | tar -C "$app/dist" -xf -
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$app/node_modules/webgpu/"
cp "$dawn" "$app/node_modules/webgpu/dist/linux-x64/"
for lib in /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /usr/lib64/libvulkan.so.1; do
  if [ -e "$lib" ]; then cp -L "$lib" "$app/lib/libvulkan.so.1"; break; fi
done
echo "node $("$app/bin/node" -v), cosae $(git rev-parse --short HEAD 2>/dev/null || echo '?')" > "$app/VERSION"
mkdir -p bench/gpu/bundle
tar -C "$stage" -cf - cosae | xz -T0 -6 > bench/gpu/bundle/cosae-gpu-bench.tar.xz
echo "prepare: wrote bench/gpu/bundle/cosae-gpu-bench.tar.xz ($(du -h bench/gpu/bundle/cosae-gpu-bench.tar.xz | cut -f1)): $(cat "$app/VERSION")"
