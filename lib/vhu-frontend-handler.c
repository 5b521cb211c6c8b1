/* SPDX-License-Identifier: BSD-3-Clause */
/* vhu-frontend-handler.c - not written yet. */
#include "vhu-frontend-handler.h"
