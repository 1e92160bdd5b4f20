// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * KVM layer: the copy-path probe.  KVM reads guest memory for itself with
 * kvm_vcpu_read_guest() (copy_from_user() on the memslot's host mapping)
 * when it emulates; string port I/O is always emulated, so a guest
 * REP OUTSL from exotic memory makes KVM copy that memory out to us in
 * KVM_EXIT_IO exits (guest/copy_probe.S).  This is the third access path of
 * docs/design.md §6: no SPTE, no gfn_to_pfn(), just a user access through the VMA.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "kvm_internal.h"

/* guest/copy_probe.S */
extern const unsigned char exotic_copy_start[], exotic_copy_end[];

#define COPY_PORT	0xe7e8

/* The probe lives in the last page of the system slot's code area. */
#define COPY_CODE_OFF	(SYS_CODE + SYS_CODE_MAX - 0x1000)

_Static_assert(COPY_PORT == EXOTIC_COPY_PORT, "copy port mismatch");

static int copy_install(struct exotic_vcpu *vcpu)
{
	size_t progs = (size_t)(exotic_guest_end - exotic_guest_start);
	size_t size = (size_t)(exotic_copy_end - exotic_copy_start);

	if (progs > COPY_CODE_OFF - SYS_CODE || size > 0x1000) {
		exotic_err(vcpu->vm->ctx, "copy probe: no room in the code area (programs %zu bytes, probe %zu)\n",
			   progs, size);
		return -ENOSPC;
	}
	memcpy(vcpu->vm->sys + COPY_CODE_OFF, exotic_copy_start, size);
	return 0;
}

EXOTIC_EXPORT int exotic_guest_copy_probe(struct exotic_vcpu *vcpu,
					  uint64_t gpa, size_t len, void *buf,
					  struct exotic_exit *exit)
{
	struct exotic_ctx *ctx;
	struct kvm_run *run;
	size_t got = 0;
	uint8_t *b;
	int ret;

	if (!vcpu || !buf || !exit)
		return -EINVAL;
	ctx = vcpu->vm->ctx;
	if (!len || len % 4 || len > EXOTIC_COPY_PROBE_MAX || gpa % 4) {
		exotic_err(ctx, "copy probe: [0x%llx, +%zu) must be 4-byte aligned, 4..%u bytes\n",
			   (unsigned long long)gpa, len, EXOTIC_COPY_PROBE_MAX);
		return -EINVAL;
	}
	if (gpa >= EXOTIC_GUEST_MAPPED_LIMIT || len > EXOTIC_GUEST_MAPPED_LIMIT - gpa) {
		exotic_err(ctx, "copy probe: 0x%llx is beyond the guest's identity map\n",
			   (unsigned long long)gpa);
		return -EINVAL;
	}
	ret = copy_install(vcpu);
	if (ret)
		return ret;

	b = vcpu_block(vcpu);
	memset(b, 0, PAGE_SIZE);
	put64(b, B_GPA, gpa);
	put64(b, B_LEN, len);
	put64(b, B_FIX_VEC, ~0ULL);
	ret = exotic_vcpu_reset(vcpu, sys_gpa(COPY_CODE_OFF));
	if (ret) {
		exotic_err(ctx, "vcpu %u: cannot start the copy probe: %s\n",
			   vcpu->id, strerror(-ret));
		return ret;
	}

	run = vcpu->run;
	for (;;) {
		ret = exotic_vcpu_run(vcpu, exit);
		if (ret)
			return ret;
		if (exit->reason != KVM_EXIT_IO || exit->ucall != EXOTIC_UCALL_NONE ||
		    run->io.port != COPY_PORT)
			break;
		if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4) {
			exotic_err(ctx, "copy probe: unexpected port I/O (size %u, %s)\n",
				   run->io.size,
				   run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in");
			return -EPROTO;
		}
		for (uint32_t i = 0; i < run->io.count; i++) {
			if (got + 4 > len) {
				exotic_err(ctx, "copy probe: KVM sent more than the %zu bytes asked for\n",
					   len);
				return -EPROTO;
			}
			memcpy((uint8_t *)buf + got,
			       (uint8_t *)run + run->io.data_offset + 4 * i, 4);
			got += 4;
		}
	}
	exotic_dbg(ctx, "vcpu %u: copy probe [0x%llx, +%zu): %zu bytes, exit %u ucall %u\n",
		   vcpu->id, (unsigned long long)gpa, len, got, exit->reason,
		   exit->ucall);
	return (int)got;
}
