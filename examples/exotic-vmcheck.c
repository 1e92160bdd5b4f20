// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-vmcheck: is this host's virtualisation sound enough to judge
 * exotic memory on?  No exotic.ko involved.
 *
 * vCPU threads run libexotic's write program over 8 MiB of guest memory,
 * pass after pass, while an invalidation thread replaces random 16 KiB
 * pieces of it, so that KVM zaps and rebuilds its nested page tables under
 * running vCPUs: what the storm does with exotic memory, minus exotic.ko.
 * The memory is anonymous (dropped with MADV_DONTNEED), or with --devmem
 * BASE a VM_PFNMAP|VM_IO mapping of physical memory through /dev/mem
 * (remapped with mmap(MAP_FIXED), which zaps the old piece): the path
 * KVM's hva_to_pfn_remapped() takes, for a memmap= range no driver owns.
 * The guest programs' page tables, IDT and stacks never change, so a
 * triple fault (KVM_EXIT_SHUTDOWN) or a vCPU that stops returning is the
 * platform's: the CPU (or the emulator that plays it) or KVM.  An EFAULT
 * from KVM_RUN fails anonymous memory; on /dev/mem it is counted (KVM's
 * lookup race, which the storm reports as a known bug) and retried.
 *
 * Exit status: 0 sound, 1 a failure was seen, 2 usage, 3 could not run.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <exotic/exotic.h>

#define SLOT_GPA	(1ULL << 30)
#define SLOT_LEN	(8ULL << 20)
#define PIECE		(16ULL << 10)
#define MAX_VCPUS	8
#define HANG_S		20

struct check {
	struct exotic_vm *vm;
	void *hva;
	int devmem;			/* /dev/mem fd, or -1: anonymous memory */
	uint64_t base;			/* physical address behind hva (devmem) */
	unsigned int seconds;
	uint64_t efaults;		/* atomic (devmem) */
	int stop;			/* atomic */
	int failed;			/* atomic */
	uint64_t drops;			/* atomic */
	struct timespec start;
};

struct vcpu_thread {
	struct check *c;
	struct exotic_vcpu *vcpu;
	unsigned int id;
	pthread_t thread;
	uint64_t passes;		/* atomic */
	uint64_t beat;			/* atomic: ms of the last return from KVM_RUN */
};

static uint64_t now_ms(const struct timespec *since)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - since->tv_sec) * 1000 +
	       (uint64_t)((t.tv_nsec - since->tv_nsec) / 1000000);
}

static void fail(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	printf("exotic-vmcheck: FAILED at %.3f s: ", (double)now_ms(&c->start) / 1000);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	__atomic_store_n(&c->failed, 1, __ATOMIC_RELEASE);
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *v = arg;
	struct check *c = v->c;
	struct exotic_guest_params p = {
		.gpa = SLOT_GPA, .len = SLOT_LEN, .stride = 4096, .passes = 1,
	};
	struct exotic_exit exit;
	char buf[160];
	int ret;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		ret = exotic_guest_load(v->vcpu, EXOTIC_GUEST_WRITE, &p);
		if (ret) {
			fail(c, "vcpu %u: cannot load the write program: %s", v->id, strerror(-ret));
			return NULL;
		}
		do {
			ret = exotic_vcpu_run(v->vcpu, &exit);
			__atomic_store_n(&v->beat, now_ms(&c->start), __ATOMIC_RELEASE);
		} while (ret == -EINTR);
		if (ret == -EFAULT && c->devmem >= 0) {
			__atomic_add_fetch(&c->efaults, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (ret) {
			fail(c, "vcpu %u: KVM_RUN failed with %s at gpa 0x%llx (anonymous memory always maps)",
			     v->id, strerror(-ret), (unsigned long long)exit.access_gpa);
			return NULL;
		}
		if (exit.ucall != EXOTIC_UCALL_DONE) {
			fail(c, "vcpu %u: %s after %llu passes%s", v->id,
			     exotic_exit_describe(&exit, buf, sizeof(buf)),
			     (unsigned long long)__atomic_load_n(&v->passes, __ATOMIC_ACQUIRE),
			     exit.reason == KVM_EXIT_SHUTDOWN ?
			     ": a triple fault the guest program cannot cause" : "");
			return NULL;
		}
		__atomic_add_fetch(&v->passes, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *drop_main(void *arg)
{
	struct check *c = arg;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t off = (x % (SLOT_LEN / PIECE)) * PIECE;
		char *piece = (char *)c->hva + off;

		if (c->devmem < 0 && madvise(piece, PIECE, MADV_DONTNEED)) {
			fail(c, "madvise(MADV_DONTNEED): %s", strerror(errno));
			return NULL;
		}
		if (c->devmem >= 0 &&
		    mmap(piece, PIECE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 c->devmem, (off_t)(c->base + off)) == MAP_FAILED) {
			fail(c, "mmap(/dev/mem, MAP_FIXED): %s", strerror(errno));
			return NULL;
		}
		__atomic_add_fetch(&c->drops, 1, __ATOMIC_RELAXED);
		nanosleep(&(struct timespec){ .tv_nsec = 200000 }, NULL);
	}
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: exotic-vmcheck [options]\n"
		"  -c, --vcpus N      vCPU threads, 1..%d                 [2]\n"
		"  -t, --duration S   seconds                            [30]\n"
		"  -d, --devmem BASE  /dev/mem at physical BASE (a memmap= range) instead\n"
		"                     of anonymous memory\n"
		"  -h, --help\n"
		"exit status: 0 sound, 1 a failure was seen, 2 usage, 3 could not run\n",
		MAX_VCPUS);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vcpus", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 't' },
		{ "devmem", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct vcpu_thread v[MAX_VCPUS] = { 0 };
	struct check c = { .seconds = 30, .devmem = -1 };
	const char *devmem = NULL;
	unsigned int nvcpus = 2, started = 0;
	struct exotic_ctx *ctx = NULL;
	uint64_t passes = 0;
	pthread_t drop;
	bool dropping = false, stuck = false;
	char *end;
	int opt, ret, status = 3;

	while ((opt = getopt_long(argc, argv, "c:t:d:h", longopts, NULL)) != -1) {
		unsigned long n;

		switch (opt) {
		case 'c':
		case 't':
			errno = 0;
			n = strtoul(optarg, &end, 0);
			if (errno || *end || !n || (opt == 'c' && n > MAX_VCPUS) || n > 86400) {
				fprintf(stderr, "exotic-vmcheck: bad -%c '%s' (see --help)\n", opt, optarg);
				return 2;
			}
			if (opt == 'c')
				nvcpus = (unsigned int)n;
			else
				c.seconds = (unsigned int)n;
			break;
		case 'd':
			errno = 0;
			c.base = strtoull(optarg, &end, 0);
			if (errno || *end || c.base % 4096) {
				fprintf(stderr, "exotic-vmcheck: bad --devmem '%s': a page-aligned physical address\n", optarg);
				return 2;
			}
			devmem = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "exotic-vmcheck: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}

	if (devmem) {
		c.devmem = open("/dev/mem", O_RDWR | O_CLOEXEC);
		c.hva = c.devmem < 0 ? MAP_FAILED :
			mmap(NULL, SLOT_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			     c.devmem, (off_t)c.base);
		if (c.hva == MAP_FAILED) {
			fprintf(stderr, "exotic-vmcheck: cannot map /dev/mem at %s: %s\n",
				devmem, strerror(errno));
			return 3;
		}
	}
	ret = exotic_new(&ctx);
	if (!ret)
		ret = exotic_vm_new(ctx, &c.vm);
	if (!ret && devmem)
		ret = exotic_vm_add_slot(c.vm, 0, SLOT_GPA, c.hva, SLOT_LEN, 0);
	else if (!ret)
		ret = exotic_vm_add_anon_slot(c.vm, 0, SLOT_GPA, SLOT_LEN, 0, &c.hva);
	for (unsigned int i = 0; !ret && i < nvcpus; i++) {
		v[i] = (struct vcpu_thread){ .c = &c, .id = i };
		ret = exotic_vcpu_new(c.vm, i, &v[i].vcpu);
	}
	if (ret) {
		fprintf(stderr, "exotic-vmcheck: cannot set up a VM: %s\n", exotic_strerror(ret));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &c.start);
	for (; started < nvcpus; started++)
		if (pthread_create(&v[started].thread, NULL, vcpu_main, &v[started]))
			break;
	dropping = !pthread_create(&drop, NULL, drop_main, &c);
	if (started < nvcpus || !dropping) {
		fprintf(stderr, "exotic-vmcheck: cannot start threads\n");
		c.failed = 1;
	}

	while (!__atomic_load_n(&c.failed, __ATOMIC_ACQUIRE) &&
	       now_ms(&c.start) < (uint64_t)c.seconds * 1000) {
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
		for (unsigned int i = 0; i < started; i++) {
			uint64_t beat = __atomic_load_n(&v[i].beat, __ATOMIC_ACQUIRE);

			if (now_ms(&c.start) > beat + HANG_S * 1000) {
				fail(&c, "vcpu %u has not come back from KVM_RUN for %d s", i, HANG_S);
				goto stop;
			}
		}
	}
stop:
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	if (dropping)
		pthread_join(drop, NULL);
	for (unsigned int i = 0; i < started; i++) {
		struct timespec deadline;

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += HANG_S;
		if (pthread_timedjoin_np(v[i].thread, NULL, &deadline)) {
			fail(&c, "vcpu %u did not come back from KVM_RUN at the end", i);
			pthread_detach(v[i].thread);
			stuck = true;
			continue;
		}
		passes += v[i].passes;
	}
	printf("exotic-vmcheck: %u vCPUs, %.1f s, %llu passes over %llu MiB of %s, %llu %s of 16 KiB, %llu EFAULT retried: %s\n",
	       nvcpus, (double)now_ms(&c.start) / 1000, (unsigned long long)passes,
	       (unsigned long long)(SLOT_LEN >> 20), devmem ? "/dev/mem" : "anonymous memory",
	       (unsigned long long)__atomic_load_n(&c.drops, __ATOMIC_ACQUIRE),
	       devmem ? "remaps" : "MADV_DONTNEED",
	       (unsigned long long)__atomic_load_n(&c.efaults, __ATOMIC_ACQUIRE),
	       c.failed ? "FAILED" : "sound");
	status = c.failed ? 1 : 0;
	if (c.failed && started < nvcpus)
		status = 3;
out:
	if (stuck)		/* a thread is still in KVM_RUN: leave it all */
		return status;
	for (unsigned int i = 0; i < nvcpus; i++)
		exotic_vcpu_unref(v[i].vcpu);
	exotic_vm_unref(c.vm);
	exotic_unref(ctx);
	return status;
}
