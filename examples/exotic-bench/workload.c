// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-bench: the workloads.  A row is measured in repetitions; each
 * repetition runs the anonymous baseline and the subject, in turns first,
 * so that drift (other load on the machine, a warming cache) and what the
 * first leaves behind hit both alike (and main.c runs every row's first
 * repetition before any row's second, so that a slow spell of the machine
 * falls on a few samples of every row, not on all of one row's):
 *
 *   A. a fresh instance (huge method: the host first writes a word of each
 *      2 MiB, on both sides, as the matrix's scenario does: on 6.1 a PMD
 *      the guest's own fault installs is one follow_pte() cannot read): the guest reads one word of each 4 KiB page
 *      (first touch, read), then the instance goes;
 *   B. a fresh instance: the guest writes one word of each page (first
 *      touch, write); everything is mapped now, so the guest reads and
 *      then writes a word of every 64 bytes, passes times (steady state);
 *      then cycles of host invalidate (MADV_DONTNEED for anonymous) +
 *      guest write of every page; then, exotic only, cycles of migrate +
 *      the same refault; then cycles of revoke + reallocate (the driver
 *      takes the region back, the VMM puts a fresh one behind the memslot;
 *      anonymous: munmap + mmap + memslot) + the same refault;
 *   S. storm (storm.c): an invalidate-only exotic_storm of its own VM for
 *      storm_ms over the row's kind x method, or over anonymous memory;
 *   C. setup: allocate + mmap + memslot of the setup length, timed; then
 *      it goes.  The baseline is timed twice: as a lazy mmap (what the
 *      anonymous side pays later, at first touch, is not in it) and
 *      populated (MADV_POPULATE_WRITE: a VMM that preallocates, as the
 *      driver does at EXOTIC_IOC_ALLOC).
 *
 * Times are host CLOCK_MONOTONIC around KVM_RUN (the guest's part) and
 * around the host event plus KVM_RUN (cycles), or around the setup calls.
 */
#include <errno.h>
#include <string.h>

#include "exotic/exotic.h"
#include "bench.h"

#define PAGE		4096UL
#define LINE		64UL
#define TWO_MIB		(2UL << 20)

static void add(struct side *s, double v)
{
	if (s->n < BENCH_MAX_REPS)
		s->v[s->n++] = v;
}

static void vcpu_counters(struct bench *b, uint64_t *v)
{
	if (exotic_vcpu_stats(b->vcpu, kstat_names, v, KS_PAGES_4K) < 0)
		for (int i = 0; i < KS_PAGES_4K; i++)
			v[i] = EXOTIC_STAT_MISSING;
}

static void vm_counters(struct bench *b, uint64_t *v)
{
	if (exotic_vm_stats(b->vm, kstat_names + KS_PAGES_4K, v + KS_PAGES_4K,
			    KS_MAX - KS_PAGES_4K) < 0)
		for (int i = KS_PAGES_4K; i < KS_MAX; i++)
			v[i] = EXOTIC_STAT_MISSING;
}

static uint64_t delta(uint64_t after, uint64_t before)
{
	if (after == EXOTIC_STAT_MISSING || before == EXOTIC_STAT_MISSING)
		return EXOTIC_STAT_MISSING;
	return after - before;
}

static uint64_t minus(uint64_t v, uint64_t sys)
{
	if (v == EXOTIC_STAT_MISSING)
		return v;
	return v > sys ? v - sys : 0;
}

/* KVM's counters around one guest run: vCPU deltas, VM mapping gauges
 * relative to before the instance's memslot existed, less the system
 * memslot's share */
static void counters_since(struct bench *b, const uint64_t *vcpu0,
			   const uint64_t *vm0, uint64_t *out)
{
	uint64_t now[KS_MAX];

	vcpu_counters(b, now);
	vm_counters(b, now);
	for (int i = 0; i < KS_PAGES_4K; i++)
		out[i] = delta(now[i], vcpu0[i]);
	for (int i = KS_PAGES_4K; i < KS_MAX; i++)
		out[i] = delta(now[i], vm0[i]);
	out[KS_PAGES_4K] = minus(out[KS_PAGES_4K], b->sys_4k);
	out[KS_PAGES_2M] = minus(out[KS_PAGES_2M], b->sys_2m);
}

/*
 * Deleting a memslot makes KVM zap its mappings (all of them on 6.1), so
 * after each instance's memslot is added the guest programs fault the
 * system memslot's pages in again (code, stack, vCPU block): about seven
 * 4 KiB pages on 6.1, one 2 MiB page on 7.3.  A run over one anonymous
 * 4 KiB page, after a memslot deletion as in the workloads, counts them.
 */
int bench_calibrate(struct bench *b, const struct plan *p)
{
	for (int pass = 0; pass < 2; pass++) {
		struct instance in;
		uint64_t vm0[KS_MAX], vc0[KS_MAX], c[KS_MAX];
		double secs = 0;
		int ret;

		vm_counters(b, vm0);
		ret = inst_new(b, &in, 0, 0, 0, PAGE, p->thp, false);
		if (ret)
			return ret;
		vcpu_counters(b, vc0);
		ret = guest_run(b, EXOTIC_GUEST_CHECKSUM, PAGE, PAGE, 1, &secs);
		b->sys_4k = b->sys_2m = 0;
		if (!ret) {
			counters_since(b, vc0, vm0, c);
			b->sys_4k = c[KS_PAGES_4K] == EXOTIC_STAT_MISSING ? 0 : minus(c[KS_PAGES_4K], 1);
			b->sys_2m = c[KS_PAGES_2M] == EXOTIC_STAT_MISSING ? 0 : c[KS_PAGES_2M];
		}
		inst_free(b, &in);
		if (ret)
			return ret;
	}
	return 0;
}

static bool wanted(const struct plan *p, enum workload w)
{
	return p->workloads & (1U << w);
}

static struct side *side_of(struct row *row, enum figure f, bool subject)
{
	return subject ? &row->fig[f].subject : &row->fig[f].baseline;
}

/* A fresh instance of the row's subject or baseline; vm0: the VM's gauges
 * before its memslot existed */
static int inst_start(struct bench *b, const struct plan *p, const struct row *row,
		      bool subject, struct instance *in, uint64_t *vm0)
{
	int ret;

	vm_counters(b, vm0);
	ret = inst_new(b, in, subject ? row->kind : 0, row->method, row->order, p->length, p->thp, false);
	if (ret)
		return ret;
	if (row->host_prefault)
		inst_prefault(in, TWO_MIB);
	return 0;
}

/* One timed guest run over the instance: work / seconds and KVM's counters
 * over the run are the side's figure f */
static int measure(struct bench *b, const struct plan *p, struct row *row, enum figure f,
		   bool subject, const uint64_t *vm0, int program, size_t stride,
		   unsigned int passes, double work)
{
	uint64_t vc0[KS_MAX];
	double secs = 0;
	struct side *s;
	int ret;

	vcpu_counters(b, vc0);
	ret = guest_run(b, program, p->length, stride, passes, &secs);
	if (ret || row->fig[f].skipped)	/* skipped: a run only to map the memory */
		return ret;
	s = side_of(row, f, subject);
	counters_since(b, vc0, vm0, s->kvm);
	add(s, work / secs);
	return 0;
}

/* A: first touch, read */
static int rep_touch_read(struct bench *b, const struct plan *p, struct row *row,
			  bool subject)
{
	struct instance in;
	uint64_t vm0[KS_MAX];
	int ret = inst_start(b, p, row, subject, &in, vm0);

	if (ret)
		return ret;
	ret = measure(b, p, row, FIG_FT_READ, subject, vm0, EXOTIC_GUEST_CHECKSUM, PAGE, 1,
		      (double)(p->length / PAGE));
	inst_free(b, &in);
	return ret;
}

/* B: first touch write, steady state, invalidate and migrate cycles */
static int rep_mapped(struct bench *b, const struct plan *p, struct row *row,
		      bool subject)
{
	struct instance in;
	uint64_t vm0[KS_MAX], vc0[KS_MAX];
	double secs, gib = (double)p->length * p->passes / (1 << 30);
	struct side *s;
	int ret = inst_start(b, p, row, subject, &in, vm0);

	if (ret)
		return ret;
	ret = measure(b, p, row, FIG_FT_WRITE, subject, vm0, EXOTIC_GUEST_WRITE, PAGE, 1,
		      (double)(p->length / PAGE));
	if (!ret && !row->fig[FIG_STEADY_READ].skipped)
		ret = measure(b, p, row, FIG_STEADY_READ, subject, vm0, EXOTIC_GUEST_CHECKSUM,
			      LINE, p->passes, gib);
	if (!ret && !row->fig[FIG_STEADY_WRITE].skipped)
		ret = measure(b, p, row, FIG_STEADY_WRITE, subject, vm0, EXOTIC_GUEST_WRITE,
			      LINE, p->passes, gib);
	if (ret)
		goto out;
	if (subject && !row->fig[FIG_STEADY_WRITE].skipped) {
		s = side_of(row, FIG_STEADY_WRITE, subject);
		row->pages_4k = s->kvm[KS_PAGES_4K];
		row->pages_2m = s->kvm[KS_PAGES_2M];
		row->have_mapping = s->kvm[KS_PAGES_2M] != EXOTIC_STAT_MISSING;
	}

	for (int f = FIG_INVALIDATE; f <= FIG_REPLACE; f++) {
		if (row->fig[f].skipped || (f == FIG_MIGRATE && !subject))
			continue;
		secs = 0;
		vcpu_counters(b, vc0);
		for (unsigned int c = 0; c < p->cycles; c++) {
			double t0 = now_s(), guest = 0, waited = 0;

			if (f == FIG_INVALIDATE)
				ret = inst_invalidate(b, &in);
			else if (f == FIG_MIGRATE)
				ret = inst_migrate(b, &in, &waited);
			else
				ret = inst_replace(b, &in, p->thp, &waited);
			/*
			 * Fresh huge memory gets its host touch as in A, timed:
			 * it is where anonymous memory allocates its pages, as
			 * the driver did in inst_replace().
			 */
			if (!ret && f == FIG_REPLACE && row->host_prefault)
				inst_prefault(&in, TWO_MIB);
			secs += now_s() - t0 - waited;
			if (ret)
				goto out;
			ret = guest_run(b, EXOTIC_GUEST_WRITE, p->length, PAGE, 1, &guest);
			secs += guest;
			if (ret)
				goto out;
		}
		s = side_of(row, (enum figure)f, subject);
		counters_since(b, vc0, vm0, s->kvm);
		add(s, p->cycles / secs);
	}
out:
	inst_free(b, &in);
	return ret;
}

/* C: setup */
static int rep_setup(struct bench *b, const struct plan *p, struct row *row, bool subject)
{
	struct instance in;
	double t0 = now_s(), t1;
	int ret;

	ret = inst_new(b, &in, subject ? row->kind : 0, row->method, row->order,
		       row->setup_length, p->thp, false);
	t1 = now_s();
	if (ret)
		return ret;
	add(side_of(row, FIG_SETUP, subject), (t1 - t0) * 1e3);
	inst_free(b, &in);
	if (subject)
		return 0;
	/* the baseline's eager twin: a VMM that preallocates its RAM */
	t0 = now_s();
	ret = inst_new(b, &in, 0, row->method, row->order, row->setup_length, p->thp, true);
	t1 = now_s();
	if (ret)
		return ret;
	add(&row->fig[FIG_SETUP].populated, (t1 - t0) * 1e3);
	inst_free(b, &in);
	return 0;
}

/*
 * The largest setup length up to the one asked for that the driver gives
 * this row (halving on -ENOSPC/-ENOMEM: its max_file_bytes, the carve-out).
 */
static int pick_setup_length(struct bench *b, const struct plan *p, struct row *row)
{
	size_t len = p->setup_length;
	size_t floor = row->method == EXOTIC_MAP_HUGE ? TWO_MIB : PAGE << row->order;

	for (;;) {
		struct instance in;
		int ret = inst_new(b, &in, row->kind, row->method, row->order, len, p->thp, false);

		if (!ret) {
			inst_free(b, &in);
			row->setup_length = len;
			return 0;
		}
		if ((ret != -ENOSPC && ret != -ENOMEM && ret != -EFBIG) || len / 2 < floor ||
		    len <= p->length)
			return ret;
		len /= 2;
	}
}

static const char *table_says(const struct plan *p, struct row *row, uint32_t ev,
			      bool after, char *buf, size_t size)
{
	const struct exotic_expect_entry *x =
		exotic_expect_lookup(p->table, row->kind, row->method, EXOTIC_PATH_NPF, ev);
	uint32_t out;

	if (!x) {
		snprintf(buf, size, "the table (%s) has no npf %s row",
			 exotic_expect_profile(p->table), exotic_event_name(ev));
		return buf;
	}
	out = after ? x->after : x->before;
	if (out == EXOTIC_OUT_MAPPED)
		return NULL;
	if (after)
		snprintf(buf, size, "%s: the access after %s is %s: %s",
			 exotic_expect_profile(p->table), exotic_event_name(ev),
			 exotic_outcome_name(out), x->reason);
	else
		snprintf(buf, size, "%s: the first access is %s: %s",
			 exotic_expect_profile(p->table), exotic_outcome_name(out), x->reason);
	return buf;
}

/* S: the storm; one the storm cannot set up for this kind x method (its
 * own rules leave it out: -ENODATA) skips the storm figures instead */
static int storm_or_skip(struct bench *b, const struct plan *p, struct row *row, bool subject)
{
	int ret = rep_storm(b, p, row, subject);

	if (ret != -ENODATA)
		return ret;
	for (int f = FIG_STORM_EVENTS; f <= FIG_STORM_ACCESSES; f++) {
		snprintf(row->fig[f].why, sizeof(row->fig[f].why), "%s", b->err);
		row->fig[f].skipped = row->fig[f].why;
	}
	return 0;
}

int bench_row_prepare(struct bench *b, const struct plan *p, struct row *row)
{
	const char *why;
	int ret;

	row->status = "ok";
	for (int f = 0; f < FIG_MAX; f++)
		for (int i = 0; i < KS_MAX; i++)
			row->fig[f].subject.kvm[i] = row->fig[f].baseline.kvm[i] =
				row->fig[f].populated.kvm[i] = EXOTIC_STAT_MISSING;
	row->length = p->length;
	row->order = row->method == EXOTIC_MAP_HUGE ? 9 :
		     (row->kind == EXOTIC_KIND_COMPOUND || row->kind == EXOTIC_KIND_NONCOMPOUND) ? 1 : 0;
	row->baseline = anon_describe(row->method, p->thp);
	row->host_prefault = row->method == EXOTIC_MAP_HUGE;
	why = table_says(p, row, EXOTIC_EV_NONE, false, row->why, sizeof(row->why));
	if (why) {
		row->status = "skip";
		return 0;
	}
	why = table_says(p, row, EXOTIC_EV_INVALIDATE, true, row->fig[FIG_INVALIDATE].why,
			 sizeof(row->fig[FIG_INVALIDATE].why));
	row->fig[FIG_INVALIDATE].skipped = why;
	why = table_says(p, row, EXOTIC_EV_MIGRATE, true, row->fig[FIG_MIGRATE].why,
			 sizeof(row->fig[FIG_MIGRATE].why));
	row->fig[FIG_MIGRATE].skipped = why;
	/* a storm of invalidations needs the access after one to map */
	for (int f = FIG_STORM_EVENTS; f <= FIG_STORM_ACCESSES; f++) {
		snprintf(row->fig[f].why, sizeof(row->fig[f].why), "%s",
			 row->fig[FIG_INVALIDATE].why);
		row->fig[f].skipped = row->fig[FIG_INVALIDATE].skipped ? row->fig[f].why : NULL;
	}

	/* the figures of the workloads not asked for */
	for (int f = 0; f < FIG_MAX; f++) {
		if (wanted(p, figures[f].workload) || row->fig[f].skipped)
			continue;
		snprintf(row->fig[f].why, sizeof(row->fig[f].why),
			 "not run: the %s workload was not asked for (--workloads)",
			 workload_names[figures[f].workload]);
		row->fig[f].skipped = row->fig[f].why;
	}

	ret = pick_setup_length(b, p, row);
	if (ret == -EOPNOTSUPP || ret == -ENODEV) {
		row->status = "skip";
		snprintf(row->why, sizeof(row->why), "the driver: %s", b->err);
		return 0;
	}
	if (ret) {
		row->status = "error";
		snprintf(row->why, sizeof(row->why), "%s", b->err);
	}
	return ret;
}

int bench_rep(struct bench *b, const struct plan *p, struct row *row, unsigned int r)
{
	int ret = 0;

	/* even repetitions run the baseline first, odd ones the subject:
	 * whatever the first of the pair leaves behind (freed memory, a warm
	 * cache, KVM's zapped roots) falls on both sides */
	for (int i = 0; !ret && i <= 1; i++) {
		bool subject = (r % 2) ^ (unsigned int)i;

		if (wanted(p, WL_TOUCH))
			ret = rep_touch_read(b, p, row, subject);
		if (!ret && (wanted(p, WL_TOUCH) || wanted(p, WL_STEADY) || wanted(p, WL_EVENTS)))
			ret = rep_mapped(b, p, row, subject);
		if (!ret && !row->fig[FIG_STORM_EVENTS].skipped)
			ret = storm_or_skip(b, p, row, subject);
		if (!ret && wanted(p, WL_SETUP))
			ret = rep_setup(b, p, row, subject);
	}
	if (ret) {
		row->status = "error";
		snprintf(row->why, sizeof(row->why), "%s", b->err);
	} else if (p->verbose) {
		fprintf(stderr, "exotic-bench: %s %s: repetition %u done\n",
			exotic_kind_name(row->kind), exotic_method_name(row->method), r + 1);
	}
	return ret;
}
