#!/usr/bin/env bash
# tools/venv.sh PYTHON REQUIREMENTS LINK
# A controller venv for REQUIREMENTS on PYTHON, kept outside the checkout under
# $VENV_CACHE (default ~/.cache/pifleet-swarm/venvs) in a directory named after
# the content of REQUIREMENTS and the exact interpreter, and LINK (e.g. .venv)
# pointed at it. A second clone, or a second run, with the same pins and
# interpreter reuses the venv in a second instead of installing again; a
# changed pin makes a new one. pip's own wheel cache serves the rebuilds.
set -euo pipefail
python=$1 requirements=$2 link=$3
cache=${VENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pifleet-swarm/venvs}
command -v "$python" >/dev/null || { echo "venv: no interpreter '$python'" >&2; exit 1; }
version=$("$python" -c 'import sys; print(sys.version.split()[0])')
key=$( { "$python" -c 'import sys; print(sys.executable, sys.version)'; cat "$requirements"; } |
  sha256sum | cut -c1-12)
dir=$cache/py$version-$key
if [ ! -e "$dir/.complete" ]; then
  mkdir -p "$cache"
  rm -rf "$dir"
  echo "venv: Python $version, $requirements -> $dir" >&2
  "$python" -m venv "$dir"
  # This machine's pip config names local indexes that may be absent: pip
  # says so once per package, which is noise here.
  "$dir/bin/pip" install --quiet --disable-pip-version-check --upgrade pip 2> >(grep -v "^WARNING: Location '" >&2)
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" 2> >(grep -v "^WARNING: Location '" >&2)
  touch "$dir/.complete"
fi
# A real directory left by an older Makefile gives way to the link.
[ -L "$link" ] || rm -rf "$link"
ln -sfn "$dir" "$link"
