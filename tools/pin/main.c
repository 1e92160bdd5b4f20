// SPDX-License-Identifier: GPL-2.0
/*
 * exotic-pin: the kernel pinning steps of scripts/deps, in C so that the
 * host unit tests can exercise them.
 *
 *   exotic-pin abi < "apt-cache depends linux-image-amd64"
 *   exotic-pin candidate < "apt-cache policy PKG"
 *   exotic-pin upstream DEBVER
 *   exotic-pin check ABI IMAGEVER HEADERSVER SOURCEVER
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pin.h"

static char *slurp(FILE *f)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);

		len += n;
		if (n == 0)
			break;
		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

int main(int argc, char **argv)
{
	char out[256], msg[512];
	char *in;
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "abi") || !strcmp(argv[1], "candidate"))) {
		in = slurp(stdin);
		if (!in) {
			fprintf(stderr, "exotic-pin: out of memory\n");
			return 2;
		}
		ret = !strcmp(argv[1], "abi") ?
			pin_resolve_abi(in, out, sizeof(out)) :
			pin_candidate(in, out, sizeof(out));
		free(in);
		if (ret)
			return 1;
		puts(out);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "upstream")) {
		if (pin_upstream(argv[2], out, sizeof(out)))
			return 1;
		puts(out);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "check")) {
		ret = pin_check(argv[2], argv[3], argv[4], argv[5], msg, sizeof(msg));
		fprintf(ret ? stderr : stdout, "%s\n", msg);
		return ret ? 1 : 0;
	}
	fprintf(stderr, "usage: exotic-pin abi|candidate < apt-output\n"
			"       exotic-pin upstream DEBVER\n"
			"       exotic-pin check ABI IMAGE HEADERS SOURCE\n");
	return 2;
}
