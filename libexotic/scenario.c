// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The scenario runner behind exotic-matrix and exotic-repro: one region of
 * one kind and mapping method behind a memslot, accessed through one KVM
 * path before and after one owner event, judged page by page, with the
 * kernel log and the driver's refcount checks as further oracles.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "pageref.h"
#include "scenario_internal.h"
#include "exotic/expect.h"

#define PG		4096ULL
#define HUGE_ORDER	9
#define MAX_PROBES	3

struct page_scan {
	uint64_t excess;		/* references more than the rule allows */
	uint64_t broken;		/* retired pages whose poison is gone */
};

struct run {
	const struct exotic_scenario *s;
	struct exotic_scenario_result *res;
	struct exotic_ctx *ctx;
	struct exotic_region *region;
	struct exotic_vm *vm;
	struct exotic_vcpu *vcpu;
	uint8_t *addr;			/* the region's host mapping */
	uint64_t npages;
	uint64_t probe[MAX_PROBES];	/* page indexes, tails first */
	int nprobe;
	uint64_t expect[MAX_PROBES];	/* the word each probe page must hold */
	bool filled;			/* the host wrote stamps */
	bool writable;			/* the host mapping is writable */
	bool revoked;
	uint64_t wseed;			/* seed of the guest's writes */
	int kmsg_fd;
	struct page_scan seen;		/* scan_pages() at the last check */
	size_t dlen;
};

static void detail(struct run *r, const char *fmt, ...)
{
	size_t size = sizeof(r->res->detail);
	va_list ap;
	int n;

	if (r->dlen >= size - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->res->detail + r->dlen, size - r->dlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->dlen = r->dlen + (size_t)n < size ? r->dlen + (size_t)n : size - 1;
}

uint64_t scenario_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

EXOTIC_EXPORT void exotic_scenario_init(struct exotic_scenario *s,
					uint32_t kind, uint32_t method,
					uint32_t path, uint32_t event,
					uint64_t seed)
{
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->method = method;
	s->path = path;
	s->event = event;
	s->seed = seed;
	s->default_order = 1;
}

/*
 * The matrix's choices: 2 MiB blocks for huge mappings; otherwise the
 * smallest block with a tail page where the kind has block tails
 * (compound, noncompound: order 1), order 0 for the rest (a reserved block
 * of order > 0 has refcount-0 tails that make stock 6.1 WARN: that is
 * exotic-repro's business, not the matrix's); two pages in all.
 */
static void pick_geometry(const struct exotic_scenario *s, uint32_t *order,
			  uint64_t *length)
{
	if (!s->default_order) {
		*order = s->order;
		*length = s->length;
		return;
	}
	if (s->method == EXOTIC_MAP_HUGE) {
		*order = HUGE_ORDER;
		*length = EXOTIC_HUGE_SIZE;
	} else {
		*order = (s->kind == EXOTIC_KIND_COMPOUND ||
			  s->kind == EXOTIC_KIND_NONCOMPOUND) ? 1 : 0;
		*length = 2 * PG;
	}
	if (s->length)
		*length = s->length;
}

/* ------------------------------------------------------------ oracles */

int scenario_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

int scenario_kmsg_check(int fd, struct exotic_scenario_result *res)
{
	char rec[8192];
	int found = EXOTIC_KMSG_CLEAN;

	if (fd < 0)
		return EXOTIC_KMSG_CLEAN;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		const char *text;
		char *nl;
		int cls;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		nl = strchr(rec, '\n');
		if (nl)
			*nl = '\0';
		text = exotic_kmsg_text(rec);
		cls = exotic_kmsg_classify(text ? text : rec);
		if (cls != EXOTIC_KMSG_CLEAN && found == EXOTIC_KMSG_CLEAN) {
			found = cls;
			if (!res->kmsg[0])
				snprintf(res->kmsg, sizeof(res->kmsg), "%.*s",
					 (int)sizeof(res->kmsg) - 1, text ? text : rec);
		}
	}
	return found;
}

/*
 * What the backing pages show now (pageref.h, the kit's rule, not the
 * driver's expected_refcount): how far their refcounts are from what they
 * must be, summed over the live pages and the retired ones still in
 * quarantine, and how many retired pages no longer hold their poison.
 * A leaked or stolen reference, or a write through a stale translation,
 * shows as an increase between two scans, so each access is charged only
 * with what happened during it.
 */
static struct page_scan scan_pages(struct run *r)
{
	struct page_scan sum = { 0 };
	struct exotic_page pages[64];
	int n;

	if (!r->region)
		return r->seen;
	for (uint64_t i = 0; !r->revoked && i < r->npages; i += 64) {
		n = exotic_region_query(r->region, i * PG, pages, 64);
		if (n <= 0)
			break;
		sum.excess += pageref_excess(r->s->kind, r->s->method, r->res->order,
					     pages, (size_t)n);
	}
	for (uint64_t i = 0;; i += (uint64_t)n) {
		n = exotic_region_query_retired(r->region, i, pages, 64);
		if (n <= 0)
			break;
		sum.excess += pageref_excess(r->s->kind, r->s->method, r->res->order,
					     pages, (size_t)n);
		for (int j = 0; j < n; j++)
			sum.broken += !(pages[j].flags & EXOTIC_PAGE_POISON_OK);
	}
	return sum;
}

/* Let the kernel log, the retired pages' poison and the refcounts
 * override what the access saw. */
static uint32_t judge(struct run *r, uint32_t token)
{
	int cls = scenario_kmsg_check(r->kmsg_fd, r->res);
	struct page_scan now = scan_pages(r);
	uint64_t grew = now.excess > r->seen.excess ? now.excess - r->seen.excess : 0;
	uint64_t broke = now.broken > r->seen.broken ? now.broken - r->seen.broken : 0;

	r->seen = now;
	if (grew) {
		r->res->refcount_anomalies += grew;
		detail(r, " [refcount: +%llu]", (unsigned long long)grew);
	}
	if (broke)
		detail(r, " [poison overwritten in %llu retired pages]",
		       (unsigned long long)broke);
	if (cls == EXOTIC_KMSG_WARNING)
		return EXOTIC_OUT_WARN;
	if (cls != EXOTIC_KMSG_CLEAN)
		return EXOTIC_OUT_KMSG;
	if (broke)
		return EXOTIC_OUT_STALE_WRITE;
	if (grew)
		return EXOTIC_OUT_REFCOUNT;
	return token;
}

/* ------------------------------------------------------------ accesses */

static uint64_t probe_gpa(const struct run *r, int i)
{
	return EXOTIC_SCN_SLOT_GPA + r->probe[i] * PG;
}

static uint32_t run_err(struct run *r, int ret)
{
	if (ret == -EFAULT)
		return EXOTIC_OUT_EFAULT;
	detail(r, "(KVM_RUN: %s)", strerror(-ret));
	return EXOTIC_OUT_KVM_ERROR;
}

static uint32_t other_exit(struct run *r, const struct exotic_exit *ex)
{
	char buf[96];

	if (ex->reason == KVM_EXIT_MMIO)
		return EXOTIC_OUT_MMIO;
	detail(r, "(%s)", exotic_exit_describe(ex, buf, sizeof(buf)));
	return EXOTIC_OUT_KVM_ERROR;
}

/* Run a guest program to its done ucall: 0, or the outcome it came to instead. */
static uint32_t run_to_done(struct run *r, enum exotic_guest_program prog,
			    const struct exotic_guest_params *p, struct exotic_exit *ex)
{
	int ret;

	ret = exotic_guest_load(r->vcpu, prog, p);
	if (ret)
		return run_err(r, ret);
	ret = exotic_vcpu_run(r->vcpu, ex);
	if (ret)
		return run_err(r, ret);
	return ex->ucall == EXOTIC_UCALL_DONE ? 0 : other_exit(r, ex);
}

static uint32_t fault_read(struct run *r, int i)
{
	struct exotic_guest_params p = {
		.gpa = probe_gpa(r, i), .len = 8, .stride = 8, .seed = r->s->seed,
	};
	enum exotic_guest_program prog = r->filled ? EXOTIC_GUEST_WALK :
						     EXOTIC_GUEST_CHECKSUM;
	uint32_t token = EXOTIC_OUT_KVM_ERROR;
	struct exotic_exit ex;
	int ret;

	ret = exotic_guest_load(r->vcpu, prog, &p);
	if (ret)
		return run_err(r, ret);
	for (;;) {
		ret = exotic_vcpu_run(r->vcpu, &ex);
		if (ret)
			return run_err(r, ret);
		if (ex.ucall == EXOTIC_UCALL_POISON) {
			detail(r, "(poison of epoch %llu, done_epoch %llu)",
			       (unsigned long long)ex.args[1],
			       (unsigned long long)ex.args[2]);
			token = EXOTIC_OUT_DETECT;
			continue;
		}
		break;
	}
	if (ex.ucall == EXOTIC_UCALL_DONE) {
		if (token == EXOTIC_OUT_DETECT)
			return token;
		if (prog == EXOTIC_GUEST_CHECKSUM)
			return ex.args[0] == exotic_guest_checksum(&r->expect[i], 8, 8) ?
			       EXOTIC_OUT_MAPPED : EXOTIC_OUT_MISMATCH;
		if (ex.args[0] == 1)
			return EXOTIC_OUT_MAPPED;
		detail(r, "(poison of an unpublished epoch)");
		return EXOTIC_OUT_MISMATCH;
	}
	if (ex.ucall == EXOTIC_UCALL_ASSERT) {
		detail(r, "(read 0x%llx)", (unsigned long long)ex.args[2]);
		return EXOTIC_OUT_MISMATCH;
	}
	return other_exit(r, &ex);
}

static uint32_t fault_write(struct run *r, int i)
{
	struct exotic_guest_params p = {
		.gpa = probe_gpa(r, i), .len = 8, .stride = 8, .seed = r->wseed,
	};
	uint64_t want = exotic_guest_stamp(r->wseed, p.gpa), now;
	struct exotic_exit ex;
	uint32_t out;

	out = run_to_done(r, EXOTIC_GUEST_WRITE, &p, &ex);
	if (out)
		return out;
	if (r->revoked) {
		detail(r, "(the guest wrote to revoked memory)");
		return EXOTIC_OUT_MISMATCH;
	}
	memcpy(&now, r->addr + r->probe[i] * PG, 8);
	if (now == want && r->writable) {
		r->expect[i] = want;
		return EXOTIC_OUT_MAPPED;
	}
	detail(r, now == want ? "(the guest wrote through a read-only mapping)" :
				"(the guest's write did not land)");
	return EXOTIC_OUT_MISMATCH;
}

/* Run the VMRUN program: EXOTIC_OUT_MAPPED if L2 was entered, else why not. */
static uint32_t run_vmrun(struct run *r, const struct exotic_guest_params *p,
			  struct exotic_exit *ex)
{
	uint32_t out;

	out = run_to_done(r, EXOTIC_GUEST_VMRUN, p, ex);
	if (out)
		return out;
	switch (ex->args[0]) {
	case EXOTIC_PROBE_ENTERED:
		return EXOTIC_OUT_MAPPED;
	case EXOTIC_PROBE_GP:
		return EXOTIC_OUT_GP;
	case EXOTIC_PROBE_NOT_ENTERED:
		return EXOTIC_OUT_NOT_ENTERED;
	default:
		detail(r, "(vmrun probe: %s)", exotic_probe_result_name(ex->args[0]) ?
		       exotic_probe_result_name(ex->args[0]) : "?");
		return EXOTIC_OUT_KVM_ERROR;
	}
}

static uint32_t vmrun_probe(struct run *r, int i)
{
	struct exotic_guest_params p = { .vmcb_gpa = probe_gpa(r, i) };
	struct exotic_exit ex;

	/* the host writes the VMCB through its mapping unless it cannot */
	if (r->revoked || !r->writable)
		p.flags |= EXOTIC_PROBE_NO_INIT;
	return run_vmrun(r, &p, &ex);
}

static uint32_t copy_probe(struct run *r, int i)
{
	struct exotic_exit ex;
	uint64_t word = 0, epoch;
	int ret;

	ret = exotic_guest_copy_probe(r->vcpu, probe_gpa(r, i), 8, &word, &ex);
	if (ret < 0)
		return run_err(r, ret);
	if (ex.ucall != EXOTIC_UCALL_DONE || ret != 8)
		return other_exit(r, &ex);
	if (r->revoked || word != r->expect[i]) {
		uint64_t pair[2] = { word, 0 };

		/* the probe read 8 bytes: the magic of a poison pair */
		if (word == EXOTIC_POISON_MAGIC) {
			ret = exotic_guest_copy_probe(r->vcpu, probe_gpa(r, i), 16,
						      pair, &ex);
			if (ret == 16 && exotic_is_poison(pair, &epoch)) {
				detail(r, "(poison of epoch %llu)",
				       (unsigned long long)epoch);
				if (epoch <= exotic_vm_done_epoch(r->vm))
					return EXOTIC_OUT_DETECT;
			}
		}
		detail(r, "(read 0x%llx)", (unsigned long long)word);
		return EXOTIC_OUT_MISMATCH;
	}
	return EXOTIC_OUT_MAPPED;
}

/*
 * nested-tdp: the vmrun probe's L2 runs under nested paging (L1's identity
 * map as its nested page table) and reads the probe page's word, which
 * KVM resolves through its nested MMU (the shadow of L1's nested page
 * table: FNAME(page_fault) -> kvm_faultin_pfn(), with its prefetch).
 */
static uint32_t nested_probe(struct run *r, int i)
{
	struct exotic_guest_params p = {
		.gpa = probe_gpa(r, i), .flags = EXOTIC_PROBE_NESTED_TDP,
	};
	uint64_t pair[2], epoch;
	struct exotic_exit ex;
	uint32_t out;

	out = run_vmrun(r, &p, &ex);
	if (out != EXOTIC_OUT_MAPPED)
		return out;
	if (!r->revoked && ex.args[2] == r->expect[i])
		return EXOTIC_OUT_MAPPED;
	pair[0] = ex.args[2];
	pair[1] = ex.args[3];
	if (exotic_is_poison(pair, &epoch)) {
		detail(r, "(poison of epoch %llu)", (unsigned long long)epoch);
		/* poison of an event that is over: a stale translation */
		if (epoch <= exotic_vm_done_epoch(r->vm))
			return EXOTIC_OUT_DETECT;
	}
	detail(r, "(L2 read 0x%llx)", (unsigned long long)ex.args[2]);
	return EXOTIC_OUT_MISMATCH;
}

/*
 * The paravirtual records a guest points KVM at with an MSR (linux/kvm_para.h;
 * the kvmclock layout is struct pvclock_vcpu_time_info): KVM bumps the
 * 32-bit version to an odd value, writes the record and makes the version
 * even again.  The MSR's value is the record's gpa | KVM_MSR_ENABLED.
 */
#define MSR_SYSTEM_TIME_NEW	0x4b564d01
#define MSR_STEAL_TIME		0x4b564d03
#define CLOCK_VERSION		0	/* pvclock_vcpu_time_info.version */
#define CLOCK_MUL		24	/* .tsc_to_system_mul: never 0 once written */
#define STEAL_VERSION		8	/* kvm_steal_time.version */

static uint32_t version_at(const struct run *r, int i, size_t off)
{
	uint32_t v;

	memcpy(&v, r->addr + r->probe[i] * PG + off, sizeof(v));
	return v;
}

/*
 * pvclock, steal-time: the guest points the MSR at the probe page (and
 * leaves it there: the next access, after the event, points it there
 * again, so KVM must have let go of what it had).  KVM writes the record
 * before the guest's DONE reaches us.  The host reads the version through
 * its own mapping; after a revoke it cannot, and only the retired pages'
 * poison (judge()) says whether KVM wrote somewhere it must not.
 */
static uint32_t record_probe(struct run *r, int i)
{
	bool clock = r->s->path == EXOTIC_PATH_PVCLOCK;
	size_t off = clock ? CLOCK_VERSION : STEAL_VERSION;
	struct exotic_guest_params p = {
		.msr = clock ? MSR_SYSTEM_TIME_NEW : MSR_STEAL_TIME,
		.msr_value = probe_gpa(r, i) | 1,
	};
	uint32_t before = 0, now, mul;
	struct exotic_exit ex;
	uint32_t out;

	if (!r->revoked)
		before = version_at(r, i, off);
	out = run_to_done(r, EXOTIC_GUEST_MSR, &p, &ex);
	if (out)
		return out;
	if (r->revoked) {
		detail(r, "(revoked: nothing to read)");
		return EXOTIC_OUT_NOT_WRITTEN;
	}
	now = version_at(r, i, off);
	if (now == before)
		return EXOTIC_OUT_NOT_WRITTEN;
	memcpy(&mul, r->addr + r->probe[i] * PG + CLOCK_MUL, sizeof(mul));
	if ((now & 1) || (clock && !mul)) {
		detail(r, "(version %u -> %u%s)", before, now,
		       clock && !mul ? ", no clock multiplier" : "");
		return EXOTIC_OUT_MISMATCH;
	}
	return EXOTIC_OUT_MAPPED;
}

/* One access of every probe page; the first page that did not map
 * decides, and every page is listed in the detail. */
static uint32_t access_all(struct run *r, const char *phase)
{
	uint32_t worst = EXOTIC_OUT_MAPPED;

	detail(r, "%s%s:", r->dlen ? "; " : "", phase);
	for (int i = 0; i < r->nprobe; i++) {
		uint32_t t;

		detail(r, " p%llu ", (unsigned long long)r->probe[i]);
		switch (r->s->path) {
		case EXOTIC_PATH_NPF:
			t = (r->s->flags & EXOTIC_SCN_GUEST_WRITE) ?
			    fault_write(r, i) : fault_read(r, i);
			break;
		case EXOTIC_PATH_VMRUN:
			t = vmrun_probe(r, i);
			break;
		case EXOTIC_PATH_COPY:
			t = copy_probe(r, i);
			break;
		case EXOTIC_PATH_NESTED_TDP:
			t = nested_probe(r, i);
			break;
		default:
			t = record_probe(r, i);
			break;
		}
		detail(r, "%s", exotic_outcome_name(t));
		if (worst == EXOTIC_OUT_MAPPED && t != EXOTIC_OUT_MAPPED)
			worst = t;
	}
	return worst;
}

/* Findings after the accesses go to the last access that ran. */
static void late_judge(struct run *r, const char *when)
{
	uint32_t *last = r->res->after ? &r->res->after : &r->res->before;
	uint32_t t = judge(r, *last);

	if (t != *last) {
		detail(r, " (%s)", when);
		*last = t;
	}
}

static int apply_event(struct run *r)
{
	uint64_t epoch = 0;
	int ret;

	switch (r->s->event) {
	case EXOTIC_EV_NONE:
		return 0;
	case EXOTIC_EV_INVALIDATE:
		ret = exotic_region_invalidate(r->region, 0, 0, &epoch);
		break;
	case EXOTIC_EV_MIGRATE:
		ret = exotic_region_migrate(r->region, 0, 0, &epoch);
		break;
	default:
		ret = exotic_region_revoke(r->region, &epoch);
		if (!ret)
			r->revoked = true;
		break;
	}
	if (ret) {
		detail(r, "; %s: %s", exotic_event_name(r->s->event), strerror(-ret));
		return ret;
	}
	return exotic_vm_publish_epoch(r->vm, epoch);
}

/*
 * EXOTIC_SCN_LOOKUP_RACE: nothing mapped (the host's fill faulted the
 * PTEs in), and the driver's next fault zaps the PTE it inserts.
 */
static int lookup_race_arm(struct run *r)
{
	int ret = exotic_region_invalidate(r->region, 0, 0, NULL);

	if (!ret)
		ret = exotic_module_param_write(r->ctx, "exotic", "race_zap_faults", "1");
	if (ret)
		detail(r, "cannot stage the lookup race: %s", exotic_strerror(ret));
	return ret;
}

/* The staged fault must have run: else the access proved nothing. */
static int lookup_race_disarm(struct run *r)
{
	char left[32];
	int ret = exotic_module_param_read(r->ctx, "exotic", "race_zap_faults",
					   left, sizeof(left));

	if (!ret && strcmp(left, "0")) {
		detail(r, "; the staged race never ran (race_zap_faults still %s)", left);
		ret = -EPROTO;
	}
	exotic_module_param_write(r->ctx, "exotic", "race_zap_faults", "0");
	return ret;
}

static void pick_probes(struct run *r)
{
	uint64_t cand[MAX_PROBES] = { r->npages - 1, 1, 0 };

	r->nprobe = 0;
	for (int i = 0; i < MAX_PROBES; i++) {
		bool dup = cand[i] >= r->npages;

		for (int j = 0; j < r->nprobe; j++)
			dup |= r->probe[j] == cand[i];
		if (!dup)
			r->probe[r->nprobe++] = cand[i];
	}
	/* the VMCB probe needs one page: the last, a block tail if any */
	if (r->s->path == EXOTIC_PATH_VMRUN)
		r->nprobe = 1;
}

EXOTIC_EXPORT int exotic_scenario_run(struct exotic_device *dev,
				      const struct exotic_scenario *s,
				      struct exotic_scenario_result *res)
{
	struct exotic_region_params rp = { 0 };
	struct run r = { .s = s, .res = res, .kmsg_fd = -1 };
	uint64_t t0 = scenario_now_ms();
	int ret;

	if (!dev || !s || !res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	if (!exotic_kind_name(s->kind) || !exotic_method_name(s->method) ||
	    !exotic_path_name(s->path) || !(exotic_event_scope(s->event) & EXOTIC_EV_IN_MATRIX))
		return -EINVAL;
	/* the driver stages the race in its fault method, for a vCPU fault */
	if ((s->flags & EXOTIC_SCN_LOOKUP_RACE) &&
	    (s->method != EXOTIC_MAP_FAULT || s->path != EXOTIC_PATH_NPF))
		return -EINVAL;
	r.ctx = exotic_device_get_ctx(dev);
	pick_geometry(s, &res->order, &res->length);

	rp.kind = s->kind;
	rp.method = s->method;
	rp.length = res->length;
	rp.order = res->order;
	rp.flags = s->alloc_flags;
	rp.prot = s->prot;
	r.kmsg_fd = scenario_kmsg_open();
	ret = exotic_region_new(dev, &rp, &r.region);
	if (ret == -EPERM) {
		res->alloc_err = ret;
		res->skipped = 1;
		detail(&r, "needs EXOTIC_ALLOC_UNSAFE_DRIVER_BUG, which the driver allows only with unsafe_driver_bugs=1");
		ret = 0;
		goto out;
	}
	if (ret == -EINVAL) {
		res->alloc_err = ret;
		res->before = EXOTIC_OUT_REFUSED;
		detail(&r, "the driver refuses it: %s", strerror(-ret));
		ret = 0;
		goto out;
	}
	if (ret == -ENODEV || ret == -EOPNOTSUPP) {
		/* the driver does not offer it here (no carve-out, an old ABI) */
		res->alloc_err = ret;
		res->skipped = 1;
		detail(&r, "not offered by the driver: %s", exotic_strerror(ret));
		ret = 0;
		goto out;
	}
	if (ret) {
		/* ENOMEM, ENOSPC (the byte cap), ...: the harness failed, not
		 * the kernel under test; the caller must not count it a skip */
		res->alloc_err = ret;
		detail(&r, "cannot allocate");
		goto out;
	}
	res->order = exotic_region_order(r.region);
	r.addr = exotic_region_addr(r.region);
	r.npages = exotic_region_length(r.region) / PG;
	r.writable = exotic_region_prot(r.region) & PROT_WRITE;
	r.wseed = s->seed ^ 0x5157a11d0f00dULL;
	pick_probes(&r);

	/* the host's view: stamps where it may write, else what is there */
	if (r.writable) {
		exotic_guest_fill(r.addr, EXOTIC_SCN_SLOT_GPA, r.npages * PG, PG,
				  s->seed);
		r.filled = true;
	}
	for (int i = 0; i < r.nprobe; i++)
		memcpy(&r.expect[i], r.addr + r.probe[i] * PG, 8);
	r.seen = scan_pages(&r);

	ret = exotic_vm_new(r.ctx, &r.vm);
	if (ret)
		goto out;
	ret = exotic_vcpu_new(r.vm, 0, &r.vcpu);
	if (ret)
		goto out;
	ret = exotic_vm_add_region_slot(r.vm, 0, EXOTIC_SCN_SLOT_GPA, r.region, 0);
	if (ret)
		goto out;

	if (s->flags & EXOTIC_SCN_LOOKUP_RACE) {
		ret = lookup_race_arm(&r);
		if (ret)
			goto out;
	}
	res->before = judge(&r, access_all(&r, "before"));
	if (s->flags & EXOTIC_SCN_LOOKUP_RACE) {
		ret = lookup_race_disarm(&r);
		if (ret)
			goto out;
	}
	if (apply_event(&r))
		goto done;
	res->after = judge(&r, access_all(&r, "after"));
done:
	/* what KVM leaves behind once the VM is gone, then the region */
	exotic_vcpu_unref(r.vcpu);
	r.vcpu = NULL;
	exotic_vm_unref(r.vm);
	r.vm = NULL;
	late_judge(&r, "after the VM was destroyed");
	exotic_region_unref(r.region);
	r.region = NULL;
	late_judge(&r, "after the region was freed");
	ret = 0;
out:
	if (ret)
		detail(&r, "%sharness: %s", r.dlen ? "; " : "", exotic_strerror(ret));
	exotic_vcpu_unref(r.vcpu);
	exotic_vm_unref(r.vm);
	exotic_region_unref(r.region);
	if (r.kmsg_fd >= 0)
		close(r.kmsg_fd);
	res->ms = scenario_now_ms() - t0;
	return ret;
}
