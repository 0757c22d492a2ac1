#!/usr/bin/env bash
# build-repo.sh OUT REAL: a signed stand-in of Docker's apt repository, offline.
# Layout as at download.docker.com: linux/{debian,raspbian}/dists/<suite>/stable
# and linux/<distro>/gpg. Each suite offers docker-ce (and friends) in 5:28.5.2
# and 5:29.0.0 for amd64, arm64 and armhf.
# Debian's docker.io Conflicts with docker-ce, so a stand-in cannot simply
# depend on it: trixie/amd64 docker-ce 5:29.0.0 and docker-ce-cli are Debian's
# docker.io and docker-cli (the .debs in REAL) renamed, so a real engine runs
# from them. Every other package is empty (installed nowhere, only resolved).
set -euo pipefail
out=$1
real=$2
rm -rf "$out"
mkdir -p "$out/build"
# A short, private GNUPGHOME (the agent's socket path has a length limit),
# and its agent stopped at the end.
GNUPGHOME=$(mktemp -d /tmp/pifleet-repo-gpg.XXXXXX)
export GNUPGHOME
trap 'gpgconf --kill gpg-agent; rm -rf "$GNUPGHOME"' EXIT
gpg --batch --quiet --passphrase '' --quick-gen-key "pifleet lab repo <lab@pifleet.invalid>" ed25519 sign never

deb() {  # deb DIR NAME VERSION ARCH DEPENDS
  local dir=$1 name=$2 version=$3 arch=$4 depends=$5 tree
  tree=$out/build/$name-$version-$arch
  mkdir -p "$tree/DEBIAN" "$dir"
  {
    echo "Package: $name"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Maintainer: pifleet lab <lab@pifleet.invalid>"
    [ -z "$depends" ] || echo "Depends: $depends"
    echo "Description: stand-in for Docker's $name (pifleet lab)"
  } >"$tree/DEBIAN/control"
  dpkg-deb --root-owner-group -Zgzip --build "$tree" "$dir/${name}_${version#*:}_$arch.deb" >/dev/null
}

repack() {  # repack SRC.deb DIR NAME VERSION EXTRA-DEPENDS
  local src=$1 dir=$2 name=$3 version=$4 extra=$5 tree
  tree=$out/build/repack-$name
  rm -rf "$tree"
  dpkg-deb -R "$src" "$tree"
  # Rename and re-version; drop the relations that tie it to Debian's names.
  awk -v name="$name" -v ver="$version" -v extra="$extra" '
    /^[^ ]/ { split($0, a, ":"); skip = (a[1] ~ /^(Conflicts|Replaces|Breaks|Provides|Recommends|Suggests|Built-Using)$/) }
    skip { next }
    /^Package:/ { print "Package: " name; next }
    /^Version:/ { print "Version: " ver; next }
    /^Depends:/ { print $0 (extra != "" ? ", " extra : ""); next }
    { print }' "$tree/DEBIAN/control" >"$tree.control"
  mv "$tree.control" "$tree/DEBIAN/control"
  mkdir -p "$dir"
  dpkg-deb --root-owner-group -Zgzip -z1 --build "$tree" "$dir/${name}_${version#*:}_amd64.deb" >/dev/null
}

suite() {  # suite DISTRO CODENAME VERSION-TAG ARCHS...
  local distro=$1 codename=$2 tag=$3 root arch major
  shift 3
  root=$out/linux/$distro
  for arch in "$@"; do
    for major in 28.5.2 29.0.0; do
      local v="5:$major-1~$tag"
      if [ "$codename/$arch/$major" = trixie/amd64/29.0.0 ]; then
        repack "$real/docker.io.deb" "$root/pool/$codename" docker-ce "$v" "docker-ce-cli (= $v), containerd.io"
        repack "$real/docker-cli.deb" "$root/pool/$codename" docker-ce-cli "$v" ""
      else
        deb "$root/pool/$codename" docker-ce "$v" "$arch" "docker-ce-cli (= $v), containerd.io"
        deb "$root/pool/$codename" docker-ce-cli "$v" "$arch" ""
      fi
    done
    deb "$root/pool/$codename" containerd.io "1.7.28-1~$tag" "$arch" ""
    deb "$root/pool/$codename" docker-buildx-plugin "0.29.1-1~$tag" "$arch" ""
    deb "$root/pool/$codename" docker-compose-plugin "2.40.3-1~$tag" "$arch" ""
    mkdir -p "$root/dists/$codename/stable/binary-$arch"
    (cd "$root" && dpkg-scanpackages -m -a "$arch" "pool/$codename" 2>/dev/null) \
      >"$root/dists/$codename/stable/binary-$arch/Packages"
    gzip -9kn "$root/dists/$codename/stable/binary-$arch/Packages"
  done
  (
    cd "$root/dists/$codename"
    {
      echo "Origin: Docker"
      echo "Label: Docker CE"
      echo "Suite: $codename"
      echo "Codename: $codename"
      echo "Architectures: $*"
      echo "Components: stable"
      echo "Date: $(date -Ru)"
      echo "SHA256:"
      find stable -type f | sort | while read -r f; do
        printf ' %s %s %s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
      done
    } >Release
    gpg --batch --yes --clearsign -o InRelease Release
  )
  gpg --batch --armor --export >"$root/gpg"
}

suite debian trixie debian.13~trixie amd64 arm64 armhf
suite debian bookworm debian.12~bookworm amd64 arm64 armhf
suite raspbian bookworm raspbian.12~bookworm armhf
rm -rf "$out/build"
