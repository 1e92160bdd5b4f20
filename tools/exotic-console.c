// SPDX-License-Identifier: GPL-2.0
/*
 * exotic-console: judge a test VM's serial console log.
 *
 *   exotic-console [--sentinel TOKEN] [--context N] [--tsv FILE] LOG
 *
 * Every kernel line ("[ secs.usecs] ...", also when it starts in the middle
 * of a line a program was printing) goes through the console oracle
 * (exotic_kmsg_classify()); each finding is printed with the N kernel lines
 * that follow it (the call trace).  The guest's init prints
 * "TOKEN: STATUS" when the command ends.  --tsv FILE also writes the
 * findings for scripts, a line each: the kernel's timestamp in seconds,
 * the class and the kernel's text, tab-separated.
 *
 * Exit status: the command's status when the log is clean; 125 when the
 * oracle found something; 126 when the log has no sentinel (the guest died
 * or hung before the command ended); 2 on usage or I/O errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exotic/exotic.h"

#define EXIT_FINDING	125
#define EXIT_NO_SENTINEL 126

/*
 * The guest prints the whole kernel log at the end (dmesg), so lines the
 * console showed live come twice: remember what was seen (by hash of the
 * line, timestamp included) and judge each line once.
 */
struct seen {
	unsigned long long *slot;
	size_t cap, used;
};

static unsigned long long hash_line(const char *s)
{
	unsigned long long h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;	/* 0 marks an empty slot */
}

/* Returns 1 if h is in the set, 0 if not (and adds it). */
static int seen_hash(struct seen *set, unsigned long long h)
{
	size_t i;

	if (set->used * 2 >= set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 4096;
		struct seen bigger = { calloc(cap, sizeof(h)), cap, 0 };

		if (!bigger.slot)
			return 0;	/* judge it again rather than not at all */
		for (i = 0; i < set->cap; i++)
			if (set->slot[i])
				seen_hash(&bigger, set->slot[i]);
		free(set->slot);
		*set = bigger;
	}
	for (i = h % set->cap; set->slot[i]; i = (i + 1) % set->cap)
		if (set->slot[i] == h)
			return 1;
	set->slot[i] = h;
	set->used++;
	return 0;
}

/* The kernel message in line, and in *start where its "[ secs]" begins. */
static const char *kernel_text(const char *line, const char **start)
{
	const char *p;

	for (p = strchr(line, '['); p; p = strchr(p + 1, '[')) {
		const char *text = exotic_kmsg_text(p);

		if (text) {
			*start = p;
			return text;
		}
	}
	return NULL;
}

/*
 * A finding for --tsv: seconds (from kstart's "[ secs.usecs]", which
 * exotic_kmsg_text() found well-formed), class, text.
 */
static void write_tsv(FILE *tsv, const char *kstart, const char *cls, const char *text)
{
	const char *secs = kstart + strspn(kstart, "[ ");

	fprintf(tsv, "%.*s\t%s\t%s\n", (int)strcspn(secs, "]"), secs, cls, text);
}

#define USAGE "usage: exotic-console [--sentinel TOKEN] [--context N] [--tsv FILE] LOG\n"

int main(int argc, char **argv)
{
	const char *sentinel = "EXOTIC-EXIT", *path = NULL, *tsv_path = NULL;
	FILE *tsv = NULL;
	int context = 12, status = -1, findings = 0, trailing = 0;
	struct seen seen = { NULL, 0, 0 };
	char *line = NULL;
	size_t cap = 0, slen;
	ssize_t n;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sentinel") && i + 1 < argc) {
			sentinel = argv[++i];
		} else if (!strcmp(argv[i], "--context") && i + 1 < argc) {
			context = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--tsv") && i + 1 < argc) {
			tsv_path = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fputs(USAGE, stderr);
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		fputs(USAGE, stderr);
		return 2;
	}
	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "exotic-console: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (tsv_path && !(tsv = fopen(tsv_path, "w"))) {
		fprintf(stderr, "exotic-console: %s: %s\n", tsv_path, strerror(errno));
		return 2;
	}
	slen = strlen(sentinel);
	while ((n = getline(&line, &cap, f)) >= 0) {
		const char *text, *s, *kstart;
		int cls;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		s = strstr(line, sentinel);
		if (s && s[slen] == ':' && status < 0) {
			status = atoi(s + slen + 1);
			continue;
		}
		text = kernel_text(line, &kstart);
		if (!text || seen_hash(&seen, hash_line(kstart)))
			continue;
		cls = exotic_kmsg_classify(text);
		if (cls != EXOTIC_KMSG_CLEAN) {
			if (!findings++)
				fprintf(stderr, "console oracle: the kernel log of this run has findings:\n");
			fprintf(stderr, "  %s: %s\n", exotic_kmsg_class_name(cls), text);
			if (tsv)
				write_tsv(tsv, kstart, exotic_kmsg_class_name(cls), text);
			trailing = context;
		} else if (trailing > 0) {
			fprintf(stderr, "    %s\n", text);
			trailing--;
		}
	}
	free(line);
	free(seen.slot);
	if (f != stdin)
		fclose(f);
	if (tsv && fclose(tsv)) {
		fprintf(stderr, "exotic-console: %s: %s\n", tsv_path, strerror(errno));
		return 2;
	}
	if (findings) {
		fprintf(stderr, "console oracle: %d finding%s; the run failed\n",
			findings, findings == 1 ? "" : "s");
		return EXIT_FINDING;
	}
	if (status < 0)
		return EXIT_NO_SENTINEL;
	return status > 255 ? 255 : status;
}
