/* SPDX-License-Identifier: BSD-3-Clause */
/* vhu-msg.c - not written yet. */
#include "vhu-msg.h"
