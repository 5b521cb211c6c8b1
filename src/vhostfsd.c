/* SPDX-License-Identifier: BSD-3-Clause */
/* vhostfsd.c - not written yet. */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "vhostfsd: not written yet\n");
    return 1;
}
