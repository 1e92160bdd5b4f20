// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm's access paths other than the vCPU fault (exotic/storm.h):
 * nested-tdp, an L2 under nested paging whose reads KVM resolves through
 * its nested MMU, and pvclock and steal-time, records KVM writes into
 * guest memory through its gfn-to-pfn cache or the VMA.  Which slots a
 * path may read comes from the profile's table, as every expectation does.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "storm_engine.h"

/*
 * The paravirtual records (linux/kvm_para.h): KVM makes the 32-bit version
 * odd, writes the record, makes it even again.  The guest points the MSR
 * at gpa | KVM_MSR_ENABLED.  The records sit in the second half of a
 * block's first page, away from the words the walk and nested-tdp read
 * (the first two of each page) and from each other.
 */
#define MSR_SYSTEM_TIME_NEW	0x4b564d01
#define MSR_STEAL_TIME		0x4b564d03
#define CLOCK_RECORD		0x800	/* 32 bytes */
#define CLOCK_VERSION		0	/* pvclock_vcpu_time_info.version */
#define STEAL_RECORD		0xc00	/* 64 bytes, 64-byte aligned */
#define STEAL_VERSION		8	/* kvm_steal_time.version */
#define RECORDS_PER_PASS	8

static bool record_path(unsigned int path)
{
	return path == EXOTIC_PATH_PVCLOCK || path == EXOTIC_PATH_STEAL_TIME;
}

int storm_paths_setup(struct exotic_storm *s, struct storm_slot *slot)
{
	char buf[400], why[480];

	slot->paths = 1U << EXOTIC_PATH_NPF;
	for (unsigned int path = EXOTIC_PATH_NPF + 1; path <= EXOTIC_PATH_MAX; path++) {
		const struct exotic_expect_entry *e;
		const char *no;

		if (!(s->cfg.paths & (1U << path)))
			continue;
		no = storm_path_refusal(s->profile, slot->kind, slot->method, path,
					s->cfg.flags & EXOTIC_STORM_KNOWN_BUGS, buf, sizeof(buf));
		if (no) {
			snprintf(why, sizeof(why), "%s: %s", exotic_path_name(path), no);
			storm_note_skip(s, slot->kind, slot->method, why);
			continue;
		}
		slot->paths |= 1U << path;
		e = exotic_expect_lookup(storm_profile_table(s->profile), slot->kind,
					 slot->method, path, EXOTIC_EV_NONE);
		if (record_path(path) && e->before == EXOTIC_OUT_MAPPED &&
		    e->after == EXOTIC_OUT_MAPPED)
			slot->records_promised |= 1U << path;
	}
	return 0;
}

/* Run the vCPU's program until it reports DONE or stops otherwise. */
static int run_program(struct vcpu_thread *v, struct exotic_exit *exit)
{
	struct exotic_storm *s = v->storm;
	int ret;

	do {
		ret = exotic_vcpu_run(v->vcpu, exit);
		ADD(s->stats.runs, 1);
	} while (ret == -EINTR && !LOAD(s->vcpus_stop));
	if (ret < 0 && -ret < EXOTIC_STORM_MAX_ERRNO)
		ADD(s->stats.run_errors[-ret], 1);
	if (ret >= 0 && exit->reason < EXOTIC_STORM_MAX_EXIT)
		ADD(s->stats.exits[exit->reason], 1);
	return ret;
}

/* An exit that was not the program's DONE: expected only while an event
 * (memslot delete, unmap) has the slot.  True to retry after it. */
static bool other_exit(struct vcpu_thread *v, struct storm_slot *slot,
		       const struct exotic_exit *exit, uint64_t gpa,
		       uint64_t *seq, uint64_t *wseq)
{
	char buf[160];

	if (storm_disturbed(v, slot, *seq, *wseq)) {
		ADD(v->storm->stats.expected_disturbed, 1);
		ADD(slot->disturbed, 1);
		return storm_wait_event(v, slot, seq, wseq);
	}
	storm_vcpu_unexpected(v, slot, gpa, 0, exotic_exit_describe(exit, buf, sizeof(buf)));
	return false;
}

/*
 * nested-tdp: L2 reads the first two words of each page, one VMRUN each.
 * The stamp is an access; poison of an event that was over before the
 * VMRUN is a stale translation of KVM's nested MMU (or a use after free);
 * newer poison is in flight.  Returns false to pause briefly.
 */
bool storm_nested_pass(struct vcpu_thread *v, struct storm_slot *slot)
{
	struct exotic_storm *s = v->storm;
	unsigned int refused = 0, races = 0;
	uint64_t off = 0;

	if (!(slot->paths & (1U << EXOTIC_PATH_NESTED_TDP)))
		return true;
	STORE(v->cur_slot, slot->index);
	while (off < slot->len && !LOAD(s->vcpus_stop)) {
		uint64_t gpa = slot->gpa + off, pair[2], epoch, done;
		uint64_t seq = LOAD(slot->seq), wseq = LOAD(slot->wseq);
		uint64_t zseq = LOAD(slot->zseq);
		struct exotic_guest_params p = {
			.gpa = gpa, .flags = EXOTIC_PROBE_NESTED_TDP,
		};
		enum storm_efault verdict;
		struct exotic_exit exit;
		char buf[200];
		int ret;

		if ((seq & 1) || LOAD(slot->dead))
			return false;
		done = exotic_vm_done_epoch(s->vm);
		STORE(v->cur_gpa, gpa);
		ret = exotic_guest_load(v->vcpu, EXOTIC_GUEST_VMRUN, &p);
		if (ret) {
			storm_vcpu_unexpected(v, slot, gpa, ret, "cannot load the nested-tdp probe");
			return false;
		}
		ret = run_program(v, &exit);
		if (ret == -EFAULT) {
			verdict = storm_judge_efault(v, slot, gpa, seq, wseq, zseq,
						     false, &races);
			if (verdict == STORM_EF_UNEXPECTED)
				return false;
			if (verdict == STORM_EF_DISTURBED &&
			    !storm_wait_event(v, slot, &seq, &wseq))
				return true;
			if (verdict != STORM_EF_EXPECTED)
				continue;
			/* as the walk does: one tail per block, a run ends it */
			if (++refused >= REFUSED_RUN)
				return true;
			if ((off / 4096) & ((1ULL << slot->order) - 1))
				off = (off / slot->block + 1) * slot->block;
			else
				off += STRIDE;
			continue;
		}
		if (ret < 0) {
			storm_vcpu_unexpected(v, slot, gpa, ret, strerror(-ret));
			return false;
		}
		if (exit.ucall != EXOTIC_UCALL_DONE) {
			if (!other_exit(v, slot, &exit, gpa, &seq, &wseq))
				return false;
			continue;
		}
		if (exit.args[0] != EXOTIC_PROBE_ENTERED) {
			snprintf(buf, sizeof(buf), "nested-tdp probe: %s (L2 did not run)",
				 exotic_probe_result_name(exit.args[0]) ?: "?");
			storm_vcpu_unexpected(v, slot, gpa, 0, buf);
			return false;
		}
		races = 0;
		refused = 0;
		pair[0] = exit.args[2];
		pair[1] = exit.args[3];
		if (pair[0] == exotic_guest_stamp(s->cfg.seed, gpa)) {
			ADD(s->stats.accesses, 1);
			ADD(s->stats.path_accesses[EXOTIC_PATH_NESTED_TDP], 1);
			ADD(slot->accesses, 1);
		} else if (exotic_is_poison(pair, &epoch)) {
			ADD(s->stats.accesses, 1);
			ADD(s->stats.path_accesses[EXOTIC_PATH_NESTED_TDP], 1);
			if (epoch <= done)
				storm_vcpu_poison(v, slot, gpa, epoch, done);
			else
				ADD(s->stats.inflight_poison, 1);
		} else if (storm_disturbed(v, slot, seq, wseq)) {
			/* a fresh region between its allocation and its stamps */
			ADD(s->stats.expected_disturbed, 1);
			ADD(slot->disturbed, 1);
			if (!storm_wait_event(v, slot, &seq, &wseq))
				return true;
			continue;
		} else {
			snprintf(buf, sizeof(buf), "L2 read 0x%" PRIx64 " through the nested MMU where the stamp 0x%" PRIx64 " is",
				 pair[0], exotic_guest_stamp(s->cfg.seed, gpa));
			storm_vcpu_unexpected(v, slot, gpa, 0, buf);
			return false;
		}
		off += STRIDE;
	}
	return true;
}

/*
 * The record's version through the host's mapping of the slot's region,
 * with the slot's lock held (so no event has it: the region and its
 * mapping are whole) and the counts an access is judged by.
 */
static uint32_t record_version(struct storm_slot *slot, uint64_t at,
			       uint64_t counts[3])
{
	const uint8_t *base;
	uint32_t version = 0;

	pthread_mutex_lock(&slot->lock);
	counts[0] = LOAD(slot->seq);
	counts[1] = LOAD(slot->wseq);
	counts[2] = LOAD(slot->zseq);
	base = slot->region ? exotic_region_addr(slot->region) : NULL;
	if (base)
		memcpy(&version, base + at, sizeof(version));
	pthread_mutex_unlock(&slot->lock);
	return version;
}

/*
 * pvclock, steal-time: point the MSR at a block's first page, again and
 * again (each WRMSR makes KVM write the record before the guest's DONE
 * reaches the host), then at the next block's.  Where the table says KVM
 * writes it, a version that did not move while no event touched the slot
 * is unexpected; a write KVM makes through a stale cache after an event
 * lands in retired pages, whose poison the driver checks
 * (storm_check_poison()).  Returns false to pause briefly.
 */
bool storm_record_pass(struct vcpu_thread *v, struct storm_slot *slot)
{
	struct exotic_storm *s = v->storm;
	bool clock = v->path == EXOTIC_PATH_PVCLOCK;
	uint64_t nblocks = slot->len / slot->block;
	uint64_t off = (v->record_block++ % nblocks) * slot->block +
		       (clock ? CLOCK_RECORD : STEAL_RECORD);
	uint64_t at = off + (clock ? CLOCK_VERSION : STEAL_VERSION);
	uint64_t rec = slot->gpa + off;
	struct exotic_guest_params p = {
		.msr = clock ? MSR_SYSTEM_TIME_NEW : MSR_STEAL_TIME,
		.msr_value = rec | 1,	/* KVM_MSR_ENABLED */
	};

	if (!(slot->paths & (1U << v->path)))
		return true;
	STORE(v->cur_slot, slot->index);
	STORE(v->cur_gpa, rec);
	for (unsigned int n = 0; n < RECORDS_PER_PASS && !LOAD(s->vcpus_stop); n++) {
		uint64_t before[3], after[3];
		uint32_t v0, v1;
		struct exotic_exit exit;
		char buf[240];
		int ret;

		if (LOAD(slot->dead))
			return false;
		v0 = record_version(slot, at, before);
		ret = exotic_guest_load(v->vcpu, EXOTIC_GUEST_MSR, &p);
		if (ret) {
			storm_vcpu_unexpected(v, slot, rec, ret,
					      "cannot load the msr program");
			return false;
		}
		ret = run_program(v, &exit);
		if (ret < 0) {
			storm_vcpu_unexpected(v, slot, rec, ret, strerror(-ret));
			return false;
		}
		if (exit.ucall != EXOTIC_UCALL_DONE) {
			/* the program touches no slot: nothing excuses it */
			storm_vcpu_unexpected(v, slot, rec, 0,
					      exotic_exit_describe(&exit, buf, sizeof(buf)));
			return false;
		}
		v1 = record_version(slot, at, after);
		if (!(slot->records_promised & (1U << v->path)) ||
		    memcmp(before, after, sizeof(before)) || (before[0] & 1) ||
		    (before[1] & 1) || (before[2] & 1)) {
			ADD(s->stats.records_unjudged, 1);
			continue;
		}
		if (v1 == v0 || (v1 & 1)) {
			snprintf(buf, sizeof(buf),
				 "KVM did not write the %s record at gpa 0x%" PRIx64 " (version %u, then %u) while no event touched the slot, where the %s table says it does",
				 exotic_path_name(v->path), rec, v0, v1,
				 s->profile);
			storm_vcpu_unexpected(v, slot, rec, 0, buf);
			return false;
		}
		ADD(s->stats.accesses, 1);
		ADD(s->stats.path_accesses[v->path], 1);
		ADD(slot->accesses, 1);
	}
	return true;
}
