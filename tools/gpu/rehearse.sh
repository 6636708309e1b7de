#!/usr/bin/env bash
# Rehearses the GPU check here, as the device would run it: a clean folder holding only the
# repository's tracked tree (git archive HEAD) and the carry (.gpu/carry), no node_modules, a `node`
# on PATH that refuses to run (only the carried binary may be used), Vulkan from lavapipe (.ci/lavapipe.sh) instead of NVIDIA's driver, reduced
# sizes by default (arguments replace --reduced). Prints the check's JSON; keeps it in
# .gpu/rehearsal.json.
#   bash tools/gpu/rehearse.sh [--reduced] [--no-peer] [--no-bench]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
[ -f .gpu/carry/node.xz ] || { echo "rehearse: no carry; run tools/gpu/build-carry.sh first" >&2; exit 2; }
ENVF=$(bash .ci/lavapipe.sh)
DIR=$(mktemp -d /tmp/dbridge-gpu-rehearsal-XXXXXX)
git archive HEAD | tar -x -C "$DIR"
mkdir -p "$DIR/.gpu" && cp -r .gpu/carry "$DIR/.gpu/carry"
echo "rehearse: $DIR (tracked tree + carry, $(du -sm "$DIR" | cut -f1) MB on disk)" >&2
args=("$@"); [ ${#args[@]} -eq 0 ] && args=(--reduced)
# a `node` first on PATH that refuses to run: the carried binary must be the only Node used
mkdir -p "$DIR/.nonode" && printf '#!/bin/sh\necho "rehearse: the system node was called" >&2; exit 99\n' >"$DIR/.nonode/node" && chmod +x "$DIR/.nonode/node"
(
  # shellcheck disable=SC1090
  . "$ENVF"
  export PATH="$DIR/.nonode:$PATH"
  [ -x /work/venv/bin/python ] && export DBRIDGE_PEER_PYTHON=/work/venv/bin/python
  cd "$DIR" && OUT="$DIR/.gpu" DBRIDGE_GPU_REHEARSAL=1 bash tools/gpu/device-run.sh "${args[@]}"
)
cp "$DIR/.gpu/gpu-check.json" .gpu/rehearsal.json
rm -rf "$DIR"
