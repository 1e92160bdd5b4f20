// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A scenario's accesses: one probe per KVM access path (docs/design.md §6),
 * npf (a vCPU fault, read or write), vmrun (the VMCB), copy (emulated
 * string I/O), nested-tdp (an L2 under nested paging), pvclock and
 * steal-time (records KVM writes), each judged against what the host
 * wrote.  The scenario around them, its event and its oracles, is
 * scenario.c's.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "scenario_internal.h"
#include "exotic/expect.h"

static uint64_t probe_gpa(const struct run *r, int i)
{
	return EXOTIC_SCN_SLOT_GPA + r->probe[i] * PG;
}

static uint32_t run_err(struct run *r, int ret)
{
	if (ret == -EFAULT)
		return EXOTIC_OUT_EFAULT;
	scenario_detail(r, "(KVM_RUN: %s)", strerror(-ret));
	return EXOTIC_OUT_KVM_ERROR;
}

static uint32_t other_exit(struct run *r, const struct exotic_exit *ex)
{
	char buf[96];

	if (ex->reason == KVM_EXIT_MMIO)
		return EXOTIC_OUT_MMIO;
	scenario_detail(r, "(%s)", exotic_exit_describe(ex, buf, sizeof(buf)));
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

/*
 * Run a guest program that writes the probe page to its done ucall: 0 if
 * there is a page to read back, else the outcome: the one the run came
 * to instead, or revoked (note said) when the region was revoked.
 */
static uint32_t run_to_read_back(struct run *r, enum exotic_guest_program prog,
				 const struct exotic_guest_params *p,
				 uint32_t revoked, const char *note)
{
	struct exotic_exit ex;
	uint32_t out = run_to_done(r, prog, p, &ex);

	if (!out && r->revoked) {
		scenario_detail(r, "%s", note);
		out = revoked;
	}
	return out;
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
			scenario_detail(r, "(poison of epoch %llu, done_epoch %llu)",
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
		scenario_detail(r, "(poison of an unpublished epoch)");
		return EXOTIC_OUT_MISMATCH;
	}
	if (ex.ucall == EXOTIC_UCALL_ASSERT) {
		scenario_detail(r, "(read 0x%llx)", (unsigned long long)ex.args[2]);
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
	uint32_t out;

	out = run_to_read_back(r, EXOTIC_GUEST_WRITE, &p, EXOTIC_OUT_MISMATCH,
			       "(the guest wrote to revoked memory)");
	if (out)
		return out;
	memcpy(&now, r->addr + r->probe[i] * PG, 8);
	if (now == want && r->writable) {
		r->expect[i] = want;
		return EXOTIC_OUT_MAPPED;
	}
	scenario_detail(r, now == want ? "(the guest wrote through a read-only mapping)" :
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
		scenario_detail(r, "(vmrun probe: %s)", exotic_probe_result_name(ex->args[0]) ?
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
				scenario_detail(r, "(poison of epoch %llu)",
						(unsigned long long)epoch);
				if (epoch <= exotic_vm_done_epoch(r->vm))
					return EXOTIC_OUT_DETECT;
			}
		}
		scenario_detail(r, "(read 0x%llx)", (unsigned long long)word);
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
		scenario_detail(r, "(poison of epoch %llu)", (unsigned long long)epoch);
		/* poison of an event that is over: a stale translation */
		if (epoch <= exotic_vm_done_epoch(r->vm))
			return EXOTIC_OUT_DETECT;
	}
	scenario_detail(r, "(L2 read 0x%llx)", (unsigned long long)ex.args[2]);
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
	uint32_t out;

	if (!r->revoked)
		before = version_at(r, i, off);
	out = run_to_read_back(r, EXOTIC_GUEST_MSR, &p, EXOTIC_OUT_NOT_WRITTEN,
			       "(revoked: nothing to read)");
	if (out)
		return out;
	now = version_at(r, i, off);
	if (now == before)
		return EXOTIC_OUT_NOT_WRITTEN;
	memcpy(&mul, r->addr + r->probe[i] * PG + CLOCK_MUL, sizeof(mul));
	if ((now & 1) || (clock && !mul)) {
		scenario_detail(r, "(version %u -> %u%s)", before, now,
				clock && !mul ? ", no clock multiplier" : "");
		return EXOTIC_OUT_MISMATCH;
	}
	return EXOTIC_OUT_MAPPED;
}

/* One access of every probe page; the first page that did not map
 * decides, and every page is listed in the detail. */
uint32_t scenario_access_all(struct run *r, const char *phase)
{
	uint32_t worst = EXOTIC_OUT_MAPPED;

	scenario_detail(r, "%s%s:", r->dlen ? "; " : "", phase);
	for (int i = 0; i < r->nprobe; i++) {
		uint32_t t;

		scenario_detail(r, " p%llu ", (unsigned long long)r->probe[i]);
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
		scenario_detail(r, "%s", exotic_outcome_name(t));
		if (worst == EXOTIC_OUT_MAPPED && t != EXOTIC_OUT_MAPPED)
			worst = t;
	}
	return worst;
}
