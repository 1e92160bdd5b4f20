/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exotic-matrix --diff A.json B.json: what changed between two runs, each
 * an exotic-matrix/1 or exotic-repro/1 document (docs/matrix-schema.md).
 */
#ifndef EXOTIC_MATRIX_DIFF_H
#define EXOTIC_MATRIX_DIFF_H

#include <stdio.h>

/*
 * Print to out each cell whose measured outcome differs and each cell
 * present in one document only, then a summary line; errors go to err as
 * one line.  Returns 0 when the two agree on every cell, 1 when they
 * differ, 2 when a file cannot be read or is not such a document.
 */
int matrix_diff(const char *path_a, const char *path_b, FILE *out, FILE *err);

#endif
