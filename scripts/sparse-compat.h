/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scripts/sparse-compat.h: what Debian's sparse 0.6.4 (bookworm and trixie
 * alike) lacks to read the 7.x headers.  scripts/lint hands it to sparse
 * alone (CF=-include ...), never to the compiler, and only for a kernel set
 * whose own scripts/checker-valid.sh rejects sparse without it; kbuild runs
 * that script again with CF included before it honours C=.
 *
 * Without the first part sparse stops at the 7.3 headers' first
 * __typeof_unqual__ (READ_ONCE, percpu, atomics: over 100 errors, "too
 * many errors", then a segmentation fault); without the second, every
 * MODULE_*() and module_param*() line of the driver is "bad constant
 * expression".
 */

/*
 * __typeof_unqual__: compiler_types.h selects it whenever __CHECKER__ is
 * defined (USE_TYPEOF_UNQUAL).  This is the _Generic form the same header
 * uses without it (and 6.1's always does): scalars lose their qualifiers,
 * other types keep them.
 */
#define __exotic_sparse_scalar(type)				\
	unsigned type: (unsigned type)0, signed type: (signed type)0
#define __typeof_unqual__(x) __typeof__(_Generic((x),		\
	char: (char)0,						\
	__exotic_sparse_scalar(char),				\
	__exotic_sparse_scalar(short),				\
	__exotic_sparse_scalar(int),				\
	__exotic_sparse_scalar(long),				\
	__exotic_sparse_scalar(long long),			\
	default: (x)))

/*
 * __builtin_strlen of a literal: MODULE_INFO() static_asserts
 * sizeof(info) - 1 == __builtin_strlen(info), and sparse 0.6.4 cannot fold
 * the builtin into a constant.  For a char array this gives sizeof - 1,
 * for anything else the builtin itself (a macro does not expand inside its
 * own expansion).  The embedded-NUL check that assert makes stays the
 * compiler's, in the -Werror build of the same set.
 */
#define __builtin_strlen(s) __builtin_choose_expr(			\
	__builtin_types_compatible_p(typeof(s), char[sizeof(s)]),	\
	sizeof(s) - 1, __builtin_strlen(s))
