// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The scenario runner behind exotic-matrix and exotic-repro: one region of
 * one kind and mapping method behind a memslot, accessed through one KVM
 * path before and after one owner event, judged page by page, with the
 * kernel log and the driver's refcount checks as further oracles.  This
 * file sets the scenario up, applies its event and judges it; the probes,
 * one per access path, are in scenario_paths.c.
 */
#include <errno.h>
#include <fcntl.h>
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

#define HUGE_ORDER	9

void scenario_detail(struct run *r, const char *fmt, ...)
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
 * What the backing pages show now, judged by pageref.h: how far their refcounts are from what they
 * must be, summed over the live pages and the retired ones still in
 * quarantine, and how many retired pages no longer hold their poison.
 * A leaked or stolen reference, or a write through a stale translation,
 * shows as an increase between two scans, so each access is charged only
 * with what happened during it.
 */
static struct page_scan scan_pages(struct run *r)
{
	/* whole blocks: a folio's head carries its block's PTE references */
	size_t chunk = (size_t)1 << r->res->order > 64 ? (size_t)1 << r->res->order : 64;
	struct page_scan sum = { 0 };
	struct exotic_page *pages;
	int n;

	if (!r->region)
		return r->seen;
	pages = calloc(chunk, sizeof(*pages));
	if (!pages)
		return r->seen;
	for (uint64_t i = 0; !r->revoked && i < r->npages; i += chunk) {
		n = exotic_region_query(r->region, i * PG, pages, chunk);
		if (n <= 0)
			break;
		sum.excess += pageref_excess(r->s->kind, r->s->method, r->res->order,
					     pages, (size_t)n);
	}
	for (uint64_t i = 0;; i += (uint64_t)n) {
		n = exotic_region_query_retired(r->region, i, pages, chunk);
		if (n <= 0)
			break;
		sum.excess += pageref_excess(r->s->kind, r->s->method, r->res->order,
					     pages, (size_t)n);
		for (int j = 0; j < n; j++)
			sum.broken += !(pages[j].flags & EXOTIC_PAGE_POISON_OK);
	}
	free(pages);
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
		scenario_detail(r, " [refcount: +%llu]", (unsigned long long)grew);
	}
	if (broke)
		scenario_detail(r, " [poison overwritten in %llu retired pages]",
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


/* Findings after the accesses go to the last access that ran. */
static void late_judge(struct run *r, const char *when)
{
	uint32_t *last = r->res->after ? &r->res->after : &r->res->before;
	uint32_t t = judge(r, *last);

	if (t != *last) {
		scenario_detail(r, " (%s)", when);
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
		scenario_detail(r, "; %s: %s", exotic_event_name(r->s->event), strerror(-ret));
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
		scenario_detail(r, "cannot stage the lookup race: %s", exotic_strerror(ret));
	return ret;
}

/* The staged fault must have run: else the access proved nothing. */
static int lookup_race_disarm(struct run *r)
{
	char left[32];
	int ret = exotic_module_param_read(r->ctx, "exotic", "race_zap_faults",
					   left, sizeof(left));

	if (!ret && strcmp(left, "0")) {
		scenario_detail(r, "; the staged race never ran (race_zap_faults still %s)", left);
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
		scenario_detail(&r, "needs EXOTIC_ALLOC_UNSAFE_DRIVER_BUG, which the driver allows only with unsafe_driver_bugs=1");
		ret = 0;
		goto out;
	}
	if (ret == -EINVAL) {
		res->alloc_err = ret;
		res->before = EXOTIC_OUT_REFUSED;
		scenario_detail(&r, "the driver refuses it: %s", strerror(-ret));
		ret = 0;
		goto out;
	}
	if (ret == -ENODEV || ret == -EOPNOTSUPP) {
		/* the driver does not offer it here (no carve-out, an old ABI) */
		res->alloc_err = ret;
		res->skipped = 1;
		scenario_detail(&r, "not offered by the driver: %s", exotic_strerror(ret));
		ret = 0;
		goto out;
	}
	if (ret) {
		/* ENOMEM, ENOSPC (the byte cap), ...: the harness failed, not
		 * the kernel under test; the caller must not count it a skip */
		res->alloc_err = ret;
		scenario_detail(&r, "cannot allocate");
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
	res->before = judge(&r, scenario_access_all(&r, "before"));
	if (s->flags & EXOTIC_SCN_LOOKUP_RACE) {
		ret = lookup_race_disarm(&r);
		if (ret)
			goto out;
	}
	if (apply_event(&r))
		goto done;
	res->after = judge(&r, scenario_access_all(&r, "after"));
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
		scenario_detail(&r, "%sharness: %s", r.dlen ? "; " : "", exotic_strerror(ret));
	exotic_vcpu_unref(r.vcpu);
	exotic_vm_unref(r.vm);
	exotic_region_unref(r.region);
	if (r.kmsg_fd >= 0)
		close(r.kmsg_fd);
	res->ms = scenario_now_ms() - t0;
	return ret;
}
