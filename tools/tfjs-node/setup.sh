#!/usr/bin/env bash
# Developer harness (not a dependency of dbridge): installs @tensorflow/tfjs-node into this checkout's
# node_modules and builds its native binding against the TensorFlow C library taken from a
# tensorflow-cpu Python wheel, for machines where tfjs-node's own install script cannot download
# libtensorflow (it fetches a tarball from storage.googleapis.com). With it the `tensorflow` backend
# (lib/backend.ts) can be tested and benchmarked here: DBRIDGE_BACKEND=tensorflow.
#
# What it does (docs/denoisers.md, "The tensorflow backend"):
#   1. gets a tensorflow-cpu wheel: $TF_WHEEL, else `pip download tensorflow-cpu` from the configured
#      (local) index with --retries 0 --timeout 1 ($PIP, default /work/venv/bin/pip, else pip3);
#   2. unpacks its C library (libtensorflow_cc.so.2, which exports the C and eager C APIs that the
#      binding calls, and libtensorflow_framework.so.2) and its headers into .cache/tfjs-node/;
#   3. `npm install --no-save --ignore-scripts @tensorflow/tfjs-node@<the @tensorflow/tfjs version>`
#      (package.json is not changed; the skipped install script is the download);
#   4. points the package's deps/ at the unpacked library (libtensorflow.so -> libtensorflow_cc.so.2)
#      and builds tfjs_binding.node with npm's bundled node-gyp against the local Node headers;
#   5. loads it and runs one op.
# Undo: `npm ci` (restores node_modules from the lock file), or
#   rm -rf node_modules/@tensorflow/tfjs-node
# While it is installed, DBRIDGE_BACKEND=auto picks `tensorflow` (lib/backend.ts); pass
# DBRIDGE_BACKEND=wasm for the default backend.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cache="$root/.cache/tfjs-node"
tfjs_version=$(node -p "require('@tensorflow/tfjs/package.json').version")
say() { echo "tfjs-node setup: $*" >&2; }
mkdir -p "$cache"

# 1. the wheel
wheel=${TF_WHEEL:-}
if [[ -z "$wheel" ]]; then
  pip=${PIP:-/work/venv/bin/pip}
  [[ -x "$pip" ]] || pip=$(command -v pip3 || true)
  [[ -n "$pip" ]] || { say "no pip found: set PIP=/path/to/pip or TF_WHEEL=/path/to/tensorflow_cpu-*.whl"; exit 2; }
  wheel=$(ls "$cache"/tensorflow_cpu-*.whl 2>/dev/null | head -1 || true)
  if [[ -z "$wheel" ]]; then
    say "downloading a tensorflow-cpu wheel with $pip (from its configured index)"
    "$pip" download --no-deps --retries 0 --timeout 1 --only-binary :all: -d "$cache" tensorflow-cpu >&2 \
      || { say "pip could not get tensorflow-cpu; set TF_WHEEL=/path/to/tensorflow_cpu-*.whl"; exit 2; }
    wheel=$(ls "$cache"/tensorflow_cpu-*.whl | head -1)
  fi
fi
[[ -f "$wheel" ]] || { say "TF_WHEEL: $wheel does not exist"; exit 2; }
say "wheel $(basename "$wheel")"

# 2. its C library and headers
lt="$cache/libtensorflow"
if [[ ! -f "$lt/lib/libtensorflow_cc.so.2" || "$lt/.wheel" -ot "$wheel" || "$(cat "$lt/.wheel" 2>/dev/null)" != "$(basename "$wheel")" ]]; then
  say "unpacking the C library and headers (~1.1 GB)"
  rm -rf "$lt" "$cache/unpack"
  mkdir -p "$cache/unpack" "$lt/lib"
  python3 - "$wheel" "$cache/unpack" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = [n for n in z.namelist() if n in ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2") or n.startswith("tensorflow/include/")]
if len([n for n in names if n.endswith(".so.2")]) != 2:
    sys.exit("tfjs-node setup: the wheel has no tensorflow/libtensorflow_cc.so.2 + libtensorflow_framework.so.2")
for n in names:
    z.extract(n, sys.argv[2])
PY
  mv "$cache/unpack/tensorflow/libtensorflow_cc.so.2" "$cache/unpack/tensorflow/libtensorflow_framework.so.2" "$lt/lib/"
  mv "$cache/unpack/tensorflow/include" "$lt/include"
  rm -rf "$cache/unpack"
  ln -s libtensorflow_cc.so.2 "$lt/lib/libtensorflow.so"
  ln -s libtensorflow_framework.so.2 "$lt/lib/libtensorflow_framework.so"
  basename "$wheel" > "$lt/.wheel"
fi
nm -D --defined-only "$lt/lib/libtensorflow_cc.so.2" | grep -c ' T TFE_Execute@' > /dev/null \
  || { say "$lt/lib/libtensorflow_cc.so.2 does not export the eager C API (TFE_Execute)"; exit 1; }

# 3. the package, without its download script
say "npm install --no-save --ignore-scripts @tensorflow/tfjs-node@$tfjs_version"
npm install --no-save --ignore-scripts --no-audit --no-fund "@tensorflow/tfjs-node@$tfjs_version" >&2
pkg="$root/node_modules/@tensorflow/tfjs-node"

# 4. the binding
rm -rf "$pkg/deps"
ln -s "$lt" "$pkg/deps"
gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
[[ -f "$gyp" ]] || { say "npm's bundled node-gyp not found at $gyp"; exit 1; }
nodedir=$(dirname "$(dirname "$(command -v node)")")
[[ -f "$nodedir/include/node/node_api.h" ]] || { say "no Node headers under $nodedir/include/node (node-gyp would download them)"; exit 1; }
napi=$(node -p "Math.min(8, Number(process.versions.napi))")
say "building tfjs_binding.node (N-API $napi) against $lt with npm's node-gyp; a few minutes"
(cd "$pkg" && node "$gyp" rebuild --nodedir="$nodedir" --module_name=tfjs_binding --module_path="$pkg/lib/napi-v$napi" --napi_build_version="$napi" >&2)

# 5. check
node -e "
const tf = require('@tensorflow/tfjs-node');
const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1], [1]])).dataSync();
if (tf.getBackend() !== 'tensorflow' || y[0] !== 3 || y[1] !== 7) { console.error('tfjs-node setup: the binding loaded but gave', tf.getBackend(), Array.from(y)); process.exit(1); }
console.error('tfjs-node setup: @tensorflow/tfjs-node ' + require('@tensorflow/tfjs-node/package.json').version + ' works (binding built against the C library of $(basename "$wheel"))');
"
say "done: DBRIDGE_BACKEND=tensorflow npm run test:unit / npm run bench; undo with npm ci"
