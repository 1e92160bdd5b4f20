// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-bench: instances.  One VM and one vCPU serve the whole run (a VM
 * per measurement would make KVM enable and disable virtualization each
 * time, which under TCG is slow and has wedged the test VM: exotic/runner.h).
 * Each instance is fresh memory behind the bench memslot: an anonymous
 * mmap (2 MiB aligned, so THP can back it where the host allows) or an
 * exotic region of the kind and method being measured.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "exotic/exotic.h"
#include "bench.h"

#define TWO_MIB	(2UL << 20)

static int fail(struct bench *b, int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
	n = strlen(b->err);
	snprintf(b->err + n, sizeof(b->err) - n, ": %s", exotic_strerror(err));
	return err;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bench_open(struct bench *b)
{
	int ret = exotic_new(&b->ctx);

	if (ret)
		return fail(b, ret, "context");
	ret = exotic_kvm_available(b->ctx);
	if (ret)
		return fail(b, ret, "KVM");
	ret = exotic_device_open(b->ctx, &b->dev);
	if (ret)
		return fail(b, ret, "the exotic device");
	ret = exotic_vm_new(b->ctx, &b->vm);
	if (ret)
		return fail(b, ret, "a VM");
	ret = exotic_vcpu_new(b->vm, 0, &b->vcpu);
	if (ret)
		return fail(b, ret, "a vCPU");
	return 0;
}

void bench_close(struct bench *b)
{
	exotic_vcpu_unref(b->vcpu);
	exotic_vm_unref(b->vm);
	exotic_device_unref(b->dev);
	exotic_unref(b->ctx);
	b->vcpu = NULL;
	b->vm = NULL;
	b->dev = NULL;
	b->ctx = NULL;
}

const char *anon_describe(uint32_t method, enum anon_thp thp)
{
	if (thp == ANON_THP_DEFAULT)
		return "anonymous mmap, the host's THP setting";
	return method == EXOTIC_MAP_HUGE ? "anonymous mmap, MADV_HUGEPAGE" :
					   "anonymous mmap, MADV_NOHUGEPAGE";
}

void inst_prefault(struct instance *in, size_t step)
{
	for (size_t off = 0; off < in->len; off += step)
		*(volatile uint64_t *)((char *)in->hva + off) = 0;
}

int inst_new(struct bench *b, struct instance *in, uint32_t kind, uint32_t method,
	     uint32_t order, size_t len, enum anon_thp thp, bool populate)
{
	int ret;

	memset(in, 0, sizeof(*in));
	in->kind = kind;
	in->method = method;
	in->order = order;
	in->len = len;
	if (!kind) {
		uintptr_t a;

		in->map_len = len + TWO_MIB;
		in->map = mmap(NULL, in->map_len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (in->map == MAP_FAILED) {
			in->map = NULL;
			return fail(b, -errno, "anonymous mmap of %zu MiB", len >> 20);
		}
		a = ((uintptr_t)in->map + TWO_MIB - 1) & ~(uintptr_t)(TWO_MIB - 1);
		in->hva = (void *)a;
		if (thp == ANON_THP_MATCH &&
		    madvise(in->hva, len, method == EXOTIC_MAP_HUGE ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
			ret = fail(b, -errno, "madvise of the anonymous mmap");
			inst_free(b, in);
			return ret;
		}
		/* MAP_POPULATE would fault the pages in before the madvise():
		 * the same with MADV_POPULATE_WRITE, after it */
		if (populate && madvise(in->hva, len, MADV_POPULATE_WRITE)) {
			ret = fail(b, -errno, "MADV_POPULATE_WRITE of the anonymous mmap");
			inst_free(b, in);
			return ret;
		}
		ret = exotic_vm_add_slot(b->vm, BENCH_SLOT, BENCH_GPA, in->hva, len, 0);
	} else {
		struct exotic_region_params p = {
			.kind = kind, .method = method, .order = order, .length = len,
		};

		ret = exotic_region_new(b->dev, &p, &in->region);
		if (ret) {
			in->region = NULL;
			return fail(b, ret, "%s %s region of %zu MiB, order %u",
				    exotic_kind_name(kind), exotic_method_name(method),
				    len >> 20, order);
		}
		in->hva = exotic_region_addr(in->region);
		ret = exotic_vm_add_region_slot(b->vm, BENCH_SLOT, BENCH_GPA, in->region, 0);
	}
	if (ret) {
		fail(b, ret, "memslot of %zu MiB", len >> 20);
		inst_free(b, in);
		return ret;
	}
	in->slotted = true;
	return 0;
}

void inst_free(struct bench *b, struct instance *in)
{
	if (in->slotted)
		exotic_vm_delete_slot(b->vm, BENCH_SLOT);
	in->slotted = false;
	if (in->map)
		munmap(in->map, in->map_len);
	in->map = NULL;
	exotic_region_unref(in->region);
	in->region = NULL;
}

int inst_invalidate(struct bench *b, struct instance *in)
{
	int ret;

	if (!in->region) {
		if (madvise(in->hva, in->len, MADV_DONTNEED))
			return fail(b, -errno, "MADV_DONTNEED");
		return 0;
	}
	ret = exotic_region_invalidate(in->region, 0, 0, NULL);
	return ret ? fail(b, ret, "invalidate") : 0;
}

int inst_migrate(struct bench *b, struct instance *in, double *waited)
{
	int ret;

	*waited = 0;
	if (!in->region)
		return fail(b, -EINVAL, "migrate: anonymous memory has no such event");
	for (int tries = 0;; tries++) {
		struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
		double t0;

		ret = exotic_region_migrate(in->region, 0, 0, NULL);
		if ((ret != -ENOMEM && ret != -ENOSPC) || tries == 10)
			break;
		t0 = now_s();
		nanosleep(&ts, NULL);
		*waited += now_s() - t0;
	}
	return ret ? fail(b, ret, "migrate") : 0;
}

int inst_replace(struct bench *b, struct instance *in, enum anon_thp thp, double *waited)
{
	struct instance old = *in;
	int ret;

	*waited = 0;
	if (in->region) {
		ret = exotic_region_revoke(in->region, NULL);
		if (ret)
			return fail(b, ret, "revoke");
	}
	inst_free(b, &old);
	for (int tries = 0;; tries++) {
		struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
		double t0;

		ret = inst_new(b, in, old.kind, old.method, old.order, old.len, thp, false);
		if ((ret != -ENOMEM && ret != -ENOSPC) || tries == 10)
			return ret;
		t0 = now_s();
		nanosleep(&ts, NULL);
		*waited += now_s() - t0;
	}
}

int guest_run(struct bench *b, int program, size_t len, size_t stride,
	      unsigned int passes, double *secs)
{
	struct exotic_guest_params gp = {
		.gpa = BENCH_GPA, .len = len, .stride = stride, .seed = b->seed,
		.passes = passes,
	};
	struct exotic_exit ex;
	char desc[160];
	double t0;
	int ret;

	ret = exotic_guest_load(b->vcpu, program, &gp);
	if (ret)
		return fail(b, ret, "loading guest program %s", exotic_guest_program_name(program));
	t0 = now_s();
	for (;;) {
		ret = exotic_vcpu_run(b->vcpu, &ex);
		if (ret) {
			*secs += now_s() - t0;
			return fail(b, ret, "KVM_RUN (%s at gpa 0x%llx)",
				    exotic_guest_program_name(program),
				    (unsigned long long)ex.access_gpa);
		}
		if (ex.ucall == EXOTIC_UCALL_DONE)
			break;
		if (ex.ucall == EXOTIC_UCALL_SYNC)
			continue;
		*secs += now_s() - t0;
		snprintf(b->err, sizeof(b->err), "%s: unexpected exit: %s",
			 exotic_guest_program_name(program),
			 exotic_exit_describe(&ex, desc, sizeof(desc)));
		return -EPROTO;
	}
	*secs += now_s() - t0;
	return 0;
}
