#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# mkcorpus-fuse.py - write the seed corpus of fuzz-fuse into DIR (default:
# corpus/fuse next to this script).  Each file is one input for
# tests/fuzz/fuzz-fuse.c: byte 0 the shape (bits 0-1 readable iovecs - 1,
# bits 2-3 writable iovecs - 1, bit 4 no INIT first, bit 5 DAX, bit 6
# writeback, bit 7 the last iovecs out of reach), byte 1 the reply room in 64-byte units (255: max_write),
# then one FUSE request, little endian.  Node 2 of the test filesystem is
# "file" (open handle 1002), 3 is "dir", 4 is "link".
import os
import struct
import sys

FH = 1002


def req(opcode, nodeid, body=b"", unique=7, extlen=0, length=None):
    n = 40 + len(body) if length is None else length
    return struct.pack("<IIQQIIIHH", n, opcode, unique, nodeid, 0, 0, 1,
                       extlen, 0) + body


def s(name):
    return name.encode() + b"\0"


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "fuse")
    os.makedirs(d, exist_ok=True)
    lk = struct.pack("<QQQQII", FH, 1, 0, 100, 1, 0) + struct.pack("<II", 0, 0)
    seeds = {
        "init": (0x10, 8, req(26, 0, struct.pack("<IIIII", 7, 38, 65536,
                                                  0xffffffff, 0xff) +
                              bytes(44))),
        "init-old": (0x10, 8, req(26, 0, struct.pack("<IIII", 7, 31, 0, 3))),
        "lookup": (0x01, 8, req(1, 1, s("file"))),
        "lookup-nonul": (0x00, 8, req(1, 1, b"file")),
        "lookup-slash": (0x00, 8, req(1, 1, s("a/b"))),
        "forget": (0x00, 0, req(2, 2, struct.pack("<Q", 1))),
        "batch-forget": (0x03, 0, req(42, 0, struct.pack("<II", 2, 0) +
                                      struct.pack("<QQQQ", 2, 1, 3, 1))),
        "batch-forget-huge": (0x00, 0, req(42, 0, struct.pack(
            "<II", 0xffffffff, 0) + struct.pack("<QQ", 2, 1))),
        "getattr-fh": (0x00, 4, req(3, 2, struct.pack("<IIQ", 1, 0, FH))),
        "setattr": (0x01, 4, req(4, 2, struct.pack("<IIQQ", 0x48 | 0x800, 0,
                                                   FH, 10) + bytes(64))),
        "readlink": (0x00, 8, req(5, 4)),
        "symlink": (0x01, 8, req(6, 1, s("sl") + s("../x"))),
        "mknod": (0x00, 8, req(8, 1, struct.pack("<IIII", 0o10644, 0, 0o22,
                                                 0) + s("n"))),
        "mkdir-dot": (0x00, 8, req(9, 1, struct.pack("<II", 0o755, 0) +
                                   s(".."))),
        "unlink": (0x00, 1, req(10, 1, s("link"))),
        "rmdir": (0x00, 1, req(11, 1, s("dir"))),
        "rename": (0x02, 1, req(12, 1, struct.pack("<Q", 3) + s("file") +
                                s("f2"))),
        "rename2": (0x00, 1, req(45, 1, struct.pack("<QII", 1, 2, 0) +
                                 s("file") + s("dir"))),
        "link": (0x00, 8, req(13, 3, struct.pack("<Q", 2) + s("hard"))),
        "open": (0x00, 2, req(14, 2, struct.pack("<II", 2, 0))),
        "create": (0x00, 8, req(35, 1, struct.pack("<IIII", 0o101, 0o644, 0,
                                                   0) + s("new"))),
        "tmpfile": (0x00, 8, req(51, 1, struct.pack("<IIII", 2, 0o644, 0, 0) +
                                 s("/"))),
        "read": (0x0f, 255, req(15, 2, struct.pack("<QQIIQII", FH, 0, 16384,
                                                   0, 0, 0, 0))),
        "read-huge": (0x00, 8, req(15, 2, struct.pack("<QQIIQII", FH, 0,
                                                      0xffffffff, 0, 0, 0,
                                                      0))),
        "write": (0x03, 2, req(16, 2, struct.pack("<QQIIQII", FH, 5, 300, 4,
                                                  0, 0, 0) + bytes(300))),
        "write-mismatch": (0x00, 2, req(16, 2, struct.pack(
            "<QQIIQII", FH, 5, 3000, 0, 0, 0, 0) + bytes(30))),
        # bit 7: the last readable / writable iovec out of reach (DAX window)
        "read-far-reply": (0x84, 65, req(15, 2, struct.pack(
            "<QQIIQII", FH, 0, 4096, 0, 0, 0, 0))),
        "write-far-payload": (0x85, 2, req(16, 2, struct.pack(
            "<QQIIQII", FH, 0, 80, 0, 0, 0, 0) + b"W" * 80)),
        "statfs": (0x00, 4, req(17, 1)),
        "release": (0x00, 1, req(18, 2, struct.pack("<QIIQ", FH, 0, 2, 9))),
        "fsync": (0x00, 1, req(20, 2, struct.pack("<QII", FH, 1, 0))),
        "setxattr": (0x01, 1, req(21, 2, struct.pack("<IIII", 3, 0, 0, 0) +
                                  s("user.a") + b"xyz")),
        "setxattr-mismatch": (0x00, 1, req(21, 2, struct.pack(
            "<IIII", 300, 0, 0, 0) + s("user.a") + b"xyz")),
        "getxattr": (0x05, 8, req(22, 2, struct.pack("<II", 64, 0) +
                                  s("user.a"))),
        "listxattr": (0x00, 8, req(23, 2, struct.pack("<II", 0, 0))),
        "removexattr": (0x00, 1, req(24, 2, s("user.a"))),
        "flush": (0x00, 1, req(25, 2, struct.pack("<QIIQ", FH, 0, 0, 1))),
        "opendir": (0x00, 1, req(27, 1, struct.pack("<II", 0, 0))),
        "readdir": (0x04, 64, req(28, 1, struct.pack("<QQIIQII", 1001, 0,
                                                     4096, 0, 0, 0, 0))),
        "readdirplus": (0x0c, 8, req(44, 1, struct.pack("<QQIIQII", 1001, 1,
                                                        400, 0, 0, 0, 0))),
        "releasedir": (0x00, 1, req(29, 1, struct.pack("<QIIQ", 1001, 0, 0,
                                                       0))),
        "getlk": (0x00, 2, req(31, 2, lk)),
        "setlk": (0x00, 1, req(32, 2, lk)),
        "setlkw": (0x00, 1, req(33, 2, lk)),
        "access": (0x00, 1, req(34, 2, struct.pack("<II", 4, 0))),
        "interrupt": (0x00, 0, req(36, 0, struct.pack("<Q", 5))),
        "destroy": (0x00, 1, req(38, 0)),
        "ioctl": (0x00, 2, req(39, 2, struct.pack("<QIIQII", FH, 0, 0x1234,
                                                  0, 4, 8) + b"abcd")),
        "poll": (0x00, 1, req(40, 2, struct.pack("<QQII", FH, 0, 0, 5))),
        "fallocate": (0x00, 1, req(43, 2, struct.pack("<QQQII", FH, 0, 4096,
                                                      0, 0))),
        "lseek": (0x00, 1, req(46, 2, struct.pack("<QQII", FH, 0, 3, 0))),
        "copy-file-range": (0x00, 1, req(47, 2, struct.pack(
            "<QQQQQQQ", FH, 0, 2, FH, 10, 1 << 40, 0))),
        "setupmapping": (0x20, 1, req(48, 2, struct.pack("<QQQQQ", FH, 0,
                                                         4096, 1, 0))),
        "removemapping": (0x21, 1, req(49, 0, struct.pack("<I", 2) +
                                       struct.pack("<QQQQ", 0, 4096, 4096,
                                                   4096))),
        "syncfs": (0x00, 1, req(50, 1, struct.pack("<Q", 0))),
        "unknown": (0x00, 1, req(4242, 1, bytes(16))),
        "len-too-long": (0x00, 1, req(1, 1, s("file"), length=1000)),
        "extlen": (0x00, 1, req(1, 1, s("file"), extlen=1)),
        "short-header": (0x00, 1, req(1, 1)[:20]),
    }
    for name, (ctl, room, data) in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(bytes([ctl, room]) + data)


if __name__ == "__main__":
    main()
