#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# mkcorpus-msg.sh - write the seed corpus of fuzz-msg into DIR
# (default: corpus/msg next to this script).  Each file is one input:
# byte 0 = fd count + 10 * queue count, then header and payload
# (little endian, as on x86-64 and arm64 hosts).
set -eu

dir=${1:-$(dirname "$0")/corpus/msg}
mkdir -p "$dir"

# Little-endian integers and runs of zero bytes on stdout.
u8() { printf "$(printf '\\%03o' $(($1 & 255)))"; }
u16() { u8 $1; u8 $(($1 >> 8)); }
u32() { u16 $1; u16 $(($1 >> 16)); }
u64() { u32 $(($1 & 0xffffffff)); u32 $((($1 >> 32) & 0xffffffff)); }
zeros() { head -c "$1" /dev/zero; }
# sel NFDS NQUEUES; hdr REQUEST FLAGS SIZE
sel() { u8 $(($1 + 10 * $2)); }
hdr() { u32 $1; u32 $2; u32 $3; }
# region GPA SIZE UADDR OFFSET
region() { u64 $1; u64 $2; u64 $3; u64 $4; }

w() { cat > "$dir/$1"; }

{ sel 0 2; hdr 1 1 0; } | w get-features
{ sel 0 2; hdr 2 1 8; u64 0x140000000; } | w set-features
{ sel 0 2; hdr 15 9 0; } | w get-protocol-features-need-reply
{ sel 2 2; hdr 5 1 72; u32 2; u32 0
  region 0 0x100000 0x7f0000000000 0
  region 0x100000 0x100000 0x7f0000100000 0; } | w set-mem-table
{ sel 2 2; hdr 5 1 72; u32 2; u32 0
  region 0 0x200000 0x7f0000000000 0
  region 0x100000 0x100000 0x7f0000100000 0; } | w set-mem-table-overlap
{ sel 1 2; hdr 5 1 40; u32 1; u32 0
  region -4096 0x2000 0 0; } | w set-mem-table-wrap
{ sel 1 2; hdr 6 1 16; u64 0x10000; u64 0; } | w set-log-base
{ sel 0 2; hdr 8 1 8; u32 1; u32 256; } | w set-vring-num
{ sel 0 2; hdr 8 1 8; u32 0; u32 3; } | w set-vring-num-bad
{ sel 0 2; hdr 9 1 40; u32 1; u32 1; u64 0x1000; u64 0x3000; u64 0x2000
  u64 0; } | w set-vring-addr
{ sel 0 2; hdr 10 1 8; u32 0; u32 0x8000; } | w set-vring-base-packed
{ sel 0 2; hdr 11 1 8; u32 2; u32 0; } | w get-vring-base-bad-index
{ sel 1 2; hdr 12 1 8; u64 1; } | w set-vring-kick
{ sel 0 2; hdr 13 1 8; u64 0x100; } | w set-vring-call-nofd
{ sel 1 2; hdr 14 1 8; u64 0x201; } | w set-vring-err-bad-bits
{ sel 0 2; hdr 24 1 28; u32 0; u32 16; u32 0; zeros 16; } | w get-config
{ sel 0 2; hdr 25 1 28; u32 250; u32 16; u32 0; zeros 16; } \
	| w set-config-overflow
{ sel 0 2; hdr 31 1 24; u64 0; u64 0; u16 2; u16 256; u32 0; } \
	| w get-inflight-fd
{ sel 1 2; hdr 32 1 20; u64 4096; u64 0; u16 2; u16 256; } \
	| w set-inflight-fd-packed
{ sel 1 2; hdr 37 1 40; u64 0; region 0x200000 0x100000 0x7f0000200000 0; } \
	| w add-mem-reg
{ sel 1 2; hdr 38 1 40; u64 0; region 0x200000 0x100000 0x7f0000200000 0; } \
	| w rem-mem-reg-with-fd
{ sel 0 2; hdr 22 1 32; u64 0x1000; u64 0x1000; u64 0x7f0000000000
  u8 3; u8 2; zeros 6; } | w iotlb-update
{ sel 0 2; hdr 39 1 8; u64 0x0f; } | w set-status
{ sel 1 2; hdr 42 1 8; u32 0; u32 0; } | w set-device-state-fd
{ sel 0 2; hdr 1 5 8; u64 0; } | w reply-flag-on-request
{ sel 0 2; hdr 2 1 5000; u64 0; } | w oversized
{ sel 0 2; hdr 46 1 0; } | w unknown-code
{ sel 0 2; hdr 1 2 0; } | w version-2
{ sel 9 2; hdr 1 1 0; } | w nine-fds
{ sel 1 0; hdr 9 1 40; u8 0; zeros 7; u64 0; u64 0x200000; u64 0x200000
  u64 1; } | w breq-shmem-map
{ sel 1 0; hdr 3 1 24; u64 1; u64 4096; u64 0; } | w breq-host-notifier
{ sel 1 0; hdr 6 1 256
  u64 0; u64 0x200000; zeros 48
  u64 0; u64 0x400000; zeros 48
  u64 0x200000; u64 0x200000; zeros 48
  u64 3; u64 1; zeros 48; } | w breq-fs-map
{ sel 1 0; hdr 9 1 256
  u64 -16; zeros 56
  zeros 64
  u64 0x1000; zeros 56
  u64 1; zeros 56; } | w breq-fs-io-wrap
