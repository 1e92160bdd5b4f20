// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * KVM layer, the vCPU side: vCPUs in long mode, KVM_RUN, ucalls and the
 * exit record (see exotic/kvm.h).  The VMs and memslots are in kvm.c.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "kvm_internal.h"

/* --------------------------------------------------------------- vCPUs */

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = !code, .s = 1, .l = code, .g = 1,
	};
}

/* The long-mode state every program starts from (EFER without SVME). */
static int vcpu_set_sregs(struct exotic_vcpu *vcpu)
{
	struct kvm_sregs sr;
	int ret;

	ret = kvm_ioctl(vcpu->fd, KVM_GET_SREGS, &sr);
	if (ret)
		return ret;
	seg(&sr.cs, SEL_CODE, 11, true);
	seg(&sr.ds, SEL_DATA, 3, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.tr = (struct kvm_segment){
		.base = sys_gpa(SYS_TSS), .limit = 0x67, .selector = SEL_TSS,
		.type = 11, .present = 1,
	};
	sr.ldt = (struct kvm_segment){ .type = 2, .unusable = 1 };
	sr.gdt.base = sys_gpa(SYS_GDT);
	sr.gdt.limit = SEL_TSS + 16 - 1;
	sr.idt.base = sys_gpa(SYS_IDT);
	sr.idt.limit = 32 * 16 - 1;
	sr.cr0 = L1_CR0;
	sr.cr3 = sys_gpa(SYS_PML4);
	sr.cr4 = L1_CR4;
	sr.efer = L1_EFER;
	return kvm_ioctl(vcpu->fd, KVM_SET_SREGS, &sr);
}

static int vcpu_set_entry(struct exotic_vcpu *vcpu, uint64_t rip)
{
	uint64_t area = sys_gpa(vcpu_area(vcpu->id));
	struct kvm_regs regs = {
		.rip = rip,
		.rsp = area + VCPU_STACK_TOP,
		.rdi = area + VCPU_BLOCK,
		.r15 = area + VCPU_BLOCK,
		.rflags = 2,
	};

	return kvm_ioctl(vcpu->fd, KVM_SET_REGS, &regs);
}

int exotic_vcpu_reset(struct exotic_vcpu *vcpu, uint64_t rip)
{
	int ret;

	/*
	 * KVM finishes an I/O or MMIO exit on the next KVM_RUN; do that now
	 * (immediate_exit returns -EINTR right after) so it does not land on
	 * the new registers.
	 */
	vcpu->run->immediate_exit = 1;
	ret = kvm_ioctl(vcpu->fd, KVM_RUN, NULL);
	vcpu->run->immediate_exit = 0;
	if (ret && ret != -EINTR)
		return ret;
	ret = vcpu_set_sregs(vcpu);
	if (ret)
		return ret;
	return vcpu_set_entry(vcpu, rip);
}

EXOTIC_EXPORT int exotic_vcpu_new(struct exotic_vm *vm, uint32_t id,
				  struct exotic_vcpu **vcpup)
{
	struct exotic_vcpu *vcpu;
	void *run;
	int ret;

	if (!vm || !vcpup)
		return -EINVAL;
	*vcpup = NULL;
	if (id >= EXOTIC_VM_MAX_VCPUS) {
		exotic_err(vm->ctx, "vcpu %u: ids are 0..%u\n", id,
			   EXOTIC_VM_MAX_VCPUS - 1);
		return -EINVAL;
	}
	pthread_mutex_lock(&vm->lock);
	if (vm->vcpu_ids & (1ULL << id)) {
		pthread_mutex_unlock(&vm->lock);
		exotic_err(vm->ctx, "vcpu %u already exists in this VM\n", id);
		return -EEXIST;
	}
	vm->vcpu_ids |= 1ULL << id;
	pthread_mutex_unlock(&vm->lock);

	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return -ENOMEM;
	vcpu->refcount = 1;
	vcpu->id = id;
	vcpu->fd = -1;
	vcpu->run = MAP_FAILED;
	vcpu->vm = exotic_vm_ref(vm);

	ret = kvm_ioctl(vm->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)id);
	if (ret < 0) {
		exotic_err(vm->ctx, "vcpu %u: KVM_CREATE_VCPU: %s\n", id, strerror(-ret));
		goto err;
	}
	vcpu->fd = ret;
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	if (run == MAP_FAILED) {
		ret = exotic_neg_errno();
		exotic_err(vm->ctx, "vcpu %u: cannot map kvm_run: %s\n", id, strerror(-ret));
		goto err;
	}
	vcpu->run = run;
	ret = kvm_ioctl(vcpu->fd, KVM_SET_CPUID2, vm->cpuid);
	if (ret) {
		exotic_err(vm->ctx, "vcpu %u: KVM_SET_CPUID2: %s\n", id, strerror(-ret));
		goto err;
	}
	ret = vcpu_set_sregs(vcpu);
	if (!ret)
		ret = vcpu_set_entry(vcpu, code_gpa(exotic_guest_idle));
	if (ret) {
		exotic_err(vm->ctx, "vcpu %u: cannot set up long mode: %s\n", id,
			   strerror(-ret));
		goto err;
	}
	*vcpup = vcpu;
	return 0;
err:
	exotic_vcpu_unref(vcpu);
	return ret;
}

EXOTIC_DEFINE_REF(exotic_vcpu, exotic_vcpu_ref)

EXOTIC_EXPORT struct exotic_vcpu *exotic_vcpu_unref(struct exotic_vcpu *vcpu)
{
	if (!vcpu || !exotic_refcount_put(&vcpu->refcount))
		return NULL;
	if (vcpu->run != MAP_FAILED)
		munmap(vcpu->run, vcpu->vm->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	exotic_vm_unref(vcpu->vm);
	free(vcpu);
	return NULL;
}

EXOTIC_EXPORT int exotic_vcpu_get_fd(const struct exotic_vcpu *vcpu)
{
	return vcpu ? vcpu->fd : -EINVAL;
}

EXOTIC_EXPORT uint32_t exotic_vcpu_get_id(const struct exotic_vcpu *vcpu)
{
	return vcpu ? vcpu->id : 0;
}

EXOTIC_EXPORT struct exotic_vm *exotic_vcpu_get_vm(const struct exotic_vcpu *vcpu)
{
	return vcpu ? vcpu->vm : NULL;
}

/* ----------------------------------------------------------------- run */

static void read_ucall(struct exotic_vcpu *vcpu, struct exotic_exit *exit)
{
	const uint8_t *b = vcpu_block(vcpu);
	uint64_t type = get64(b, B_UC_TYPE);
	uint64_t nargs = get64(b, B_UC_NARGS);

	exit->ucall = type >= EXOTIC_UCALL_SYNC && type <= EXOTIC_UCALL_EXCEPTION ?
		      (uint32_t)type : EXOTIC_UCALL_NONE;
	exit->nargs = nargs > EXOTIC_UCALL_MAX_ARGS ? EXOTIC_UCALL_MAX_ARGS : (uint32_t)nargs;
	for (uint32_t i = 0; i < exit->nargs; i++)
		exit->args[i] = get64(b, B_UC_ARGS + 8 * i);
	if (exit->ucall == EXOTIC_UCALL_ASSERT) {
		uint64_t file = get64(b, B_UC_FILE);

		exit->line = (uint32_t)get64(b, B_UC_LINE);
		/* The file name lives in the code copy: only trust it there. */
		if (file >= sys_gpa(SYS_CODE) &&
		    file < sys_gpa(SYS_CODE + SYS_CODE_MAX) - sizeof(exit->file))
			snprintf(exit->file, sizeof(exit->file), "%s",
				 (const char *)vcpu->vm->sys + (file - EXOTIC_VM_SYSTEM_GPA));
		else
			snprintf(exit->file, sizeof(exit->file), "?");
	}
}

/*
 * Where was the guest?  Best effort: RIP, and for the range programs their
 * cursor (%rsi holds the gpa of the word being accessed) and counters
 * (%r11, %r12, %r13), see guest/programs.S.
 */
static void where(struct exotic_vcpu *vcpu, struct exotic_exit *exit)
{
	struct kvm_regs regs;

	if (kvm_ioctl(vcpu->fd, KVM_GET_REGS, &regs))
		return;
	exit->rip = regs.rip;
	if (vcpu->program == EXOTIC_GUEST_WALK || vcpu->program == EXOTIC_GUEST_WRITE ||
	    vcpu->program == EXOTIC_GUEST_CHECKSUM) {
		exit->access_gpa = regs.rsi;
		exit->progress[0] = regs.r11;
	}
	if (vcpu->program == EXOTIC_GUEST_WALK) {
		exit->progress[1] = regs.r12;
		exit->progress[2] = regs.r13;
	}
}

EXOTIC_EXPORT int exotic_vcpu_run(struct exotic_vcpu *vcpu,
				  struct exotic_exit *exit)
{
	struct kvm_run *run;
	int ret;

	if (!vcpu || !exit)
		return -EINVAL;
	memset(exit, 0, sizeof(*exit));
	exit->reason = KVM_EXIT_UNKNOWN;
	exit->access_gpa = EXOTIC_NO_GPA;
	run = vcpu->run;
	ret = kvm_ioctl(vcpu->fd, KVM_RUN, NULL);
	if (ret) {
		where(vcpu, exit);
		exotic_dbg(vcpu->vm->ctx, "vcpu %u: KVM_RUN: %s at rip 0x%llx gpa 0x%llx\n",
			   vcpu->id, strerror(-ret), (unsigned long long)exit->rip,
			   (unsigned long long)exit->access_gpa);
		return ret;
	}
	exit->reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.port == EXOTIC_UCALL_PORT &&
		    run->io.direction == KVM_EXIT_IO_OUT) {
			read_ucall(vcpu, exit);
			if (exit->ucall != EXOTIC_UCALL_NONE)
				return 0;
		}
		exit->io_port = run->io.port;
		exit->io_size = run->io.size;
		exit->io_out = run->io.direction == KVM_EXIT_IO_OUT;
		break;
	case KVM_EXIT_MMIO:
		exit->mmio_addr = run->mmio.phys_addr;
		exit->mmio_len = run->mmio.len;
		exit->mmio_write = run->mmio.is_write;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->hw_reason = run->fail_entry.hardware_entry_failure_reason;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->suberror = run->internal.suberror;
		break;
	default:
		break;
	}
	where(vcpu, exit);
	return 0;
}

static const char *const ucall_names[] = {
	[EXOTIC_UCALL_SYNC] = "sync",
	[EXOTIC_UCALL_ASSERT] = "assert",
	[EXOTIC_UCALL_DONE] = "done",
	[EXOTIC_UCALL_POISON] = "poison",
	[EXOTIC_UCALL_EXCEPTION] = "exception",
};

const char *kvm_exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN: return "unknown";
	case KVM_EXIT_IO: return "io";
	case KVM_EXIT_HLT: return "hlt";
	case KVM_EXIT_MMIO: return "mmio";
	case KVM_EXIT_SHUTDOWN: return "shutdown";
	case KVM_EXIT_FAIL_ENTRY: return "fail-entry";
	case KVM_EXIT_INTR: return "intr";
	case KVM_EXIT_INTERNAL_ERROR: return "internal-error";
	case KVM_EXIT_SYSTEM_EVENT: return "system-event";
	default: return NULL;
	}
}

EXOTIC_EXPORT const char *exotic_exit_describe(const struct exotic_exit *exit,
					       char *buf, size_t len)
{
	const char *name;
	size_t n;

	if (!buf || !len)
		return buf;
	if (!exit) {
		snprintf(buf, len, "(no exit)");
		return buf;
	}
	if (exit->ucall != EXOTIC_UCALL_NONE && exit->ucall <= EXOTIC_UCALL_EXCEPTION) {
		n = (size_t)snprintf(buf, len, "ucall %s", ucall_names[exit->ucall]);
		if (exit->ucall == EXOTIC_UCALL_ASSERT && n < len)
			n += (size_t)snprintf(buf + n, len - n, " at %s:%u", exit->file,
					      exit->line);
		for (uint32_t i = 0; i < exit->nargs && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s0x%llx",
					      i ? ", " : " {",
					      (unsigned long long)exit->args[i]);
		if (exit->nargs && n < len)
			snprintf(buf + n, len - n, "}");
		return buf;
	}
	name = kvm_exit_name(exit->reason);
	if (name)
		n = (size_t)snprintf(buf, len, "exit %s", name);
	else
		n = (size_t)snprintf(buf, len, "exit %u", exit->reason);
	if (n >= len)
		return buf;
	switch (exit->reason) {
	case KVM_EXIT_MMIO:
		snprintf(buf + n, len - n, " %s 0x%llx/%u at rip 0x%llx",
			 exit->mmio_write ? "write" : "read",
			 (unsigned long long)exit->mmio_addr, exit->mmio_len,
			 (unsigned long long)exit->rip);
		break;
	case KVM_EXIT_IO:
		snprintf(buf + n, len - n, " %s port 0x%x/%u at rip 0x%llx",
			 exit->io_out ? "out" : "in", exit->io_port, exit->io_size,
			 (unsigned long long)exit->rip);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(buf + n, len - n, " hw reason 0x%llx",
			 (unsigned long long)exit->hw_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(buf + n, len - n, " suberror %u at rip 0x%llx", exit->suberror,
			 (unsigned long long)exit->rip);
		break;
	default:
		n += (size_t)snprintf(buf + n, len - n, " at rip 0x%llx",
				      (unsigned long long)exit->rip);
		if (exit->access_gpa != EXOTIC_NO_GPA && n < len)
			snprintf(buf + n, len - n, " accessing gpa 0x%llx",
				 (unsigned long long)exit->access_gpa);
		break;
	}
	return buf;
}
