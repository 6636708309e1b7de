#!/usr/bin/env bash
# Runs the GPU check on a lent GPU machine from the carry that tools/gpu/build-carry.sh made
# (.gpu/carry/, passed to the device tool as `carry`): unpacks Node, the bundle and dawn.node with
# Python's lzma (no xz needed there), makes the Vulkan loader and GL dispatch libraries available,
# points Vulkan at NVIDIA's driver when there is one, and runs the check (arguments are passed on:
# --reduced, --no-peer, --no-bench). Writes gpu-check.json into $OUT (the device tool's folder) or .gpu/.
# On a machine with /usr/local/nvidia (the lent machines) the debs are unpacked into / as the device
# README prescribes; anywhere else (a rehearsal) into .gpu/x/root, found through LD_LIBRARY_PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
C=.gpu/carry X=.gpu/x
[ -f "$C/node.xz" ] && [ -f "$C/rest.tar.xz" ] || { echo "device-run: $C is missing: run tools/gpu/build-carry.sh and pass carry=[\".gpu/carry\"]" >&2; exit 2; }
rm -rf "$X" && mkdir -p "$X"
python3 - "$C" "$X" <<'PY'
import lzma, os, shutil, sys, tarfile
c, x = sys.argv[1], sys.argv[2]
with lzma.open(os.path.join(c, "node.xz")) as src, open(os.path.join(x, "node"), "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(os.path.join(x, "node"), 0o755)
with tarfile.open(os.path.join(c, "rest.tar.xz")) as t:
    t.extractall(x)
PY
if [ -d /usr/local/nvidia ] && [ "${DBRIDGE_GPU_REHEARSAL:-0}" != 1 ]; then
  for f in "$X"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
  egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  if [ -f "$egl" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES=$egl; fi
  nvidia-smi -L >&2 || true
else
  mkdir -p "$X/root"
  for f in "$X"/debs/*.deb; do dpkg-deb -x "$f" "$X/root"; done
  export LD_LIBRARY_PATH="$PWD/$X/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
[ -d "$X/official" ] && export DBRIDGE_OFFICIAL="$PWD/$X/official"
out="${OUT:-.gpu}/gpu-check.json"
echo "device-run: node $("$X/node" --version), VK_DRIVER_FILES=${VK_DRIVER_FILES:-<loader default>}" >&2
"$X/node" "$X/check.mjs" --out "$out" "$@"
