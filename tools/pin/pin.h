/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel pinning for the test VM: which Debian 6.1 kernel ABI the project
 * builds and boots, and whether image, headers and source agree.
 */
#ifndef EXOTIC_PIN_H
#define EXOTIC_PIN_H

#include <stddef.h>

/*
 * Find the ABI the metapackage depends on in the output of
 * `apt-cache depends linux-image-amd64` (e.g. "6.1.0-56-amd64" from
 * "  Depends: linux-image-6.1.0-56-amd64").  When several are listed, the
 * highest ABI number wins.  Returns 0, -ENOENT if none, -ENAMETOOLONG if
 * out is too small.
 */
int pin_resolve_abi(const char *apt_depends, char *out, size_t outlen);

/*
 * Extract the candidate version from `apt-cache policy PKG` output
 * ("  Candidate: 6.1.192-2").  Returns 0, or -ENOENT if the package has no
 * candidate ("(none)" or no such line).
 */
int pin_candidate(const char *apt_policy, char *out, size_t outlen);

/*
 * Upstream part of a Debian version: "6.1.192-2" -> "6.1.192".
 */
int pin_upstream(const char *debver, char *out, size_t outlen);

/*
 * Check that image, headers and source are the same Debian version.
 * Returns 0 when they agree; otherwise -EINVAL and a one-line message in msg
 * that names the disagreeing packages and what to do.
 */
int pin_check(const char *abi, const char *image, const char *headers,
	      const char *source, char *msg, size_t msglen);

#endif
