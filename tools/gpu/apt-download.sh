#!/usr/bin/env bash
# Downloads Debian packages (amd64) into DEST with a private apt state under .cache/apt (the
# system's apt lists and dpkg are never touched). Sources: bookworm, bookworm-updates and
# bookworm-backports; name a package PKG/bookworm-backports to take the backport.
#   bash tools/gpu/apt-download.sh DEST PKG...
# Also usable as a library: `source` it and call apt_private (runs apt-get/apt-cache with the options).
set -euo pipefail
APT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.cache/apt"

apt_private() {  # apt_private apt-get|apt-cache ARGS...
  local tool=$1; shift
  mkdir -p "$APT_ROOT/lists/partial" "$APT_ROOT/archives/partial"
  if [ ! -f "$APT_ROOT/sources.list" ]; then
    printf '%s\n' 'deb http://deb.debian.org/debian bookworm main' 'deb http://deb.debian.org/debian bookworm-updates main' \
      'deb http://deb.debian.org/debian bookworm-backports main' >"$APT_ROOT/sources.list"
  fi
  "$tool" -o "Dir::Etc::SourceList=$APT_ROOT/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$APT_ROOT/lists" \
    -o "Dir::Cache=$APT_ROOT" -o Dir::State::Status=/var/lib/dpkg/status -o APT::Architecture=amd64 -o Debug::NoLocking=1 \
    -o APT::Sandbox::User=root "$@"
}

apt_update_once() {
  if [ -z "$(ls -A "$APT_ROOT/lists" 2>/dev/null | grep -v partial)" ]; then
    echo "apt: update (private lists in $APT_ROOT)" >&2
    apt_private apt-get update -qq >&2
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ $# -ge 2 ] || { echo "usage: $0 DEST PKG..." >&2; exit 2; }
  dest=$1; shift
  mkdir -p "$dest"
  apt_update_once
  echo "apt: downloading $* into $dest" >&2
  (cd "$dest" && apt_private apt-get download -qq "$@" >&2)
fi
