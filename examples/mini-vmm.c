// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mini-vmm: the smallest VMM that puts exotic memory behind a guest.
 *
 * It backs a guest RAM slot with an exotic region of the chosen kind and
 * mapping method (or with anonymous memory: --kind anon), runs one of
 * libexotic's built-in guest programs over it and prints what the guest
 * saw next to what the host sees.  A VMM does the same in four steps:
 *
 *	exotic_new(&ctx);				a context (log, errors)
 *	exotic_device_open(ctx, &dev);			/dev/exotic
 *	exotic_region_new(dev, &params, &region);	allocate + mmap
 *	exotic_vm_add_region_slot(vm, 0, gpa, region, 0);  guest RAM
 *
 * and the rest is KVM as usual (here through exotic_vm_* / exotic_vcpu_*).
 *
 * Build: make (links build/lib/libexotic.a; pkg-config libexotic when
 * installed).  Exit status: 0 the guest and the host agree, 1 they do not
 * (or the guest asserted), 2 usage or setup error, 3 KVM_RUN failed (for
 * example EFAULT: KVM would not map that memory).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <exotic/exotic.h>

#include "cli.h"

#define SLOT_GPA	(1ULL << 30)

struct opts {
	int kind;		/* 0: anonymous memory */
	int method;
	uint64_t length;
	unsigned int order;
	int program;
	uint64_t seed;
	uint64_t stride;
	uint64_t vmcb_offset;
	bool verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mini-vmm [options]\n"
		"  -k, --kind K        anon, refcounted, compound, noncompound, reserved, carveout [anon]\n"
		"  -m, --method M      remap, fault, huge, mixed, page                         [fault]\n"
		"  -l, --length N      guest RAM bytes (K, M, G suffixes)                      [2M]\n"
		"  -o, --order N       block order for compound, noncompound, reserved         [0]\n"
		"  -p, --program P     walk, write, checksum, vmrun                            [walk]\n"
		"  -s, --seed N        stamp seed                                              [1]\n"
		"  -S, --stride N      bytes between the words the guest touches               [4096]\n"
		"  -V, --vmcb-offset N vmrun: VMCB offset in guest RAM                        [4096]\n"
		"  -v, --verbose       log libexotic's debug messages\n"
		"  -h, --help\n");
}

/* *out = value, the value of name arg (-1: none), or a message and -EINVAL. */
static int by_name(const char *what, const char *arg, int value, int *out)
{
	if (value < 0) {
		fprintf(stderr, "mini-vmm: unknown %s '%s'\n", what, arg);
		return -EINVAL;
	}
	*out = value;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "method", required_argument, NULL, 'm' },
		{ "length", required_argument, NULL, 'l' },
		{ "order", required_argument, NULL, 'o' },
		{ "program", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "stride", required_argument, NULL, 'S' },
		{ "vmcb-offset", required_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	*o = (struct opts){ .method = EXOTIC_MAP_FAULT, .length = 2 << 20,
			    .program = EXOTIC_GUEST_WALK, .seed = 1, .stride = 4096,
			    .vmcb_offset = 4096 };
	while ((c = getopt_long(argc, argv, "k:m:l:o:p:s:S:V:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (by_name("kind", optarg, strcmp(optarg, "anon") ?
				    exotic_kind_from_name(optarg) : 0, &o->kind))
				return -EINVAL;
			break;
		case 'm':
			if (by_name("method", optarg, exotic_method_from_name(optarg), &o->method))
				return -EINVAL;
			break;
		case 'p':
			if (by_name("program", optarg, exotic_guest_program_from_name(optarg),
				    &o->program))
				return -EINVAL;
			break;
		case 'l': case 'o': case 's': case 'S': case 'V':
			if (cli_size(optarg, &v)) {
				fprintf(stderr, "mini-vmm: -%c: '%s' is not a number\n", c, optarg);
				return -EINVAL;
			}
			if (c == 'l')
				o->length = v;
			else if (c == 'o')
				o->order = (unsigned int)v;
			else if (c == 's')
				o->seed = v;
			else if (c == 'S')
				o->stride = v;
			else
				o->vmcb_offset = v;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mini-vmm: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->program == EXOTIC_GUEST_VMRUN &&
	    (o->vmcb_offset % 4096 || o->vmcb_offset >= o->length)) {
		fprintf(stderr, "mini-vmm: --vmcb-offset must be a page inside guest RAM\n");
		return -EINVAL;
	}
	return 0;
}

/* Run until the program finishes; print poison reports as they come. */
static int run(struct exotic_vcpu *vcpu, struct exotic_exit *exit)
{
	char buf[256];
	int ret;

	for (;;) {
		ret = exotic_vcpu_run(vcpu, exit);
		if (ret)
			return ret;
		if (exit->ucall == EXOTIC_UCALL_POISON)
			printf("  guest: poison of epoch %llu at gpa 0x%llx\n",
			       (unsigned long long)exit->args[1],
			       (unsigned long long)exit->args[0]);
		else if (exit->ucall != EXOTIC_UCALL_SYNC)
			break;
	}
	if (exit->ucall != EXOTIC_UCALL_DONE)
		printf("  guest stopped: %s\n", exotic_exit_describe(exit, buf, sizeof(buf)));
	return 0;
}

/* What the driver says about the page behind a guest address. */
static void describe_page(struct exotic_region *region, uint64_t offset)
{
	struct exotic_page pg;

	if (!region || exotic_region_query(region, offset & ~4095ULL, &pg, 1) != 1)
		return;
	printf("  that page: pfn 0x%llx", (unsigned long long)pg.pfn);
	if (!(pg.flags & EXOTIC_PAGE_HAS_STRUCT)) {
		printf(", no struct page\n");
		return;
	}
	printf(", refcount %d%s%s%s%s\n", pg.refcount,
	       pg.flags & EXOTIC_PAGE_RESERVED ? ", reserved" : "",
	       pg.flags & EXOTIC_PAGE_HEAD ? ", compound head" : "",
	       pg.flags & EXOTIC_PAGE_TAIL ? ", compound tail" : "",
	       pg.flags & EXOTIC_PAGE_BLOCK_TAIL ? ", not the first page of its block" : "");
}

/* Prints the outcome; returns the exit status. */
static int report(const struct opts *o, struct exotic_vcpu *vcpu, uint8_t *ram,
		  struct exotic_region *region)
{
	struct exotic_guest_params p = {
		.gpa = SLOT_GPA, .len = o->length, .stride = o->stride, .seed = o->seed,
	};
	struct exotic_exit exit;
	uint64_t host, bad;
	size_t words = o->length / o->stride;
	int ret;

	if (o->program == EXOTIC_GUEST_VMRUN) {
		p = (struct exotic_guest_params){ .vmcb_gpa = SLOT_GPA + o->vmcb_offset };
	} else if (o->program != EXOTIC_GUEST_WRITE) {
		/* Give the guest something to read: the host's stamps. */
		exotic_guest_fill(ram, SLOT_GPA, o->length, o->stride, o->seed);
	}
	ret = exotic_guest_load(vcpu, o->program, &p);
	if (ret) {
		fprintf(stderr, "mini-vmm: %s\n", exotic_strerror(ret));
		return 2;
	}
	ret = run(vcpu, &exit);
	if (ret) {
		printf("  KVM_RUN failed: %s (%s)\n", strerror(-ret), exotic_strerror(ret));
		if (exit.access_gpa != EXOTIC_NO_GPA) {
			printf("  the guest was accessing gpa 0x%llx (offset 0x%llx)\n",
			       (unsigned long long)exit.access_gpa,
			       (unsigned long long)(exit.access_gpa - SLOT_GPA));
			describe_page(region, exit.access_gpa - SLOT_GPA);
		}
		return 3;
	}
	if (exit.ucall != EXOTIC_UCALL_DONE)
		return 1;

	switch (o->program) {
	case EXOTIC_GUEST_WALK:
		printf("  guest read %zu words: %llu held the host's stamps, %llu poison in flight, %llu detections\n",
		       words, (unsigned long long)exit.args[0],
		       (unsigned long long)exit.args[1], (unsigned long long)exit.args[2]);
		return exit.args[0] == words ? 0 : 1;
	case EXOTIC_GUEST_WRITE:
		host = exotic_guest_verify(ram, SLOT_GPA, o->length, o->stride, o->seed, &bad);
		printf("  guest wrote %llu words; the host sees %llu of them",
		       (unsigned long long)exit.args[0], (unsigned long long)host);
		if (bad != ~0ULL)
			printf(" (first missing at gpa 0x%llx)", (unsigned long long)bad);
		printf("\n");
		return host == words ? 0 : 1;
	case EXOTIC_GUEST_CHECKSUM:
		host = exotic_guest_checksum(ram, o->length, o->stride);
		printf("  guest checksum 0x%016llx, host checksum 0x%016llx: %s\n",
		       (unsigned long long)exit.args[0], (unsigned long long)host,
		       exit.args[0] == host ? "same" : "DIFFERENT");
		return exit.args[0] == host ? 0 : 1;
	default:
		printf("  nested VMRUN with the VMCB at gpa 0x%llx: %s\n",
		       (unsigned long long)p.vmcb_gpa,
		       exotic_probe_result_name(exit.args[0]) ? exotic_probe_result_name(exit.args[0]) : "?");
		describe_page(region, o->vmcb_offset);
		return 0;
	}
}

int main(int argc, char **argv)
{
	struct exotic_ctx *ctx = NULL;
	struct exotic_device *dev = NULL;
	struct exotic_region *region = NULL;
	struct exotic_vm *vm = NULL;
	struct exotic_vcpu *vcpu = NULL;
	struct opts o;
	void *ram;
	int ret, status = 2;

	if (parse_opts(argc, argv, &o))
		return 2;
	ret = exotic_new(&ctx);
	if (ret) {
		fprintf(stderr, "mini-vmm: %s\n", exotic_strerror(ret));
		return 2;
	}
	if (o.verbose)
		exotic_set_log_priority(ctx, 7);

	ret = exotic_vm_new(ctx, &vm);
	if (ret)
		goto out;
	if (o.kind == 0) {
		ret = exotic_vm_add_anon_slot(vm, 0, SLOT_GPA, o.length, 0, &ram);
		if (ret)
			goto out;
		printf("guest RAM: %llu KiB of anonymous memory at gpa 0x%llx\n",
		       (unsigned long long)o.length >> 10, SLOT_GPA);
	} else {
		struct exotic_region_params rp = {
			.kind = (uint32_t)o.kind, .method = (uint32_t)o.method,
			.length = o.length, .order = o.order,
		};

		ret = exotic_device_open(ctx, &dev);
		if (!ret)
			ret = exotic_region_new(dev, &rp, &region);
		if (!ret)
			ret = exotic_vm_add_region_slot(vm, 0, SLOT_GPA, region, 0);
		if (ret)
			goto out;
		ram = exotic_region_addr(region);
		printf("guest RAM: %llu KiB of %s memory (order %u) mapped by %s at gpa 0x%llx\n",
		       (unsigned long long)o.length >> 10, exotic_kind_name(o.kind),
		       o.order, exotic_method_name(o.method), SLOT_GPA);
	}
	ret = exotic_vcpu_new(vm, 0, &vcpu);
	if (ret)
		goto out;
	printf("program: %s\n", exotic_guest_program_name(o.program));
	status = report(&o, vcpu, ram, region);
out:
	if (ret)
		fprintf(stderr, "mini-vmm: %s\n", exotic_strerror(ret));
	exotic_vcpu_unref(vcpu);
	exotic_vm_unref(vm);
	exotic_region_unref(region);
	exotic_device_unref(dev);
	exotic_unref(ctx);
	return status;
}
