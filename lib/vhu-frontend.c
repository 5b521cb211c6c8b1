/* SPDX-License-Identifier: BSD-3-Clause */
/* vhu-frontend.c - not written yet. */
#include "vhu-frontend.h"
