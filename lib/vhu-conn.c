/* SPDX-License-Identifier: BSD-3-Clause */
/* vhu-conn.c - not written yet. */
#include "vhu-conn.h"
