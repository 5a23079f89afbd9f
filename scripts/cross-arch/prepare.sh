#!/usr/bin/env bash
# Prepares what the cross-arch kernel harness (test/cross-arch/) needs and
# prints where it is, as KEY=VALUE lines on stdout (progress goes to stderr):
#   - Debian packages: QEMU, the aarch64 and armhf cross compilers with their
#     static C libraries, and the native compiler; installed with apt-get when
#     missing (needs root and the Debian archive);
#   - Debian's arm64 kernel image, downloaded with `apt-get download` and
#     unpacked with `dpkg -x` into a cache outside the repository, never
#     installed; a cached kernel is reused, so only the first run needs the
#     archive;
#   - the seccomp probe (test/fixtures/seccomp_probe.c) built static for
#     x86_64, aarch64 and armhf, kept in the same cache.
# Any failure ends with one line "cross-arch: ..." on stderr that says what is
# missing and why, and a non-zero exit.
set -euo pipefail

project_root=$(cd "$(dirname "$0")/../.." && pwd)
cache_root=${JAIL_RUN_CROSS_ARCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jail-run/cross-arch}
kernel_dir=$cache_root/kernel
probe_source=$project_root/test/fixtures/seccomp_probe.c

say() { echo "cross-arch: $*" >&2; }
die() { say "$*"; exit 1; }

export DEBIAN_FRONTEND=noninteractive
# Another apt run (another test, CI's own install) may hold the lock for a while.
apt_lock=(-o DPkg::Lock::Timeout=300)
apt_updated=0
apt_update() {
  ((apt_updated)) && return 0
  say "apt-get update"
  if ! apt-get update -q "${apt_lock[@]}" >&2; then
    die "apt-get update failed: the Debian package archive is not reachable, and it is needed for: $1"
  fi
  apt_updated=1
}

# --- Debian packages: "what must exist" -> "package that provides it" ---
requirements=(
  "command:qemu-system-aarch64:qemu-system-arm"
  "command:aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu"
  "command:arm-linux-gnueabihf-gcc:gcc-arm-linux-gnueabihf"
  "file:/usr/aarch64-linux-gnu/lib/libc.a:libc6-dev-arm64-cross"
  "file:/usr/arm-linux-gnueabihf/lib/libc.a:libc6-dev-armhf-cross"
  "command:gcc:gcc"
  "file:/usr/lib/x86_64-linux-gnu/libc.a:libc6-dev"
)
missing_packages=()
for requirement in "${requirements[@]}"; do
  IFS=: read -r kind what package <<<"$requirement"
  case $kind in
    command) command -v "$what" >/dev/null 2>&1 || missing_packages+=("$package") ;;
    file) [[ -e $what ]] || missing_packages+=("$package") ;;
  esac
done
if ((${#missing_packages[@]})); then
  [[ $(id -u) == 0 ]] || die "missing Debian packages ${missing_packages[*]}; install them as root: apt-get install ${missing_packages[*]}"
  apt_update "the packages ${missing_packages[*]}"
  say "apt-get install ${missing_packages[*]}"
  apt-get install -y -q --no-install-recommends "${apt_lock[@]}" "${missing_packages[@]}" >&2 ||
    die "apt-get install ${missing_packages[*]} failed"
fi

# --- the arm64 kernel ---
if [[ ! -s $kernel_dir/vmlinuz || ! -s $kernel_dir/version ]]; then
  kernel_need="Debian's arm64 kernel image (linux-image-*-arm64:arm64, booted by the cross-arch VM)"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    [[ $(id -u) == 0 ]] || die "$kernel_need is not cached in $kernel_dir and dpkg has no arm64 architecture; as root run: dpkg --add-architecture arm64 && apt-get update"
    say "dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
    # The package lists read so far (if any) have no arm64 packages.
    apt_updated=0
    apt_update "$kernel_need"
  fi
  # The metapackage names the current kernel ABI, e.g. linux-image-6.1.0-57-arm64.
  kernel_package() {
    { apt-cache depends linux-image-arm64:arm64 2>/dev/null || true; } |
      sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*-arm64\).*/\1/p' | head -n 1
  }
  package=$(kernel_package)
  if [[ -z $package ]]; then
    apt_update "$kernel_need"
    package=$(kernel_package)
  fi
  [[ -n $package ]] || die "$kernel_need: apt-cache knows no linux-image-arm64:arm64 (are Debian's bookworm sources in the apt configuration, and was apt-get update able to read them?)"
  mkdir -p "$cache_root"
  work=$(mktemp -d "$cache_root/download.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  say "apt-get download $package:arm64"
  if ! (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$package:arm64" >&2); then
    apt_update "$kernel_need"
    (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$package:arm64" >&2) ||
      die "$kernel_need is not cached in $kernel_dir, and apt-get download $package:arm64 failed (is the Debian archive reachable?)"
  fi
  deb=$(ls "$work"/*.deb)
  say "dpkg -x $(basename "$deb")"
  dpkg -x "$deb" "$work/root"
  image=$(ls "$work"/root/boot/vmlinuz-* 2>/dev/null | head -n 1)
  [[ -n $image ]] || die "$kernel_need: $(basename "$deb") holds no boot/vmlinuz-*"
  mkdir -p "$kernel_dir"
  # Each file is renamed into place whole, the version last (it marks the
  # cache complete), so a concurrent run sees all of it or none of it.
  config=$(ls "$work"/root/boot/config-* | head -n 1)
  cp "$config" "$kernel_dir/config.partial.$$" && mv "$kernel_dir/config.partial.$$" "$kernel_dir/config"
  cp "$image" "$kernel_dir/vmlinuz.partial.$$" && mv "$kernel_dir/vmlinuz.partial.$$" "$kernel_dir/vmlinuz"
  echo "$(basename "$deb" .deb)" >"$kernel_dir/version.partial.$$" && mv "$kernel_dir/version.partial.$$" "$kernel_dir/version"
  rm -rf "$work"
  trap - EXIT
fi

# --- the probes ---
# Built into the cache, named by a hash of their source and of this script
# (which holds the compiler flags): node-gyp owns build/ and wipes it, and
# several checkouts can share one cache.
probe_hash=$(cat "$probe_source" "$0" | sha256sum | cut -c1-16)
build_dir=$cache_root/probes/$probe_hash
mkdir -p "$build_dir"
build_probe() {
  local arch=$1 compiler=$2
  shift 2
  local output=$build_dir/seccomp_probe-$arch
  if [[ ! -x $output ]]; then
    say "building $output"
    "$compiler" -std=gnu11 -O2 -Wall -Wextra -Werror -pthread "$@" -o "$output.partial.$$" "$probe_source" ||
      die "building the $arch seccomp probe with $compiler failed"
    mv "$output.partial.$$" "$output"
  fi
  echo "probe_$arch=$output"
}
# Static, so the VM's initramfs needs no libraries. armhf: ARM (not Thumb)
# code, so r7 is free to carry the syscall number in the probe's own stub.
build_probe x86_64 gcc -static-pie
build_probe aarch64 aarch64-linux-gnu-gcc -static-pie
build_probe arm arm-linux-gnueabihf-gcc -static -marm

echo "kernel=$kernel_dir/vmlinuz"
echo "kernel_version=$(cat "$kernel_dir/version")"
echo "qemu=$(command -v qemu-system-aarch64)"
