#!/bin/sh
# contrib/build.sh [--asan] [--fuzz] [configure options...] - configure and
# build vhostfs out of tree: build/ (or build-asan/, build-fuzz/).  Prints
# the build directory on its last line.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/contrib/deps.sh"
vhostfs_install $VHOSTFS_BUILD_DEPS

dir=build
extra=--enable-werror
case "${1:-}" in
--asan) dir=build-asan; extra="--enable-werror --enable-asan"; shift ;;
--fuzz) dir=build-fuzz; extra="--enable-fuzzing CC=clang"; shift ;;
esac

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
   [ Makefile.am -nt configure ]; then
    mkdir -p m4
    autoreconf -fi >&2
fi
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ ../configure -nt Makefile ]; then
    # shellcheck disable=SC2086
    ../configure $extra "$@" >&2
fi
make -j"$(nproc)" >&2
echo "$top/$dir"
