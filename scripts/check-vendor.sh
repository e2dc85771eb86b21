#!/usr/bin/env bash
# Checks that vendor/curve25519-dalek is exactly the published curve25519-dalek 4.1.3 plus
# vendor/curve25519-dalek.patch (vendor/README.md). The published crate is taken from cargo's
# cache (~/.cargo/registry/cache); on a machine where it is missing, cargo fetches it into that
# cache through a throwaway project. Its SHA-256 must be the one crates.io publishes for 4.1.3.
set -euo pipefail
cd "$(dirname "$0")/.."

name=curve25519-dalek
version=4.1.3
sha256=97fb8b7c4503de7d6ae7b42ab72a5a59857b4c937ec27a3d4539dba95b5ab2be
cargo_home=${CARGO_HOME:-$HOME/.cargo}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

find_crate() { find "$cargo_home/registry/cache" -name "$name-$version.crate" 2>/dev/null | head -n 1 || true; }
crate=$(find_crate)
if [ -z "$crate" ]; then
    mkdir -p "$work/fetch/src"
    printf '[package]\nname = "fetch-upstream"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s = { version = "=%s", default-features = false }\n' \
        "$name" "$version" >"$work/fetch/Cargo.toml"
    touch "$work/fetch/src/lib.rs"
    cargo fetch --quiet --manifest-path "$work/fetch/Cargo.toml"
    crate=$(find_crate)
fi
[ -n "$crate" ] || { echo "check-vendor: $name $version is not in $cargo_home/registry/cache"; exit 1; }
echo "$sha256  $crate" | sha256sum --check --quiet - ||
    { echo "check-vendor: $crate is not the published $name $version"; exit 1; }

tar -xzf "$crate" -C "$work"
patch --quiet --directory="$work/$name-$version" --strip=1 --no-backup-if-mismatch <vendor/$name.patch
if ! diff -r "$work/$name-$version" "vendor/$name" >"$work/diff"; then
    echo "check-vendor: vendor/$name is not $name $version plus vendor/$name.patch:"
    head -n 40 "$work/diff"
    exit 1
fi
echo "check-vendor: vendor/$name is $name $version plus vendor/$name.patch"
