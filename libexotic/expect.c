// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Expectation tables: parsing, lookup, the built-in tables
 * (expect_data.S) and the table of the detected profile (profile.c).  See exotic/expect.h and
 * docs/matrix-schema.md for the format.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "exotic/expect.h"
#include "exotic/profile.h"
#include "exotic/storm.h"

/* ------------------------------------------------------------ names */

static const char *const path_names[] = {
	[EXOTIC_PATH_NPF] = "npf",
	[EXOTIC_PATH_VMRUN] = "vmrun",
	[EXOTIC_PATH_COPY] = "copy",
	[EXOTIC_PATH_PVCLOCK] = "pvclock",
	[EXOTIC_PATH_STEAL_TIME] = "steal-time",
	[EXOTIC_PATH_NESTED_TDP] = "nested-tdp",
};

static const char *const outcome_names[] = {
	[EXOTIC_OUT_NOT_RUN] = "-",
	[EXOTIC_OUT_MAPPED] = "mapped",
	[EXOTIC_OUT_EFAULT] = "efault",
	[EXOTIC_OUT_GP] = "gp",
	[EXOTIC_OUT_NOT_ENTERED] = "not-entered",
	[EXOTIC_OUT_MMIO] = "mmio",
	[EXOTIC_OUT_DETECT] = "detect",
	[EXOTIC_OUT_MISMATCH] = "mismatch",
	[EXOTIC_OUT_KVM_ERROR] = "kvm-error",
	[EXOTIC_OUT_WARN] = "warn",
	[EXOTIC_OUT_KMSG] = "kmsg",
	[EXOTIC_OUT_REFCOUNT] = "refcount",
	[EXOTIC_OUT_REFUSED] = "refused",
	[EXOTIC_OUT_HANG] = "hang",
	[EXOTIC_OUT_NOT_WRITTEN] = "not-written",
	[EXOTIC_OUT_STALE_WRITE] = "stale-write",
	[EXOTIC_OUT_ANY] = "any",
	[EXOTIC_OUT_CRASH] = "crash",
};

EXOTIC_EXPORT const char *exotic_path_name(unsigned int path)
{
	return path >= 1 && path <= EXOTIC_PATH_MAX ? path_names[path] : NULL;
}

EXOTIC_EXPORT int exotic_path_from_name(const char *name)
{
	/* "fault", the old name (now the method's), reads "npf" until the first release */
	if (name && !strcmp(name, "fault"))
		return EXOTIC_PATH_NPF;
	return exotic_name_index(path_names, ARRAY_SIZE(path_names), name);
}

EXOTIC_EXPORT const char *exotic_outcome_name(unsigned int outcome)
{
	return outcome <= EXOTIC_OUT_MAX ? outcome_names[outcome] : NULL;
}

EXOTIC_EXPORT int exotic_outcome_from_name(const char *name)
{
	return exotic_name_index(outcome_names, ARRAY_SIZE(outcome_names), name);
}

/* ------------------------------------------------------------ tables */

/* A storm row: the vCPU fault path on a block's head and tail pages. */
struct storm_row {
	uint32_t kind, method;
	int head, tail;		/* enum exotic_outcome: storm_outcome() says which */
	const char *reason;
	unsigned int line;
};

struct exotic_expect {
	char *text;		/* our copy, cut into fields in place */
	char *profile;
	char *describe;
	size_t n, cap;
	struct exotic_expect_entry *e;
	size_t nstorm;
	struct storm_row storm[EXOTIC_KIND_MAX * EXOTIC_MAP_MAX];
};

EXOTIC_EXPORT void exotic_expect_free(struct exotic_expect *t)
{
	if (!t)
		return;
	free(t->text);
	free(t->e);
	free(t);
}

static int split(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	for (char *p = line; *p; p++) {
		if (*p != '\t')
			continue;
		*p = '\0';
		if (n == max)
			return max + 1;
		f[n++] = p + 1;
	}
	return n;
}

static int add_entry(struct exotic_expect *t, const struct exotic_expect_entry *e)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		void *p = realloc(t->e, cap * sizeof(*t->e));

		if (!p)
			return -ENOMEM;
		t->e = p;
		t->cap = cap;
	}
	t->e[t->n++] = *e;
	return 0;
}

static bool same_key(const struct exotic_expect_entry *a,
		     const struct exotic_expect_entry *b)
{
	if (a->repro || b->repro)
		return a->repro && b->repro && !strcmp(a->repro, b->repro);
	return a->kind == b->kind && a->method == b->method &&
	       a->path == b->path && a->event == b->event;
}

#define BAD(...) do { exotic_err(ctx, __VA_ARGS__); ret = -EINVAL; goto out; } while (0)

/*
 * "npf, vmrun, ...": every path (events: every matrix event) a cell row
 * may name, for the message that refuses another.
 */
static const char *cell_names(char *buf, size_t size, bool events)
{
	unsigned int max = events ? EXOTIC_EV_MAX : EXOTIC_PATH_MAX;
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 1; i <= max && len < size; i++) {
		if (events && !(exotic_event_scope(i) & EXOTIC_EV_IN_MATRIX))
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
					events ? exotic_event_name(i) : path_names[i]);
	}
	return buf;
}

static bool good_reason(const char *reason)
{
	return strlen(reason) >= 10 && strchr(reason, '(');
}

/*
 * A storm row's outcome: mapped, efault, warn, refcount (KVM leaks a
 * reference), crash, or any (not judged); "leak" is refcount's name in
 * tables written before the storm took the matrix's words.
 */
static int storm_outcome(const char *name)
{
	int v = exotic_outcome_from_name(name && !strcmp(name, "leak") ? "refcount" : name);

	switch (v) {
	case EXOTIC_OUT_MAPPED: case EXOTIC_OUT_EFAULT: case EXOTIC_OUT_WARN:
	case EXOTIC_OUT_REFCOUNT: case EXOTIC_OUT_CRASH: case EXOTIC_OUT_ANY:
		return v;
	default:
		return -EINVAL;
	}
}

/* storm:KIND METHOD - - HEAD TAIL reason */
static int parse_storm_row(struct exotic_ctx *ctx, const char *name, unsigned int ln,
			   char **f, struct exotic_expect *t)
{
	struct storm_row r = { .line = ln };
	int v, ret = 0;

	if ((v = exotic_kind_from_name(f[0] + 6)) < 0)
		BAD("%s:%u: unknown kind '%s'\n", name, ln, f[0] + 6);
	r.kind = v;
	if ((v = exotic_method_from_name(f[1])) < 0)
		BAD("%s:%u: unknown method '%s'\n", name, ln, f[1]);
	r.method = v;
	if (strcmp(f[2], "-") || strcmp(f[3], "-"))
		BAD("%s:%u: storm rows have '-' in path and event\n", name, ln);
	r.head = storm_outcome(f[4]);
	r.tail = storm_outcome(f[5]);
	if (r.head < 0 || r.tail < 0)
		BAD("%s:%u: not a storm outcome '%s' (mapped, efault, warn, refcount, crash, any)\n",
		    name, ln, r.head < 0 ? f[4] : f[5]);
	if (!good_reason(f[6]))
		BAD("%s:%u: the reason must be a sentence naming the kernel function responsible, e.g. 'kvm_try_get_pfn(): ...'\n",
		    name, ln);
	r.reason = f[6];
	for (size_t i = 0; i < t->nstorm; i++)
		if (t->storm[i].kind == r.kind && t->storm[i].method == r.method)
			BAD("%s:%u: duplicate storm row (first on line %u)\n", name, ln,
			    t->storm[i].line);
	t->storm[t->nstorm++] = r;
out:
	return ret;
}

static int parse_line(struct exotic_ctx *ctx, const char *name, unsigned int ln,
		      char *line, struct exotic_expect *t)
{
	struct exotic_expect_entry e = { .line = ln };
	char *f[8], names[128];
	int n, v, ret = 0;

	if (line[0] == '@') {
		n = split(line, f, 2);
		if (n != 2 || !*f[1])
			BAD("%s:%u: '%s' needs one tab-separated value\n", name, ln, line);
		if (!strcmp(f[0], "@profile"))
			t->profile = f[1];
		else if (!strcmp(f[0], "@describe"))
			t->describe = f[1];
		else
			BAD("%s:%u: unknown directive '%s' (@profile, @describe)\n",
			    name, ln, f[0]);
		return 0;
	}
	n = split(line, f, 7);
	if (n != 7)
		BAD("%s:%u: %d tab-separated columns, expected 7: kind method path event before after reason\n",
		    name, ln, n > 7 ? 8 : n);
	if (!strncmp(f[0], "storm:", 6))
		return parse_storm_row(ctx, name, ln, f, t);
	if (!strncmp(f[0], "repro:", 6)) {
		e.repro = f[0] + 6;
		if (!*e.repro)
			BAD("%s:%u: empty reproducer name\n", name, ln);
		for (int i = 1; i < 4; i++)
			if (strcmp(f[i], "-"))
				BAD("%s:%u: reproducer rows have '-' in method, path and event, not '%s'\n",
				    name, ln, f[i]);
	} else {
		if ((v = exotic_kind_from_name(f[0])) < 0)
			BAD("%s:%u: unknown kind '%s'\n", name, ln, f[0]);
		e.kind = v;
		if ((v = exotic_method_from_name(f[1])) < 0)
			BAD("%s:%u: unknown method '%s'\n", name, ln, f[1]);
		e.method = v;
		if ((v = exotic_path_from_name(f[2])) < 0)
			BAD("%s:%u: unknown path '%s' (%s)\n", name, ln, f[2],
			    cell_names(names, sizeof(names), false));
		e.path = v;
		v = exotic_event_from_name(f[3]);
		if (v < 0 || !(exotic_event_scope((unsigned int)v) & EXOTIC_EV_IN_MATRIX))
			BAD("%s:%u: unknown event '%s' (%s)\n", name, ln, f[3],
			    cell_names(names, sizeof(names), true));
		e.event = v;
	}
	if ((v = exotic_outcome_from_name(f[4])) < 0)
		BAD("%s:%u: unknown outcome '%s'\n", name, ln, f[4]);
	e.before = v;
	if ((v = exotic_outcome_from_name(f[5])) < 0)
		BAD("%s:%u: unknown outcome '%s'\n", name, ln, f[5]);
	e.after = v;
	if (e.before == EXOTIC_OUT_NOT_RUN)
		BAD("%s:%u: the first access always runs: '-' is for 'after' only\n",
		    name, ln);
	if (e.before == EXOTIC_OUT_ANY || e.after == EXOTIC_OUT_ANY)
		BAD("%s:%u: 'any' is for storm rows: every cell is judged\n", name, ln);
	if (e.before == EXOTIC_OUT_CRASH && e.after != EXOTIC_OUT_NOT_RUN)
		BAD("%s:%u: after a 'crash' before the event nothing runs: 'after' must be '-'\n",
		    name, ln);
	if (!good_reason(f[6]))
		BAD("%s:%u: the reason must be a sentence naming the kernel function responsible, e.g. 'kvm_try_get_pfn(): ...'\n",
		    name, ln);
	e.reason = f[6];
	for (size_t i = 0; i < t->n; i++)
		if (same_key(&t->e[i], &e))
			BAD("%s:%u: duplicate entry (first on line %u)\n", name, ln,
			    t->e[i].line);
	ret = add_entry(t, &e);
out:
	return ret;
}

EXOTIC_EXPORT int exotic_expect_parse(struct exotic_ctx *ctx, const char *name,
				      const char *text, size_t len,
				      struct exotic_expect **table)
{
	struct exotic_expect *t;
	unsigned int ln = 0;
	char *p, *next;
	int ret = 0;

	if (!text || !table)
		return -EINVAL;
	*table = NULL;
	if (!name)
		name = "table";
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->text = malloc(len + 1);
	if (!t->text) {
		free(t);
		return -ENOMEM;
	}
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	if (strlen(t->text) != len)
		BAD("%s: contains a NUL byte\n", name);

	for (p = t->text; p && *p; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		ln++;
		if (*p && p[strlen(p) - 1] == '\r')
			p[strlen(p) - 1] = '\0';
		if (!*p)
			continue;
		if (*p == '#')
			continue;
		ret = parse_line(ctx, name, ln, p, t);
		if (ret)
			goto out;
	}
	if (!t->profile)
		BAD("%s: no '@profile<TAB>NAME' line\n", name);
	*table = t;
	return 0;
out:
	exotic_expect_free(t);
	return ret;
}

EXOTIC_EXPORT int exotic_expect_load(struct exotic_ctx *ctx, const char *path,
				     struct exotic_expect **table)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd, ret;

	if (!path || !table)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		exotic_err(ctx, "%s: %s\n", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || st.st_size > (16 << 20)) {
		exotic_err(ctx, "%s: not a plausible table\n", path);
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	ret = exotic_expect_parse(ctx, path, buf, got, table);
	free(buf);
	return ret;
}

/* expect_data.S: one entry per built-in table */
struct builtin_table {
	const char *name, *start, *end;
};

extern const struct builtin_table exotic_expect_index[], exotic_expect_index_end[];

#define N_BUILTIN ((size_t)(exotic_expect_index_end - exotic_expect_index))
#define MAX_BUILTIN 32

static const char *builtin_names[MAX_BUILTIN + 1];
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void list_builtin(void)
{
	for (size_t i = 0; i < N_BUILTIN && i < MAX_BUILTIN; i++)
		builtin_names[i] = exotic_expect_index[i].name;
}

EXOTIC_EXPORT const char *const *exotic_expect_profiles(void)
{
	pthread_once(&builtin_once, list_builtin);
	return builtin_names;
}

EXOTIC_EXPORT const char *exotic_expect_builtin_text(const char *profile,
						     size_t *len)
{
	for (size_t i = 0; profile && i < N_BUILTIN; i++) {
		const struct builtin_table *b = &exotic_expect_index[i];

		if (strcmp(b->name, profile))
			continue;
		if (len)
			*len = (size_t)(b->end - b->start);
		return b->start;
	}
	return NULL;
}

EXOTIC_EXPORT int exotic_expect_builtin(struct exotic_ctx *ctx,
					const char *profile,
					struct exotic_expect **table)
{
	const char *text;
	char name[64];
	size_t len;
	int ret;

	if (!table)
		return -EINVAL;
	*table = NULL;
	text = exotic_expect_builtin_text(profile, &len);
	if (!text) {
		exotic_err(ctx, "no built-in expectation table '%s' (exotic_expect_profiles() lists them)\n",
			   profile ? profile : "(null)");
		return -ENOENT;
	}
	snprintf(name, sizeof(name), "built-in %s.tsv", profile);
	ret = exotic_expect_parse(ctx, name, text, len, table);
	if (!ret && strcmp((*table)->profile, profile)) {
		exotic_err(ctx, "%s: says @profile %s\n", name, (*table)->profile);
		exotic_expect_free(*table);
		*table = NULL;
		return -EINVAL;
	}
	return ret;
}

/*
 * The built-in tables parsed once, for the library's own judges (the
 * storm): never freed, shared read-only.  NULL if there is no such table.
 */
const struct exotic_expect *expect_builtin_cached(const char *table)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct exotic_expect *parsed[MAX_BUILTIN];
	struct exotic_expect *t = NULL;

	for (size_t i = 0; table && i < N_BUILTIN && i < MAX_BUILTIN; i++) {
		if (strcmp(exotic_expect_index[i].name, table))
			continue;
		pthread_mutex_lock(&lock);
		if (!parsed[i])
			exotic_expect_builtin(NULL, table, &parsed[i]);
		t = parsed[i];
		pthread_mutex_unlock(&lock);
	}
	return t;
}

EXOTIC_EXPORT const char *exotic_expect_profile(const struct exotic_expect *t)
{
	return t ? t->profile : NULL;
}

EXOTIC_EXPORT const char *exotic_expect_describe(const struct exotic_expect *t)
{
	return t ? t->describe : NULL;
}

EXOTIC_EXPORT size_t exotic_expect_count(const struct exotic_expect *t)
{
	return t ? t->n : 0;
}

EXOTIC_EXPORT const struct exotic_expect_entry *
exotic_expect_at(const struct exotic_expect *t, size_t i)
{
	return t && i < t->n ? &t->e[i] : NULL;
}

EXOTIC_EXPORT const struct exotic_expect_entry *
exotic_expect_lookup(const struct exotic_expect *t, uint32_t kind,
		     uint32_t method, uint32_t path, uint32_t event)
{
	for (size_t i = 0; t && i < t->n; i++) {
		const struct exotic_expect_entry *e = &t->e[i];

		if (!e->repro && e->kind == kind && e->method == method &&
		    e->path == path && e->event == event)
			return e;
	}
	return NULL;
}

EXOTIC_EXPORT int exotic_expect_lookup_storm(const struct exotic_expect *t,
					     uint32_t kind, uint32_t method,
					     int *head, int *tail, const char **reason)
{
	for (size_t i = 0; t && i < t->nstorm; i++) {
		const struct storm_row *r = &t->storm[i];

		if (r->kind != kind || r->method != method)
			continue;
		if (head)
			*head = r->head;
		if (tail)
			*tail = r->tail;
		if (reason)
			*reason = r->reason;
		return 0;
	}
	return t ? -ENOENT : -EINVAL;
}

EXOTIC_EXPORT const struct exotic_expect_entry *
exotic_expect_lookup_repro(const struct exotic_expect *t, const char *name)
{
	for (size_t i = 0; t && name && i < t->n; i++)
		if (t->e[i].repro && !strcmp(t->e[i].repro, name))
			return &t->e[i];
	return NULL;
}

/* ------------------------------------------------------------ detection */

/* The detected profile's table (exotic/profile.h has the rules). */
static int copy_table(const struct exotic_profile *p, int ret, char *table,
		      size_t size)
{
	if (ret)
		return ret;
	if (strlen(p->table) >= size)
		return -ENAMETOOLONG;
	memcpy(table, p->table, strlen(p->table) + 1);
	return 0;
}

EXOTIC_EXPORT int exotic_expect_detect_from(const char *release, int unsafe, int mmu,
					    char *table, size_t size,
					    char *why, size_t why_size)
{
	const struct exotic_profile *p;

	if (!table || !size)
		return -EINVAL;
	return copy_table(p, exotic_profile_detect_from(release, unsafe, mmu, &p, why,
							why_size), table, size);
}

EXOTIC_EXPORT int exotic_expect_detect(struct exotic_ctx *ctx, char *table,
				       size_t size, char *why, size_t why_size)
{
	const struct exotic_profile *p;

	if (!table || !size)
		return -EINVAL;
	return copy_table(p, exotic_profile_detect(ctx, &p, why, why_size), table,
			  size);
}
