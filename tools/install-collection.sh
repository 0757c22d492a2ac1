#!/usr/bin/env bash
# tools/install-collection.sh DEST
# Build the collection's tarball from this checkout and install it into an
# empty collections path, as a user who downloaded it would:
#   DEST/pifleet-swarm-<version>.tar.gz, DEST/collections/ansible_collections/...
# DEST is emptied first. Prints the tarball's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:?usage: tools/install-collection.sh DEST}
rm -rf "$dest"
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
(cd "$root" && ansible-galaxy collection build --output-path "$dest" >/dev/null)
tarball=$(ls "$dest"/pifleet-swarm-*.tar.gz)
# --no-deps: community.docker and community.crypto come from the venv's
# `ansible` package (Galaxy is not reachable), on sys.path as for any user of
# that package.
ANSIBLE_COLLECTIONS_PATH=$dest/collections \
  ansible-galaxy collection install --no-deps -p "$dest/collections" "$tarball" >/dev/null
printf '%s\n' "$tarball"
