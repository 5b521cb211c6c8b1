/* SPDX-License-Identifier: BSD-3-Clause */
/* vhu-backend-req.c - not written yet. */
#include "vhu-backend-req.h"
