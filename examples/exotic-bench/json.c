// SPDX-License-Identifier: LGPL-2.1-or-later
/* exotic-bench --compare reads documents with exotic-matrix's JSON reader. */
#include "../exotic-matrix/json.c"
