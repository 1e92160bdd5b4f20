// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the tools' command lines share (cli.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "exotic/exotic.h"
#include "exotic/profile.h"
#include "exotic/runner.h"

static int number(const char *s, uint64_t *v, char **end)
{
	unsigned long long x;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, end, 0);
	if (errno || *end == s)
		return -EINVAL;
	*v = x;
	return 0;
}

int cli_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	uint64_t x;
	char *end;

	if (number(s, &x, &end) || *end || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

int cli_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	uint64_t x;

	if (cli_u64(s, min, max, &x))
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

int cli_size(const char *s, uint64_t *v)
{
	unsigned int shift = 0;
	uint64_t x;
	char *end;

	if (number(s, &x, &end))
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end || (shift && x > UINT64_MAX >> shift))
		return -EINVAL;
	*v = x << shift;
	return 0;
}

int cli_compare(const char *tool, const char *opt, int argc, char **argv,
		int (*cmp)(const char *a, const char *b, FILE *out, FILE *err))
{
	if (argc - optind != 2) {
		fprintf(stderr, "%s: %s takes two files, A.json and B.json\n", tool, opt);
		return 2;
	}
	return cmp(argv[optind], argv[optind + 1], stdout, stderr);
}

void runner_cli_init(struct runner_cli *o)
{
	*o = (struct runner_cli){
		.seed = (uint64_t)time(NULL) * 2654435761ULL,
		.timeout_s = 120,
	};
}

int runner_cli_option(const char *tool, int c, const char *arg, struct runner_cli *o)
{
	switch (c) {
	case 'p': o->profile = arg; return 1;
	case 'e': o->expect_file = arg; return 1;
	case 'j': o->json = true; return 1;
	case 'J': o->json_file = arg; return 1;
	case 'k': o->allow_kmsg = true; return 1;
	case 'C': o->allow_crash = true; return 1;
	case 'f': o->fresh = true; return 1;
	case 'L':
		exotic_profile_print_list(stdout);
		exit(0);
	case 't':
		if (cli_u32(arg, 1, 86400, &o->timeout_s)) {
			fprintf(stderr, "%s: --timeout takes seconds (1..86400), not '%s'\n", tool, arg);
			return -EINVAL;
		}
		return 1;
	case 's':
		if (cli_u64(arg, 0, UINT64_MAX, &o->seed)) {
			fprintf(stderr, "%s: --seed takes a number, not '%s'\n", tool, arg);
			return -EINVAL;
		}
		return 1;
	default:
		return 0;
	}
}

int runner_cli_next(const char *tool, int argc, char **argv, const char *shortopts,
		    const struct option *longopts, struct runner_cli *o)
{
	for (;;) {
		int c = getopt_long(argc, argv, shortopts, longopts, NULL), ret;

		if (c == -1)
			return -1;
		ret = runner_cli_option(tool, c, optarg, o);
		if (ret < 0)
			return -2;
		if (!ret)
			return c;
	}
}

int runner_cli_json(const char *tool, const struct runner_cli *o, FILE **out)
{
	*out = NULL;
	if (o->json && o->json_file) {
		fprintf(stderr, "%s: --json and --json-file: choose one\n", tool);
		return -EINVAL;
	}
	if (o->json) {
		*out = stdout;
	} else if (o->json_file) {
		*out = fopen(o->json_file, "w");
		if (!*out) {
			int err = errno;

			fprintf(stderr, "%s: %s: %s\n", tool, o->json_file, strerror(err));
			return -err;
		}
	}
	return 0;
}

int runner_cli_open(const struct runner_cli *o, struct exotic_runner_config *cfg,
		    struct exotic_ctx **ctx, FILE **jf, struct exotic_runner **run)
{
	int ret = exotic_new(ctx);

	if (ret) {
		fprintf(stderr, "%s: %s\n", cfg->tool, exotic_strerror(ret));
		return 3;
	}
	if (runner_cli_json(cfg->tool, o, jf))
		return 2;
	cfg->profile = o->profile;
	cfg->expect_file = o->expect_file;
	cfg->seed = o->seed;
	cfg->timeout_s = o->timeout_s;
	cfg->allow_kmsg |= o->allow_kmsg;
	cfg->allow_crash = o->allow_crash;
	/* a --fresh-boot listing prints names, not the document */
	cfg->json = cfg->dry && o->fresh ? NULL : *jf;
	ret = exotic_runner_new(*ctx, cfg, run);
	if (ret)
		return ret == -ENOENT ? 3 : 2;
	return 0;
}

int runner_cli_start(const char *tool, struct exotic_runner *run, bool quiet)
{
	int ret = exotic_runner_start(run, quiet);

	if (ret) {
		fprintf(stderr, "%s: %s\n", tool, exotic_strerror(ret));
		return 3;
	}
	return 0;
}

int runner_cli_close(const char *tool, const struct runner_cli *o, struct exotic_ctx *ctx,
		     FILE *jf, struct exotic_runner *run, int status)
{
	if (jf && jf != stdout && fclose(jf)) {
		fprintf(stderr, "%s: %s: %s\n", tool, o->json_file, strerror(errno));
		status = 2;
	}
	exotic_runner_free(run);
	exotic_unref(ctx);
	return status;
}
