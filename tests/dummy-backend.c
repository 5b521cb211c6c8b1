/* SPDX-License-Identifier: BSD-3-Clause */
#include "dummy-backend.h"
