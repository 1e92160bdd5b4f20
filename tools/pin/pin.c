// SPDX-License-Identifier: GPL-2.0
/* Kernel pinning logic: see pin.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pin.h"

static int copy_out(const char *s, size_t n, char *out, size_t outlen)
{
	if (n + 1 > outlen)
		return -ENAMETOOLONG;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int pin_resolve_abi(const char *apt_depends, char *out, size_t outlen)
{
	static const char prefix[] = "linux-image-6.1.0-";
	const char *p = apt_depends, *best = NULL;
	size_t best_len = 0;
	long best_abi = -1;

	while ((p = strstr(p, prefix))) {
		const char *abi = p + strlen("linux-image-");
		const char *num = p + strlen(prefix);
		char *end;
		long n;

		p = num;
		if (!isdigit((unsigned char)*num))
			continue;
		n = strtol(num, &end, 10);
		if (strncmp(end, "-amd64", 6) ||
		    (end[6] && !isspace((unsigned char)end[6])))
			continue;	/* -cloud-amd64, -rt-amd64, -dbg, ... */
		if (n > best_abi) {
			best_abi = n;
			best = abi;
			best_len = (size_t)(end + 6 - abi);
		}
	}
	if (!best)
		return -ENOENT;
	return copy_out(best, best_len, out, outlen);
}

int pin_candidate(const char *apt_policy, char *out, size_t outlen)
{
	const char *p = strstr(apt_policy, "Candidate:");
	size_t n;

	if (!p)
		return -ENOENT;
	p += strlen("Candidate:");
	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t\r\n");
	if (!n || !strncmp(p, "(none)", n))
		return -ENOENT;
	return copy_out(p, n, out, outlen);
}

int pin_upstream(const char *debver, char *out, size_t outlen)
{
	const char *colon = strchr(debver, ':');
	const char *start = colon ? colon + 1 : debver;
	const char *dash = strrchr(start, '-');
	size_t n = dash ? (size_t)(dash - start) : strlen(start);

	if (!n)
		return -EINVAL;
	return copy_out(start, n, out, outlen);
}

int pin_check(const char *abi, const char *image, const char *headers,
	      const char *source, char *msg, size_t msglen)
{
	const char *odd = NULL, *oddver = NULL;

	if (!abi || !*abi || !image || !*image) {
		snprintf(msg, msglen,
			 "no linux-image-6.1.0-NN-amd64 found: run apt-get update (is bookworm in sources.list?)");
		return -EINVAL;
	}
	if (!headers || !*headers) {
		snprintf(msg, msglen,
			 "linux-headers-%s has no candidate: run apt-get update, or pin another ABI with EXOTIC_ABI=",
			 abi);
		return -EINVAL;
	}
	if (!source || !*source) {
		snprintf(msg, msglen,
			 "linux-source-6.1 has no candidate: run apt-get update");
		return -EINVAL;
	}
	if (strcmp(headers, image)) {
		odd = "linux-headers-";
		oddver = headers;
	} else if (strcmp(source, image)) {
		odd = "linux-source-6.1 ";
		oddver = source;
	}
	if (odd) {
		snprintf(msg, msglen,
			 "version mismatch: linux-image-%s is %s but %s%s is %s; wait for the archive to catch up and rerun make deps, or pin an ABI whose packages agree with EXOTIC_ABI=6.1.0-NN-amd64",
			 abi, image, odd, !strcmp(odd, "linux-headers-") ? abi : "",
			 oddver);
		return -EINVAL;
	}
	snprintf(msg, msglen, "linux %s %s", abi, image);
	return 0;
}
