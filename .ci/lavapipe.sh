#!/usr/bin/env bash
# Installs Mesa's lavapipe (a software Vulkan driver) into .cache/lavapipe/ of the repository,
# never into /, so Dawn (the `webgpu` package) finds a WebGPU adapter on a CPU-only machine.
# Debian bookworm's own mesa 22.3 lacks features Dawn needs: mesa-vulkan-drivers and the libdrm it
# wants come from bookworm-backports (tools/gpu/apt-download.sh: a private apt state, the system's
# apt is not touched). Also fetched: libvulkan1 (the Vulkan loader) and any other dependency of the
# driver that is not installed on this machine. Writes .cache/lavapipe/env.sh, which exports
# VK_DRIVER_FILES and LD_LIBRARY_PATH (and keeps Mesa's shader cache in the folder). Idempotent;
# exits non-zero (with the reason) when anything is missing, so CI fails instead of skipping the
# webgpu tests.
#   bash .ci/lavapipe.sh            install (or check) and print the env file's path
#   bash .ci/lavapipe.sh CMD ARGS   install, then run CMD with the environment set
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/.cache/lavapipe"
SUITE=bookworm-backports
ENVF="$DIR/env.sh"
# shellcheck source=../tools/gpu/apt-download.sh
. "$ROOT/tools/gpu/apt-download.sh"

install() {
  local debs="$DIR/debs" root="$DIR/root"
  apt_update_once
  # the driver, the libdrm it needs (newer than bookworm's), the loader, and missing dependencies
  local pkgs=("mesa-vulkan-drivers/$SUITE" "libdrm2/$SUITE" "libdrm-amdgpu1/$SUITE" "libdrm-common/$SUITE" libvulkan1)
  local deps d
  deps=$(apt_private apt-cache show "mesa-vulkan-drivers/$SUITE" | sed -n 's/^Depends: //p' | head -1 | tr ',' '\n' | sed 's/[ (].*//; s/^ *//')
  for d in $deps; do
    case "$d" in libdrm2|libdrm-amdgpu1|libvulkan1) continue ;; esac
    dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'install ok installed' || pkgs+=("$d")
  done
  rm -rf "$debs" && mkdir -p "$debs"
  echo "lavapipe: downloading ${pkgs[*]}" >&2
  (cd "$debs" && apt_private apt-get download -qq "${pkgs[@]}" >&2)
  rm -rf "$root" && mkdir -p "$root"
  for f in "$debs"/*.deb; do dpkg-deb -x "$f" "$root"; done
  local lib="$root/usr/lib/x86_64-linux-gnu" icd missing
  icd=$(ls "$root"/usr/share/vulkan/icd.d/lvp_icd*.json | head -1)
  # the ICD names its library by a system path; point it at the unpacked copy
  sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib/libvulkan_lvp.so\"#" "$icd" >"$DIR/lvp_icd.json"
  missing=$(LD_LIBRARY_PATH="$lib" ldd "$lib/libvulkan_lvp.so" | grep 'not found' || true)
  if [ -n "$missing" ]; then echo "lavapipe: libvulkan_lvp.so has unresolved libraries:" >&2; echo "$missing" >&2; exit 1; fi
  cat >"$ENVF" <<ENV
# written by .ci/lavapipe.sh
export VK_DRIVER_FILES="$DIR/lvp_icd.json"
export LD_LIBRARY_PATH="$lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export MESA_SHADER_CACHE_DIR="$DIR/shader-cache"
ENV
}

if [ ! -f "$ENVF" ] || [ ! -f "$DIR/lvp_icd.json" ] || ! grep -q "$DIR" "$ENVF"; then install; fi
if [ $# -eq 0 ]; then echo "$ENVF"; exit 0; fi
# shellcheck disable=SC1090
. "$ENVF"
exec "$@"
