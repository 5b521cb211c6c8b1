/* SPDX-License-Identifier: BSD-3-Clause */
/* vhu-backend.c - not written yet. */
#include "vhu-backend.h"
