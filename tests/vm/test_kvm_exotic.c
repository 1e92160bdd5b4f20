// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every exotic kind x mapping method as a memslot, through the real driver
 * and the real KVM (run in the test VM: scripts/vm-run -- test_kvm_exotic).
 *
 * For each combination the host stamps the region through its own
 * mapping, then the guest walks it, writes new stamps and checksums it.
 * Whatever KVM decides, the outcome must be coherent: either KVM_RUN
 * fails with EFAULT (KVM would not map that memory), or the guest saw
 * exactly what the host wrote and the host sees exactly what the guest
 * wrote.  The nested VMRUN probe then puts the VMCB on the region's
 * second page (a tail page for the compound and non-compound kinds) to
 * reach kvm_vcpu_map().
 *
 * On stock 6.1 (detected: no kvm.allow_unsafe_mappings parameter) the
 * outcomes its source makes certain are asserted as well (see docs/design.md §6):
 * hva_to_pfn_remapped() takes a reference with get_page_unless_zero(), so
 * refcounted, reserved (order 0: refcount 1 but PageReserved, so no
 * reference is taken) and carve-out PFNs map and a refcount-0 tail page
 * of a non-compound block does not (EFAULT, and #GP for the probe).
 * On the patched profile (a kvm.allow_unsafe_mappings parameter exists)
 * the fault path must map remap and fault regions of every kind, and
 * kvm_vcpu_map() must refuse the non-refcounted ones unless that
 * parameter is set.  The remaining cells are printed, one line each, for
 * the expectation tables.  EXOTIC_TEST_FILTER (a cmocka name pattern) selects cells.
 * The driver refuses the cells that would damage the kernel itself (huge of
 * anything but compound before 6.12), which is asserted; EXOTIC_TEST_UNSAFE=1 runs them
 * anyway, with EXOTIC_ALLOC_UNSAFE_DRIVER_BUG and unsafe_driver_bugs=1, to
 * reproduce the oops.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <linux/kvm.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "guest_run.h"
#include "sysfs.h"
#include "vm_env.h"

#define MiB		(1ULL << 20)
#define REGION_GPA	(1ULL << 30)
#define REGION_LEN	(2 * MiB)
#define PAGES		(REGION_LEN / 4096)

static struct exotic_ctx *ctx;
static struct exotic_device *dev;
static struct exotic_expect *table;	/* the running profile's, or NULL */
static char profile[64];
static bool stock_61;
static int allow_unsafe = -1;	/* kvm.allow_unsafe_mappings: -1 absent, 0, 1 */

struct combo {
	unsigned int kind;
	unsigned int method;
	char name[48];
};

struct fixture {
	struct combo *c;
	struct exotic_region *region;
	struct exotic_vm *vm;
	struct exotic_vcpu *vcpu;
	uint8_t *mem;
};

static int group_setup(void **state)
{
	(void)state;
	if (exotic_new(&ctx))
		return -1;
	FILE *param = fopen("/sys/module/kvm/parameters/allow_unsafe_mappings", "r");

	stock_61 = !param;
	if (param) {
		allow_unsafe = fgetc(param) == 'Y';
		fclose(param);
	}
	if (!vm_env_detect(ctx, profile, sizeof(profile), NULL, 0) &&
	    exotic_expect_builtin(ctx, profile, &table))
		table = NULL;
	if (vm_env_in_test_vm() && !table) {
		print_error("in the test VM (profile %s) but no expectation table detected\n",
			    vm_env_profile());
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	exotic_expect_free(table);
	exotic_device_unref(dev);
	exotic_unref(ctx);
	return 0;
}

static unsigned int order_for(unsigned int kind, unsigned int method)
{
	/* huge maps whole 2 MiB blocks */
	if (method == EXOTIC_MAP_HUGE && kind != EXOTIC_KIND_CARVEOUT)
		return 9;
	/*
	 * Blocks of 4 pages where the kind has blocks, so there are tail
	 * pages.  Reserved stays at order 0: a reserved tail page at
	 * refcount 0 makes stock 6.1 WARN in kvm_is_zone_device_page(), a
	 * known kernel bug that has its own reproducer, not this test.
	 */
	return kind == EXOTIC_KIND_COMPOUND || kind == EXOTIC_KIND_NONCOMPOUND ? 2 : 0;
}

/* The driver refuses these on purpose (docs/design.md §3): huge needs 2 MiB blocks,
 * which refcounted (order 0) never has; page needs struct pages and a
 * non-zero refcount. */
static bool refused_by_design(unsigned int kind, unsigned int method)
{
	if (method == EXOTIC_MAP_HUGE)
		return kind == EXOTIC_KIND_REFCOUNTED;
	if (method == EXOTIC_MAP_PAGE)
		return kind == EXOTIC_KIND_NONCOMPOUND || kind == EXOTIC_KIND_CARVEOUT;
	return false;
}

/*
 * Combinations that crash the kernel itself, for reproducers and not for
 * this suite: before 6.12 there is no special bit for huge PFN mappings, so
 * GUP-fast (which KVM tries first, patched or not) takes a
 * vmf_insert_pfn_pmd() mapping for a THP and looks up the struct page of
 * the PFN; carve-out PFNs have none (Oops in try_grab_folio()), and a
 * non-compound block (noncompound, reserved) is no folio: the head takes
 * every reference and the tails underflow when they are dropped.  The driver
 * refuses them with EINVAL unless EXOTIC_ALLOC_UNSAFE_DRIVER_BUG is given
 * (with unsafe_driver_bugs=1).
 */
static const char *unsafe_here(unsigned int kind, unsigned int method)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (method != EXOTIC_MAP_HUGE || kind == EXOTIC_KIND_COMPOUND ||
	    kind == EXOTIC_KIND_REFCOUNTED)
		return NULL;
	if (!uname(&u) && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
	    (major > 6 || (major == 6 && minor >= 12)))
		return NULL;
	if (kind != EXOTIC_KIND_CARVEOUT)
		return "GUP-fast takes the huge PFN mapping of a non-compound block for a THP: the tails' refcounts underflow";
	return "GUP-fast takes the huge PFN mapping for a THP: Oops in try_grab_folio()";
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->c = *state;
	*state = f;
	return 0;
}

static bool prepare_flags(struct fixture *f, unsigned int kind, unsigned int method,
			  uint32_t flags);

static bool prepare(struct fixture *f, unsigned int kind, unsigned int method)
{
	return prepare_flags(f, kind, method, 0);
}

/* Set exotic's unsafe_driver_bugs to val, the old value into saved. */
static void set_unsafe_driver_bugs(const char *val, char *saved, size_t len)
{
	assert_int_equal(param_read("unsafe_driver_bugs", saved, len), 0);
	assert_int_equal(param_write("unsafe_driver_bugs", val), 0);
}

/*
 * Skips (from the test body: cmocka counts a skip in a setup as an error)
 * when KVM, the device or this combination is not available.  Returns
 * false, the refusal asserted, for a combination that is unsafe on this
 * kernel (unsafe_here()) unless EXOTIC_TEST_UNSAFE is set: there is then
 * nothing left to run.
 */
static bool prepare_flags(struct fixture *f, unsigned int kind, unsigned int method,
			  uint32_t flags)
{
	struct exotic_region_params rp = {
		.kind = kind, .method = method, .length = REGION_LEN,
		.order = order_for(kind, method), .flags = flags,
	};
	const char *why;
	int ret;

	ret = exotic_kvm_available(ctx);
	vm_env_need(!ret, "no usable /dev/kvm: %s\n", exotic_strerror(ret));
	if (!dev) {
		ret = exotic_device_open(ctx, &dev);
		vm_env_need(!ret, "no exotic device: %s\n", exotic_strerror(ret));
	}
	if (refused_by_design(kind, method)) {
		assert_int_equal(exotic_region_new(dev, &rp, &f->region), -EINVAL);
		print_message("%s/%s: refused by the driver by design: skipped\n",
			      exotic_kind_name(kind), exotic_method_name(method));
		skip();
	}
	why = unsafe_here(kind, method);
	ret = exotic_region_new(dev, &rp, &f->region);
	if (why && ret != -EOPNOTSUPP && ret != -ENODEV) {
		char saved[16], was[16];

		/* the driver will not let the kernel oops by accident */
		assert_int_equal(ret, -EINVAL);
		if (!getenv("EXOTIC_TEST_UNSAFE")) {
			print_message("%s/%s: refused by the driver on this kernel: %s (EXOTIC_TEST_UNSAFE=1 runs it)\n",
				      exotic_kind_name(kind), exotic_method_name(method), why);
			return false;
		}
		print_message("%s/%s: EXOTIC_TEST_UNSAFE: mapped with the unsafe flag; expect an oops: %s\n",
			      exotic_kind_name(kind), exotic_method_name(method), why);
		rp.flags |= EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
		set_unsafe_driver_bugs("1", saved, sizeof(saved));
		ret = exotic_region_new(dev, &rp, &f->region);
		set_unsafe_driver_bugs(saved, was, sizeof(was));
	}
	/* in the test VM the driver has a carve-out and every kind */
	vm_env_need(ret != -EOPNOTSUPP && ret != -ENODEV,
		    "%s/%s: not offered by the driver now (%s): skipped\n",
		    exotic_kind_name(kind), exotic_method_name(method), exotic_strerror(ret));
	assert_int_equal(ret, 0);
	f->mem = exotic_region_addr(f->region);
	assert_non_null(f->mem);
	assert_int_equal(exotic_vm_new(ctx, &f->vm), 0);
	assert_int_equal(exotic_vm_add_region_slot(f->vm, 0, REGION_GPA, f->region, 0), 0);
	assert_int_equal(exotic_vcpu_new(f->vm, 0, &f->vcpu), 0);
	return true;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	vcpu_vm_unref(f->vcpu, f->vm);
	exotic_region_unref(f->region);
	free(f);
	return 0;
}

/* Load a guest program and run it to its done report (poison: as run_program()). */
static void load_run_done(struct fixture *f, enum exotic_guest_program program,
			  const struct exotic_guest_params *p, struct exotic_exit *exit,
			  int *poison)
{
	assert_int_equal(exotic_guest_load(f->vcpu, program, p), 0);
	assert_int_equal(run_program(f->vcpu, exit, poison), 0);
	assert_exit_done(exit);
}

/* The same, but the run may also fail with EFAULT: 0 or -EFAULT. */
static int load_run_or_efault(struct fixture *f, enum exotic_guest_program program,
			      const struct exotic_guest_params *p, struct exotic_exit *exit,
			      int *poison)
{
	int ret;

	assert_int_equal(exotic_guest_load(f->vcpu, program, p), 0);
	ret = run_program(f->vcpu, exit, poison);
	if (ret)
		assert_int_equal(ret, -EFAULT);
	else
		assert_exit_done(exit);
	return ret;
}

static const char *outcome(int ret)
{
	static char buf[4][24];
	static int i;

	if (!ret)
		return "ok";
	if (ret == -EFAULT)
		return "EFAULT";
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "errno %d", -ret);
	return buf[i];
}

/*
 * What stock 6.1 must do with the walk, from its source (docs/design.md §6):
 * 1 maps, 0 KVM_RUN fails with EFAULT, -1 not asserted.
 *  - VM_MIXEDMAP VMAs (mixed, and page, which the driver also marks
 *    VM_MIXEDMAP): page goes through GUP with a real refcounted page; mixed
 *    gets special PTEs that GUP refuses, and hva_to_pfn() only falls back
 *    to hva_to_pfn_remapped() for VM_IO | VM_PFNMAP: EFAULT.
 *  - VM_PFNMAP (remap, fault): kvm_try_get_pfn() takes no reference on
 *    reserved or struct-page-less PFNs (they map) and calls
 *    get_page_unless_zero() on the rest, which fails on the refcount-0
 *    tail pages of compound and non-compound blocks: EFAULT.
 *  - huge: follow_pte() cannot walk a huge PMD in 6.1; whether GUP-fast
 *    got there first depends on the kind, so not asserted.
 */
static int stock_expect(unsigned int kind, unsigned int method)
{
	switch (method) {
	case EXOTIC_MAP_MIXED:
		return 0;
	case EXOTIC_MAP_PAGE:
		return 1;
	case EXOTIC_MAP_REMAP:
	case EXOTIC_MAP_FAULT:
		return kind == EXOTIC_KIND_COMPOUND || kind == EXOTIC_KIND_NONCOMPOUND ? 0 : 1;
	default:
		return -1;
	}
}

static void test_combo(void **state)
{
	struct fixture *f = *state;
	struct exotic_guest_params p = {
		.gpa = REGION_GPA, .len = REGION_LEN, .seed = 0xc0ffee,
	};
	struct exotic_exit exit;
	int walk, write, sum, probe, poison = 0;
	uint64_t walk_off = 0;
	const char *probe_name = "-";
	bool npf_maps = true;	/* without a table: the patched profile's rule */
	uint64_t bad;

	if (!prepare(f, f->c->kind, f->c->method))
		return;
	/* Walk: the guest reads the host's stamps. */
	exotic_guest_fill(f->mem, REGION_GPA, REGION_LEN, 0, p.seed);
	walk = load_run_or_efault(f, EXOTIC_GUEST_WALK, &p, &exit, &poison);
	if (walk) {
		/* where the guest was: a word of the region */
		assert_true(exit.access_gpa >= REGION_GPA &&
			    exit.access_gpa < REGION_GPA + REGION_LEN);
		walk_off = exit.access_gpa - REGION_GPA;
	} else {
		assert_int_equal(exit.args[0], PAGES);
		assert_int_equal(exit.args[2], 0);
		assert_int_equal(poison, 0);
	}

	/* Write: the host reads the guest's stamps. */
	p.seed = 0xfeed;
	write = load_run_or_efault(f, EXOTIC_GUEST_WRITE, &p, &exit, NULL);
	if (!write) {
		assert_int_equal(exit.args[0], PAGES);
		assert_int_equal(exotic_guest_verify(f->mem, REGION_GPA, REGION_LEN, 0,
						     p.seed, &bad), PAGES);
	}

	/* Checksum: both sides sum the same words. */
	p.stride = 8;
	sum = load_run_or_efault(f, EXOTIC_GUEST_CHECKSUM, &p, &exit, NULL);
	if (!sum)
		assert_int_equal(exit.args[0], exotic_guest_checksum(f->mem, REGION_LEN, 8));
	/* Reads and writes through the same mapping agree on mappability. */
	assert_int_equal(walk, sum);

	/* The nested probe: VMCB on the region's second page. */
	p = (struct exotic_guest_params){ .vmcb_gpa = REGION_GPA + 4096 };
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	probe = run_program(f->vcpu, &exit, NULL);
	if (!probe && exit.reason == KVM_EXIT_INTERNAL_ERROR &&
	    table && strstr(exotic_expect_describe(table), "7.3")) {
		/* 7.3 exits to userspace where older kernels inject #GP */
		probe_name = "internal-error";
	} else if (!probe) {
		assert_exit_done(&exit);
		probe_name = exotic_probe_result_name(exit.args[0]);
		assert_non_null(probe_name);
		if (exit.args[0] == EXOTIC_PROBE_NOT_ENTERED)
			fail_msg("%s: a valid VMCB was not entered", f->c->name);
	}

	print_message("%-24s walk %-8s write %-8s checksum %-8s vmrun %s%s\n", f->c->name,
		      outcome(walk), outcome(write), outcome(sum),
		      probe ? outcome(probe) : probe_name,
		      walk ? (walk_off ? "   (EFAULT from +0x1000: the first tail page)" :
			      "   (EFAULT from +0: the first page)") : "");
	if (walk)
		assert_true(walk_off == 0 || walk_off == 4096);

	/*
	 * The profile's table for the vCPU fault path, no event: where it
	 * says the path maps, an EFAULT is a finding on every profile; where
	 * it says EFAULT, mapping is one.  Not for huge: the table's geometry
	 * accesses a block's tail first, the walk its head, and what GUP-fast
	 * makes of the head decides the rest.
	 */
	if (table && f->c->method != EXOTIC_MAP_HUGE) {
		const struct exotic_expect_entry *x =
			exotic_expect_lookup(table, f->c->kind, f->c->method,
					     EXOTIC_PATH_NPF, EXOTIC_EV_NONE);

		assert_non_null(x);
		npf_maps = x->before == EXOTIC_OUT_MAPPED || x->before == EXOTIC_OUT_REFCOUNT;
		switch (x->before) {
		case EXOTIC_OUT_MAPPED:
		case EXOTIC_OUT_REFCOUNT:	/* maps, and leaks a reference */
			if (walk || write || sum)
				fail_msg("%s: %s says the fault path maps it (line %u); walk %s, write %s, checksum %s",
					 f->c->name, profile, x->line, outcome(walk),
					 outcome(write), outcome(sum));
			break;
		case EXOTIC_OUT_EFAULT:
			if (walk != -EFAULT || write != -EFAULT)
				fail_msg("%s: %s says the fault path fails with EFAULT (line %u); walk %s, write %s",
					 f->c->name, profile, x->line, outcome(walk), outcome(write));
			break;
		}
	}

	if (allow_unsafe >= 0 && !strncmp(profile, "patched-6.1", 11) && npf_maps &&
	    (f->c->method == EXOTIC_MAP_REMAP || f->c->method == EXOTIC_MAP_FAULT)) {
		/*
		 * The patched profile (kernel-patches/6.1): where the vCPU
		 * fault path, guarded by mmu notifiers, maps (every kind with
		 * TDP; not the refcount-0 tails under shadow paging, 0011),
		 * the unguarded kvm_vcpu_map() only takes non-refcounted
		 * memory with allow_unsafe_mappings.
		 */
		assert_int_equal(walk, 0);
		assert_int_equal(write, 0);
		assert_string_equal(probe_name,
				    allow_unsafe || f->c->kind == EXOTIC_KIND_REFCOUNTED ?
				    "entered" : "#GP");
	}
	if (!stock_61)
		return;
	switch (stock_expect(f->c->kind, f->c->method)) {
	case 1:
		assert_int_equal(walk, 0);
		assert_int_equal(write, 0);
		break;
	case 0:
		assert_int_equal(walk, -EFAULT);
		assert_int_equal(write, -EFAULT);
		/* a block's head page (refcount 1) maps, its first tail not */
		if (f->c->method != EXOTIC_MAP_MIXED)
			assert_int_equal(walk_off, 4096);
		else
			assert_int_equal(walk_off, 0);
		break;
	}
	/*
	 * Both paths use hva_to_pfn() in 6.1: kvm_vcpu_map() fails exactly
	 * where the fault path does, and L1 then gets #GP.  Not for huge:
	 * there the walk's first access (the block's head page, refcount 1)
	 * gets the whole 2 MiB mapped, while the probe looks up the tail
	 * page itself.
	 */
	assert_int_equal(probe, 0);
	if (f->c->method != EXOTIC_MAP_HUGE)
		assert_string_equal(probe_name, walk ? "#GP" : "entered");
}

/* A refcounted fault-mapped region stamped with p's seed, walked once, clean. */
static void prepare_walked(struct fixture *f, const struct exotic_guest_params *p,
			   struct exotic_exit *exit)
{
	prepare(f, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT);
	exotic_guest_fill(f->mem, REGION_GPA, REGION_LEN, 0, p->seed);
	load_run_done(f, EXOTIC_GUEST_WALK, p, exit, NULL);
	assert_int_equal(exit->args[0], PAGES);
}

/* Revoke: KVM must not keep using the retired pages; KVM_RUN fails. */
static void test_revoke_then_efault(void **state)
{
	struct fixture *f = *state;
	struct exotic_guest_params p = {
		.gpa = REGION_GPA, .len = REGION_LEN, .seed = 5,
	};
	struct exotic_exit exit;
	uint64_t epoch;
	int poison = 0;

	prepare_walked(f, &p, &exit);

	assert_int_equal(exotic_region_revoke(f->region, &epoch), 0);
	assert_int_equal(exotic_vm_publish_epoch(f->vm, epoch), 0);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p), 0);
	assert_int_equal(run_program(f->vcpu, &exit, &poison), -EFAULT);
	/* Not a single read went through a stale translation first. */
	assert_int_equal(poison, 0);
}

/* Migrate and invalidate: the guest sees the same stamps, no poison. */
static void test_migrate_invalidate_clean(void **state)
{
	struct fixture *f = *state;
	struct exotic_guest_params p = {
		.gpa = REGION_GPA, .len = REGION_LEN, .seed = 6, .passes = 1,
	};
	struct exotic_exit exit;
	uint64_t epoch;
	int poison = 0;

	prepare_walked(f, &p, &exit);

	assert_int_equal(exotic_region_migrate(f->region, 0, 0, &epoch), 0);
	assert_int_equal(exotic_vm_publish_epoch(f->vm, epoch), 0);
	load_run_done(f, EXOTIC_GUEST_WALK, &p, &exit, &poison);
	assert_int_equal(exit.args[0], PAGES);
	assert_int_equal(exit.args[2], 0);
	assert_int_equal(poison, 0);

	assert_int_equal(exotic_region_invalidate(f->region, 0, 0, &epoch), 0);
	assert_int_equal(exotic_vm_publish_epoch(f->vm, epoch), 0);
	p.seed = 7;
	load_run_done(f, EXOTIC_GUEST_WRITE, &p, &exit, NULL);
	assert_int_equal(exotic_guest_verify(f->mem, REGION_GPA, REGION_LEN, 0, 7, NULL),
			 PAGES);
}


/*
 * A vCPU thread running a program to its end while the host acts.
 *
 * EFAULT from KVM_RUN is excused (the vCPU is run again) only as KVM's
 * hva_to_pfn_remapped() race (docs/test-vm.md): when the host said it may
 * happen (excuse_efault), only if a migration was in flight during that
 * KVM_RUN (ev_begun, read after the call, beyond ev_ended, read before it),
 * only at a gpa of the region (every migration here moves all of it), and
 * at most EFAULT_PER_PAGE times per page.  Anything else ends the run with
 * the EFAULT and the reason in why.
 */
#define EFAULT_PER_PAGE	16

struct runner {
	pthread_t thread;
	struct exotic_vcpu *vcpu;
	struct exotic_exit exit;
	int ret;
	int poison;		/* POISON ucalls: detections */
	int syncs;		/* SYNC ucalls: passes done */
	bool excuse_efault;	/* the race can happen on this profile and path */
	const unsigned int *ev_begun, *ev_ended;	/* migrations started, finished */
	int efaults;		/* EFAULTs excused */
	uint8_t page_efaults[PAGES];
	char why[160];		/* why the last EFAULT was not excused */
};

static bool excuse(struct runner *r, unsigned int ended_before)
{
	uint64_t gpa = r->exit.access_gpa;
	unsigned int page;

	if (!r->excuse_efault) {
		snprintf(r->why, sizeof(r->why), "no EFAULT is excused here");
		return false;
	}
	if (__atomic_load_n(r->ev_begun, __ATOMIC_ACQUIRE) <= ended_before) {
		snprintf(r->why, sizeof(r->why),
			 "at gpa 0x%llx with no migration in flight during the KVM_RUN",
			 (unsigned long long)gpa);
		return false;
	}
	if (gpa < REGION_GPA || gpa >= REGION_GPA + REGION_LEN) {
		snprintf(r->why, sizeof(r->why),
			 "at gpa 0x%llx, outside the region being migrated",
			 (unsigned long long)gpa);
		return false;
	}
	page = (unsigned int)((gpa - REGION_GPA) / 4096);
	if (++r->page_efaults[page] > EFAULT_PER_PAGE) {
		snprintf(r->why, sizeof(r->why),
			 "page %u (gpa 0x%llx) failed more than %d times", page,
			 (unsigned long long)gpa, EFAULT_PER_PAGE);
		return false;
	}
	r->efaults++;
	return true;
}

static void *runner_fn(void *arg)
{
	struct runner *r = arg;

	for (;;) {
		unsigned int ended = r->ev_ended ?
				     __atomic_load_n(r->ev_ended, __ATOMIC_ACQUIRE) : 0;

		r->ret = exotic_vcpu_run(r->vcpu, &r->exit);
		if (r->ret == -EFAULT && r->ev_begun && excuse(r, ended))
			continue;
		if (r->ret)
			break;
		if (r->exit.ucall == EXOTIC_UCALL_POISON)
			__atomic_add_fetch(&r->poison, 1, __ATOMIC_RELAXED);
		else if (r->exit.ucall == EXOTIC_UCALL_SYNC)
			__atomic_add_fetch(&r->syncs, 1, __ATOMIC_RELEASE);
		else
			break;
	}
	return NULL;
}

static void wait_syncs(struct runner *r, int n)
{
	struct timespec ts = { 0, 1000000 };

	/* generous: TCG on a loaded machine can stall the guest for a while */
	for (int i = 0; i < 300000; i++) {
		if (__atomic_load_n(&r->syncs, __ATOMIC_ACQUIRE) >= n)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("the guest did not finish %d passes in five minutes", n);
}

/*
 * The region stamped with seed and the guest loaded to walk it for ever,
 * a SYNC each pass, for r's thread to run.
 */
static void load_walk_forever(struct fixture *f, uint64_t seed, struct runner *r)
{
	const struct exotic_guest_params p = {
		.gpa = REGION_GPA, .len = REGION_LEN, .seed = seed,
		.flags = EXOTIC_GUEST_FOREVER | EXOTIC_GUEST_SYNC_PASS,
	};

	exotic_guest_fill(f->mem, REGION_GPA, REGION_LEN, 0, seed);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p), 0);
	r->vcpu = f->vcpu;
}

/*
 * The done_epoch protocol live: the guest walks over and over while the
 * host migrates the region under it and publishes each epoch.  KVM's mmu
 * notifier must drop every translation before the driver retires a page,
 * so the guest never sees poison it could call stale, and every word it
 * reads carries its stamp (else it asserts).
 *
 * KVM_RUN may fail with EFAULT while a migration zaps the range: 6.1's
 * hva_to_pfn_remapped() faults the PTE in with fixup_user_fault() and
 * looks it up once more, without retrying when a zap got in between.  The
 * memory is live, so the runner runs the vCPU again, as a VMM that knows
 * its memory is being moved would, but only where the profile's table
 * sends this path through hva_to_pfn_remapped() and has not fixed the race
 * (stock; patched 6.1 retries such faults), only for a KVM_RUN that
 * a migration overlapped, at a gpa of the region, and a bounded number of
 * times per page (runner_fn()).  After the last migration none may
 * remain: the walk must finish.
 */
static void test_walk_during_migrations(void **state)
{
	struct fixture *f = *state;
	const uint64_t seed = 0x516;
	struct exotic_region_info info = { 0 };
	const struct exotic_expect_entry *x;
	struct runner r = { 0 };
	unsigned int begun = 0, ended = 0;
	uint64_t epoch;
	char buf[256];
	int i;

	prepare(f, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT);
	x = table ? exotic_expect_lookup(table, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT,
					 EXOTIC_PATH_NPF, EXOTIC_EV_MIGRATE) : NULL;
	assert_non_null(x);
	/* the table says the page maps after a migration; only the lookup
	 * race in hva_to_pfn_remapped() may fail it for a moment */
	assert_int_equal(x->after, EXOTIC_OUT_MAPPED);
	load_walk_forever(f, seed, &r);
	/*
	 * where the profile's table says KVM has the lookup race (its
	 * pfnmap-lookup-race row: stock 6.1, 6.12, 7.3; patched 6.1 and
	 * upstream-patched retry such faults, kernel-patches/6.1 0010 and
	 * kernel-patches/7.3 0001)
	 */
	{
		const struct exotic_expect_entry *race =
			exotic_expect_lookup_repro(table, "pfnmap-lookup-race");

		assert_non_null(race);
		r.excuse_efault = race->before == EXOTIC_OUT_EFAULT &&
				  strstr(x->reason, "hva_to_pfn_remapped()") != NULL;
	}
	r.ev_begun = &begun;
	r.ev_ended = &ended;
	assert_int_equal(pthread_create(&r.thread, NULL, runner_fn, &r), 0);
	wait_syncs(&r, 1);
	for (i = 0; i < 20; i++) {
		__atomic_add_fetch(&begun, 1, __ATOMIC_RELEASE);
		assert_int_equal(exotic_region_migrate(f->region, 0, 0, &epoch), 0);
		__atomic_add_fetch(&ended, 1, __ATOMIC_RELEASE);
		assert_int_equal(exotic_vm_publish_epoch(f->vm, epoch), 0);
		wait_syncs(&r, 2 + i);
	}
	exotic_vm_set_stop(f->vm, true);
	assert_int_equal(pthread_join(r.thread, NULL), 0);

	if (r.ret)
		fail_msg("KVM_RUN: %s%s%s", exotic_strerror(r.ret),
			 r.ret == -EFAULT ? ", not excused: " : "", r.ret == -EFAULT ? r.why : "");
	if (r.exit.ucall != EXOTIC_UCALL_DONE)
		fail_msg("expected done, got %s", exotic_exit_describe(&r.exit, buf, sizeof(buf)));
	print_message("%d migrations under %llu passes: %llu words ok, %llu poison in flight, %llu detections, %d EFAULTs excused (the hva_to_pfn_remapped() race)\n",
		      i, (unsigned long long)r.exit.args[3],
		      (unsigned long long)r.exit.args[0], (unsigned long long)r.exit.args[1],
		      (unsigned long long)r.exit.args[2], r.efaults);
	assert_int_equal(r.exit.args[2], 0);
	assert_int_equal(r.poison, 0);
	/* the driver zaps, copies and poisons under one lock: no poison at all */
	assert_int_equal(r.exit.args[1], 0);
	assert_int_equal(r.exit.args[0] + r.exit.args[1], r.exit.args[3] * PAGES);
	assert_true(r.exit.args[3] >= 21);
	/* The stamps moved with the data, and the driver saw every migrate. */
	assert_int_equal(exotic_guest_verify(f->mem, REGION_GPA, REGION_LEN, 0, seed, NULL),
			 PAGES);
	assert_int_equal(exotic_region_info(f->region, &info), 0);
	assert_int_equal(info.migrations, 20);
}

/* Revoke under a running guest: its next access fails with EFAULT. */
static void test_revoke_during_walk(void **state)
{
	struct fixture *f = *state;
	struct runner r = { 0 };
	uint64_t epoch;

	prepare(f, EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_FAULT);
	load_walk_forever(f, 0x7e, &r);
	assert_int_equal(pthread_create(&r.thread, NULL, runner_fn, &r), 0);
	wait_syncs(&r, 2);
	assert_int_equal(exotic_region_revoke(f->region, &epoch), 0);
	assert_int_equal(exotic_vm_publish_epoch(f->vm, epoch), 0);
	assert_int_equal(pthread_join(r.thread, NULL), 0);
	print_message("revoked after %d passes: KVM_RUN %s\n", r.syncs,
		      exotic_strerror(r.ret));
	assert_int_equal(r.ret, -EFAULT);
	assert_int_equal(r.poison, 0);
}

/*
 * A region the driver exports read-only (EXOTIC_ALLOC_READONLY, mapped
 * without PROT_WRITE) behind a writable memslot: reads map, and a guest
 * write finds a read-only PFNMAP PTE, which 6.1 sends to emulation
 * (KVM_PFN_ERR_RO_FAULT) where the copy to the read-only mapping fails:
 * an MMIO exit at the written address, not EFAULT.
 */
static void test_readonly_region(void **state)
{
	struct fixture *f = *state;
	struct exotic_guest_params p = { .gpa = REGION_GPA, .len = REGION_LEN };
	struct exotic_exit exit;

	prepare_flags(f, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, EXOTIC_ALLOC_READONLY);
	load_run_done(f, EXOTIC_GUEST_CHECKSUM, &p, &exit, NULL);
	assert_int_equal(exit.args[0], exotic_guest_checksum(f->mem, REGION_LEN, 0));
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), 0);
	assert_int_equal(run_program(f->vcpu, &exit, NULL), 0);
	assert_exit_mmio(&exit, REGION_GPA, true);
}

/*
 * EXOTIC_ALLOC_MKWRITE (read-only PTEs made writable by ->pfn_mkwrite, as
 * drivers that track dirtying do): after an invalidate and guest reads the
 * PTEs are read-only; guest writes must still land (KVM emulates the first
 * write per page, and the emulator's user access runs ->pfn_mkwrite).
 */
static void test_mkwrite_region(void **state)
{
	struct fixture *f = *state;
	struct exotic_guest_params p = { .gpa = REGION_GPA, .len = REGION_LEN, .seed = 4 };
	struct exotic_exit exit;

	prepare_flags(f, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, EXOTIC_ALLOC_MKWRITE);
	exotic_guest_fill(f->mem, REGION_GPA, REGION_LEN, 0, 4);
	assert_int_equal(exotic_region_invalidate(f->region, 0, 0, NULL), 0);
	load_run_done(f, EXOTIC_GUEST_WALK, &p, &exit, NULL);
	assert_int_equal(exit.args[0], PAGES);
	p.seed = 5;
	load_run_done(f, EXOTIC_GUEST_WRITE, &p, &exit, NULL);
	assert_int_equal(exotic_guest_verify(f->mem, REGION_GPA, REGION_LEN, 0, 5, NULL), PAGES);
}

#define NR_COMBOS (EXOTIC_KIND_MAX * EXOTIC_MAP_MAX)

int main(void)
{
	/* after the combinations */
	static const struct CMUnitTest more[] = {
		cmocka_unit_test_setup_teardown(test_revoke_then_efault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_invalidate_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_region, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkwrite_region, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_during_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_during_walk, setup, teardown),
	};
	static struct combo combos[NR_COMBOS];
	struct CMUnitTest tests[NR_COMBOS + sizeof(more) / sizeof(more[0])];
	int n = 0;

	for (unsigned int k = 1; k <= EXOTIC_KIND_MAX; k++) {
		for (unsigned int m = 1; m <= EXOTIC_MAP_MAX; m++) {
			struct combo *c = &combos[n];

			c->kind = k;
			c->method = m;
			snprintf(c->name, sizeof(c->name), "%s/%s", exotic_kind_name(k),
				 exotic_method_name(m));
			tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate_setup_teardown(
				test_combo, setup, teardown, c);
			tests[n].name = c->name;
			n++;
		}
	}
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		tests[n++] = more[i];
	/* e.g. EXOTIC_TEST_FILTER=carveout/remap */
	if (getenv("EXOTIC_TEST_FILTER"))
		cmocka_set_test_filter(getenv("EXOTIC_TEST_FILTER"));

	return _cmocka_run_group_tests("kvm_exotic", tests, (size_t)n,
				       group_setup, group_teardown);
}
