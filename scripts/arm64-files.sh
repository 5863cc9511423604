#!/usr/bin/env bash
# Fetches what the arm64 network boot is made from, without touching the host's dpkg
# architectures: apt runs with a private configuration (arm64 only, its own lists, cache and
# status) against the machine's Debian mirror, `apt-get download`s the packages and
# `dpkg-deb -x`s them into OUTDIR/root. From that tree it builds OUTDIR/grubaa64.efi, a network
# GRUB for arm64 UEFI (grub-mkimage from the host's grub-common with the arm64-efi modules),
# whose prefix is /arm64: it reads its config as arm64/grub.cfg from the server it came from.
# Cached: a second run with the same package versions does nothing.
#
#   bash scripts/arm64-files.sh [OUTDIR]   (default build/arm64)
set -euo pipefail

out=$(realpath -m "${1:-$(dirname "$0")/../build/arm64}")
mirror=${PXEVIRT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${PXEVIRT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
suite=${PXEVIRT_DEBIAN_SUITE:-bookworm}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
# The modules the network GRUB carries (nothing is loaded later: the image is all of it).
grub_modules=(normal configfile echo sleep test true linux gzio efinet net tftp http part_gpt part_msdos fat ext2 reboot halt search chain efi_gop)

mkdir -p "$out/apt/empty" "$out/apt/lists/partial" "$out/apt/cache/archives/partial" "$out/debs"
touch "$out/apt/status"
cat > "$out/apt/sources.list" <<SOURCES
deb [arch=arm64 signed-by=$keyring] $mirror $suite main
deb [arch=arm64 signed-by=$keyring] $mirror $suite-updates main
deb [arch=arm64 signed-by=$keyring] $security $suite-security main
SOURCES
apt_opts=(
  -o APT::Architecture=arm64 -o APT::Architectures=arm64
  -o Dir::State="$out/apt" -o Dir::State::Lists="$out/apt/lists" -o Dir::State::status="$out/apt/status"
  -o Dir::Cache="$out/apt/cache" -o Dir::Etc::SourceList="$out/apt/sources.list" -o Dir::Etc::SourceParts="$out/apt/empty"
  -o Dir::Etc::Preferences="$out/apt/empty" -o Dir::Etc::PreferencesParts="$out/apt/empty"
  -o APT::Sandbox::User=root -o Debug::NoLocking=1 -q
)

# The lists are refreshed at most once a day; a fresh clone fetches them once.
if [ -z "$(find "$out/apt/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 -print -quit)" ]; then
  apt-get "${apt_opts[@]}" update >&2
fi
# linux-image-arm64 is a metapackage: the kernel is the package it depends on.
kernel_pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-arm64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-arm64\)$/\1/p' | head -n1)
[ -n "$kernel_pkg" ] || { echo "arm64-files: expected linux-image-arm64 to depend on a linux-image-*-arm64 package, found none" >&2; exit 1; }
packages=("$kernel_pkg" busybox-static grub-efi-arm64-bin)
versions=$(for p in "${packages[@]}"; do echo "$p=$(apt-cache "${apt_opts[@]}" policy "$p" | sed -n 's/^ *Candidate: //p')"; done)
stamp="format=2 modules=${grub_modules[*]} $(echo $versions)"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -f "$out/grubaa64.efi" ]; then
  echo "arm64-files: up to date in $out" >&2
  exit 0
fi

rm -f "$out/stamp"
# Lists up to a day old may name a version the mirror has since replaced: refresh once and retry.
if ! (cd "$out/debs" && rm -f ./*.deb && apt-get "${apt_opts[@]}" download $versions >&2); then
  [ -z "${PXEVIRT_ARM64_LISTS_REFRESHED:-}" ] || { echo "arm64-files: apt-get download $(echo $versions) failed with fresh lists" >&2; exit 1; }
  apt-get "${apt_opts[@]}" update >&2
  PXEVIRT_ARM64_LISTS_REFRESHED=1 exec bash "$0" "$out"
fi
rm -rf "$out/root.tmp"
mkdir -p "$out/root.tmp"
for deb in "$out"/debs/*.deb; do dpkg-deb -x "$deb" "$out/root.tmp"; done
rm -rf "$out/root"
mv "$out/root.tmp" "$out/root"
# The package leaves modules.dep to its postinst; the host's depmod writes it for the tree.
kver=${kernel_pkg#linux-image-}
depmod -b "$out/root" "$kver"
grub-mkimage -O arm64-efi -d "$out/root/usr/lib/grub/arm64-efi" -p /arm64 -o "$out/grubaa64.efi.tmp" "${grub_modules[@]}"
mv "$out/grubaa64.efi.tmp" "$out/grubaa64.efi"
echo "$stamp" > "$out/stamp"
echo "arm64-files: $versions → $out" >&2
