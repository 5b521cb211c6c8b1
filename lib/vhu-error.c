/* SPDX-License-Identifier: BSD-3-Clause */
/* vhu-error.c - not written yet. */
#include "vhu-error.h"
