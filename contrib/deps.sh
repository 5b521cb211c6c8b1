#!/bin/sh
# contrib/deps.sh - install what building and testing vhostfs needs on
# Debian 12, when run as root and something is missing.  Sourced by run.sh
# and test.sh; safe to run again.
set -eu

VHOSTFS_BUILD_DEPS="build-essential autoconf automake libtool pkg-config \
linux-libc-dev libfuse3-dev fuse3 libcap-ng-dev libseccomp-dev liburing-dev"
# Real peers for the integration tests, and clang for fuzzing.
VHOSTFS_TEST_DEPS="clang libclang-rt-14-dev qemu-system-x86 qemu-system-common \
busybox-static cpio xz-utils"

vhostfs_missing() {
    missing=
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
            missing="$missing $p"
    done
    echo "$missing"
}

vhostfs_install() {
    missing=$(vhostfs_missing "$@")
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages:$missing" >&2
        echo "run as root, or: sudo apt-get install$missing" >&2
        return 1
    fi
    echo "installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
}
