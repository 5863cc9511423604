#!/usr/bin/env bash
# Installs the Debian packages pxevirt and its tests need. Idempotent: it asks
# apt only for what is missing, so a second run costs a few dpkg queries.
set -euo pipefail

packages=(
  # guests: QEMU, iPXE ROMs for its NICs, iPXE binaries for real PXE clients, UEFI firmware
  qemu-system-x86 qemu-utils ipxe-qemu ipxe ovmf
  # arm64 guests (software emulation) and their UEFI firmware; grub-mkimage for the arm64
  # network GRUB (its modules come from Debian's arm64 grub-efi-arm64-bin: scripts/arm64-files.sh)
  qemu-system-arm qemu-efi-aarch64 grub-common
  # Secure Boot network boot: the Microsoft-signed shim and the Debian-signed network GRUB
  shim-signed grub-efi-amd64-signed
  # the test guest: a Debian kernel and a static busybox initramfs
  linux-image-amd64 busybox-static cpio kmod
  # VM volumes: a local OCI registry for containerDisk tests, cloud-init ISOs, bootable test disks
  docker-registry skopeo xorriso syslinux syslinux-common mtools dosfstools
  # a bootable ISO of the test guest (El Torito boot loader) for the BMC's virtual media test
  isolinux
  # DataVolume imports of .xz images
  xz-utils
  # networking in throwaway namespaces; socat carries port-forward connections into a guest's pod
  iproute2 iptables iputils-ping socat
  # pxevirt ssh/scp: the OpenSSH client they run, and an SSH server (and scp) for the test guest
  openssh-client dropbear-bin
  # the native TFTP data path (native/tftp_data.c, `make native`): a C compiler and libc headers;
  # the N-API headers (/usr/include/node) come with the nodejs package itself
  gcc libc6-dev
  # real clients and benchmark peers
  atftp curl kea-admin dnsmasq-base atftpd
  # IPv6 router discovery: a real solicitor (rdisc6) and another router on the segment (radvd)
  ndisc6 radvd
  # official Kubernetes clients as API test clients (kubectl comes from the machine; client-node from npm)
  python3-kubernetes
  # Redfish clients driving the BMC (the library Ironic uses, DMTF's client, sushy's CLI)
  python3-sushy redfishtool python3-sushy-cli
  # the BMC benchmark's peer: libvirtd and virsh (the stack sushy-tools and virtualbmc drive). Not
  # libvirt-daemon-system: it would add the libvirt-qemu user, the `default` network (virbr0) and
  # start libvirtd on the host. These three ship no unit and no maintainer script that starts
  # anything; bench/libvirt-isolated.ts runs libvirtd in namespaces of its own for the run only.
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  # driving terminals in tests; a real VNC client and a real browser for the console and web UI tests
  tmux vncsnapshot chromium
  # peak memory of a process under attack (test/hostile)
  time
)

# The unprivileged users pxevirt's children drop to (docs/security.md): every guest's QEMU
# (`-runas`) and `pxe serve` after binding its ports. System users without a home or a shell.
for user in pxevirt-qemu pxevirt-pxe; do
  if ! getent passwd "$user" >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "setup: missing system user $user; run 'make setup' as root or: useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin $user" >&2
      exit 1
    fi
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
    echo "setup: created system user $user"
  fi
done

# The arm64 network GRUB the PXE server serves as arm64/grubaa64.efi (src/pxe/grub-config.ts
# ARM64_FILES), built from Debian's arm64 packages without adding arm64 to dpkg (cached).
arm64_grub=/usr/local/lib/pxevirt/arm64/grubaa64.efi
arm64_files() {
  local built
  built="$(dirname "$0")/../build/arm64"
  bash "$(dirname "$0")/arm64-files.sh" "$built"
  if ! cmp -s "$built/grubaa64.efi" "$arm64_grub"; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "setup: $arm64_grub missing or stale; run 'make setup' as root or: install -D -m 0644 $built/grubaa64.efi $arm64_grub" >&2
      exit 1
    fi
    install -D -m 0644 "$built/grubaa64.efi" "$arm64_grub"
    echo "setup: installed $arm64_grub"
  fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: Debian packages present"
  arm64_files
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing Debian packages: ${missing[*]}; run 'make setup' as root or install them" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Daemons shipped by peers (atftpd) must not start on the host: policy-rc.d 101 keeps them off.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
arm64_files
