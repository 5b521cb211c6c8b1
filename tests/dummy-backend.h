/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHOSTFS_DUMMY_BACKEND_H
#define VHOSTFS_DUMMY_BACKEND_H
#endif
