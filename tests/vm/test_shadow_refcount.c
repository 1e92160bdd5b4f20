// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * KVM's shadow paging (kvm_amd.npt=0) on exotic memory (run in the test VM:
 * scripts/vm-run --append kvm_amd.npt=0 -- test_shadow_refcount; with TDP
 * the same checks run and must hold as well).
 *
 * prefetch: a reserved x page region (vm_insert_page() of PG_reserved
 *   pages into a normal vma, so GUP takes references on them) backs a
 *   memslot that the guest maps with 4 KiB page tables the test writes (the
 *   library's own tables map 2 MiB pages, which shadow paging prefetches
 *   through the direct path).  The guest writes every page; each shadow
 *   page fault prefetches the neighbouring guest PTEs through
 *   FNAME(prefetch_gpte), which looks the PFN up with GUP.  Once the VM is
 *   gone every page must have the refcount the kit's judge (pageref.c)
 *   gives it: kernel-patches/6.1 up to 0011 leaks one reference per
 *   prefetched page (kvm_release_pfn_clean() does not put a reserved page);
 *   0012 drops exactly the reference the lookup took.  Stock 6.1 and 6.12
 *   leak on the fault path as well (a known bug): printed, not asserted.
 *
 * tail: a non-compound x remap region (blocks of 4 pages, tail pages at
 *   refcount 0).  Patched 6.1 maps such pages only where an SPTE can record
 *   that they are not refcounted (bit 55), i.e. with TDP on a 64-bit host:
 *   under shadow paging the guest's access to the first tail page fails
 *   KVM_RUN with EFAULT (0011; up to 0010 it was mapped, in shadow pages
 *   that PAE roots share); with TDP it maps.  Stock 6.1 refuses them in
 *   both modes.
 *
 * pae_switch: why 0011 matters.  The guest writes a tail page in long mode
 *   through the 4 KiB page table, switches to PAE paging on the same page
 *   directories and writes the head page (whose fault links the long-mode
 *   shadow page of that page table under the PAE root) and the tail page
 *   again.  Up to 0010 the tail page's SPTE from long mode has bit 55 set,
 *   reserved in PAE format: KVM reports "reserved bits set on MMU-present
 *   spte", WARNs and fails KVM_RUN with EINVAL.  With 0011 (and on stock)
 *   the first write fails with EFAULT; with TDP the guest reaches its end.
 *
 * Judged on 6.1 (stock and kernel-patches/6.1) and on the upstream-shadow
 * profile, Debian's 7.3 under shadow paging (measured): 7.3 takes no
 * reference on VM_PFNMAP memory and keeps nothing about refcounts in its
 * SPTEs, so prefetch leaks nothing, the tail page maps, and pae_switch's
 * guest reaches its end (the OUT to DONE_PORT, 0xe9).  Elsewhere the
 * outcomes are printed, not judged.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <linux/kvm.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "exotic/profile.h"
#include "../../libexotic/pageref.h"
#include "guest_run.h"
#include "vm_env.h"

#define REGION_GPA	(1ULL << 30)
#define REGION_LEN	(2ULL << 20)
#define PAGES		(REGION_LEN / 4096)
#define PT_GPA		(2ULL << 30)	/* the region's 4 KiB page table */
#define PT_SLOT_LEN	8192		/* the page table, PAE's PDPT */
#define SYS_PD		0x2000		/* libexotic/guest/abi.h */
#define SYS_GDT		0x12000		/* libexotic/guest/abi.h */
#define PDPT_GPA	(PT_GPA + 4096)	/* PAE's page-directory-pointer table */
#define CODE_GPA	(256ULL << 20)	/* the mode switch's code */
#define SEL_CODE32	0x28		/* after the library's 64-bit TSS */
#define DONE_PORT	0xe9

/*
 * The mode switch, copied to CODE_GPA and entered in 64-bit mode: write
 * the region's first two pages (a non-compound block's head and its first
 * tail page) through the 4 KiB page table, leave long mode through a 32-bit
 * code segment, enter PAE paging with a PDPT whose entries are the
 * library's page directories (so the same page directory and page table
 * gfns, and the shadow pages made for them in long mode), write the tail
 * page again and report on DONE_PORT.  The head page is written first in
 * PAE mode: its fault links the page table's shadow page, made in long mode,
 * under the PAE root, so that the tail page's SPTE from long mode is the one
 * the next write uses.  Addresses are those of the #defines above.
 */
extern const unsigned char pae_switch_start[], pae_switch_end[];
__asm__(
	".pushsection .rodata.pae_switch, \"a\"\n"
	"pae_switch_start:\n"
	".code64\n"
	"	movq $0x1111, %rax\n"
	"	movq %rax, 0x40000000\n"
	"	movq %rax, 0x40001000\n"
	"	ljmpl *pae_far(%rip)\n"
	"pae_far:\n"
	"	.long 0x10000000 + (pae_compat - pae_switch_start)\n"
	"	.word 0x28\n"
	".code32\n"
	"pae_compat:\n"
	"	movw $0x10, %ax\n"
	"	movw %ax, %ds\n"
	"	movw %ax, %es\n"
	"	movw %ax, %ss\n"
	"	movl %cr0, %eax\n"
	"	andl $0x7fffffff, %eax\n"
	"	movl %eax, %cr0\n"
	"	movl $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	andl $0xfffffeff, %eax\n"
	"	wrmsr\n"
	"	movl $0x80001000, %eax\n"
	"	movl %eax, %cr3\n"
	"	movl %cr0, %eax\n"
	"	orl $0x80000000, %eax\n"
	"	movl %eax, %cr0\n"
	"	jmp 1f\n"
	"1:	movl $0x2222, %eax\n"
	"	movl %eax, 0x40000000\n"
	"	movl %eax, 0x40001000\n"
	"	movw $0xe9, %dx\n"
	"	outb %al, %dx\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	"pae_switch_end:\n"
	".code64\n"
	".popsection\n");


/* 'Y', 'N', or 0 without kvm_amd */
static char npt(void)
{
	FILE *f = fopen("/sys/module/kvm_amd/parameters/npt", "r");
	int c;

	if (!f)
		return 0;
	c = fgetc(f);
	fclose(f);
	return c == 'Y' || c == '1' ? 'Y' : 'N';
}

/* The running KVM: 1 patched 6.1, 0 stock 6.1, -1 anything else. */
static int patched_61(void)
{
	FILE *f = fopen("/sys/module/kvm/parameters/allow_unsafe_mappings", "r");
	struct utsname u;
	bool is61;

	if (uname(&u))
		return -1;
	is61 = !strncmp(u.release, "6.1.", 4);
	if (f)
		fclose(f);
	if (!is61)
		return -1;
	return f ? 1 : 0;
}

/* What a test's outcome is judged as: the KVMs this suite pins down. */
enum judged {
	STOCK_61 = 0,		/* stock 6.1 */
	PATCHED_61 = 1,		/* 6.1 with kernel-patches/6.1 */
	UPSTREAM_SHADOW = 2,	/* Debian's 7.3 with kvm_amd.npt=0 (measured) */
};

/*
 * Is this the upstream-shadow profile (kernels/profiles.tsv): Debian's 7.x
 * and its own KVM under shadow paging?  7.3 takes no reference on
 * VM_PFNMAP memory at all (hva_to_pfn_remapped() -> kvm_resolve_pfn() with
 * no page) and its SPTEs record nothing about the page's refcount, so
 * shadow paging has nothing to refuse or to get wrong across a mode switch.
 */
static bool upstream_shadow(void)
{
	const struct exotic_profile *p = exotic_profile_current();

	return p && !strcmp(p->name, "upstream-shadow") && npt() == 'N';
}

/*
 * What a test printed is judged on 6.1 (its KVM and kernel-patches/6.1)
 * and on upstream-shadow, where it was measured: elsewhere the test skips.
 */
static enum judged judged(const char *what)
{
	int patched = patched_61();

	if (patched < 0 && upstream_shadow())
		return UPSTREAM_SHADOW;
	if (patched < 0) {
		print_message("neither 6.1 nor upstream-shadow: this suite pins down 6.1's KVM, kernel-patches/6.1 and 7.3's KVM under shadow paging; the %s printed, not judged\n",
			      what);
		skip();
	}
	return patched ? PATCHED_61 : STOCK_61;
}

static void prepare(struct region_vm *f, unsigned int kind, unsigned int method,
		    unsigned int order)
{
	struct exotic_region_params rp = {
		.kind = kind, .method = method, .length = REGION_LEN, .order = order,
	};
	int ret;

	ret = exotic_kvm_available(f->ctx);
	vm_env_need(!ret, "no usable /dev/kvm: %s\n", exotic_strerror(ret));
	ret = exotic_device_open(f->ctx, &f->dev);
	vm_env_need(!ret, "no exotic device: %s\n", exotic_strerror(ret));
	assert_int_equal(exotic_region_new(f->dev, &rp, &f->region), 0);
	assert_int_equal(exotic_vm_new(f->ctx, &f->vm), 0);
	assert_int_equal(exotic_vm_add_region_slot(f->vm, 0, REGION_GPA, f->region, 0), 0);
	assert_int_equal(exotic_vcpu_new(f->vm, 0, &f->vcpu), 0);
	print_message("# %s/%s, %s\n", exotic_kind_name(kind), exotic_method_name(method),
		      npt() == 'N' ? "shadow paging (kvm_amd.npt=0)" : "TDP");
}

/*
 * Map [REGION_GPA, +2 MiB) with 4 KiB guest PTEs, accessed and dirty (shadow
 * paging prefetches only accessed PTEs), from a page table in a slot of its
 * own, instead of the library's 2 MiB page.
 */
static uint64_t *map_4k(struct region_vm *f)
{
	uint64_t *pt, *pde;
	void *hva;

	assert_int_equal(exotic_vm_add_anon_slot(f->vm, 1, PT_GPA, PT_SLOT_LEN, 0, &hva), 0);
	pt = hva;
	for (uint64_t i = 0; i < PAGES; i++)
		pt[i] = (REGION_GPA + i * 4096) | 0x63;	/* P RW A D */
	assert_int_equal(exotic_vm_gpa_to_hva(f->vm, EXOTIC_VM_SYSTEM_GPA + SYS_PD +
					      (REGION_GPA >> 30) * 4096 +
					      ((REGION_GPA >> 21) & 511) * 8, 8, &hva), 0);
	pde = hva;
	assert_int_equal(*pde, REGION_GPA | 0x83);	/* the library's 2 MiB page */
	*pde = PT_GPA | 0x03;
	return pt;
}

/* Sum of |refcount - judge| over the region, and the pages that differ. */
static uint64_t excess(struct region_vm *f, uint64_t *bad_pages)
{
	struct exotic_page *pg = calloc(PAGES, sizeof(*pg));
	uint64_t sum;

	assert_non_null(pg);
	assert_int_equal(exotic_region_query(f->region, 0, pg, PAGES), (int)PAGES);
	sum = pageref_excess(exotic_region_kind(f->region), exotic_region_method(f->region),
			     exotic_region_order(f->region), pg, PAGES);
	*bad_pages = 0;
	for (size_t i = 0; i < PAGES; i++) {
		int e = pageref_expected(exotic_region_kind(f->region),
					 exotic_region_method(f->region),
					 exotic_region_order(f->region), pg, i, PAGES);

		if (e >= 0 && pg[i].refcount != e && (*bad_pages)++ < 4)
			print_message("# page %zu: refcount %d, judge %d, mapcount %d\n",
				      i, pg[i].refcount, e, pg[i].mapcount);
	}
	free(pg);
	return sum;
}

static void test_prefetch(void **state)
{
	struct region_vm *f = *state;
	struct exotic_guest_params p = {
		.gpa = REGION_GPA, .len = REGION_LEN, .seed = 0x5eed,
	};
	struct exotic_exit exit;
	uint64_t before, after, bad;
	enum judged patched;

	prepare(f, EXOTIC_KIND_RESERVED, EXOTIC_MAP_PAGE, 0);
	map_4k(f);
	/*
	 * The driver inserts its pages on fault: write them all from the host
	 * first, so that their PTEs are present and writable and the GUP fast
	 * path, all that prefetch may use, finds every one of them.
	 */
	exotic_guest_fill(exotic_region_addr(f->region), REGION_GPA, REGION_LEN, 0, 1);
	before = excess(f, &bad);
	assert_int_equal(before, 0);

	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), 0);
	assert_int_equal(exotic_vcpu_run(f->vcpu, &exit), 0);
	assert_exit_done(&exit);
	assert_int_equal(exit.args[0], PAGES);
	/* the host sees what the guest wrote */
	assert_int_equal(exotic_guest_verify(exotic_region_addr(f->region), REGION_GPA,
					     REGION_LEN, 0, p.seed, NULL), PAGES);

	/* KVM holds no reference for its SPTEs: the VM's end changes nothing */
	f->vcpu = exotic_vcpu_unref(f->vcpu);
	f->vm = exotic_vm_unref(f->vm);
	after = excess(f, &bad);
	print_message("# refcount excess after the VM: %" PRIu64 " on %" PRIu64 " of %llu pages\n",
		      after, bad, PAGES);
	patched = judged("figures above are");
	if (patched == STOCK_61) {
		/*
		 * Stock 6.1's known leak (kernel-patches/6.1 0009 fixes it):
		 * every reserved page KVM looked up keeps the GUP reference,
		 * through the fault path or through prefetch alike.
		 */
		print_message("# stock 6.1: one leaked reference per page, the known leak 0009 fixes\n");
		assert_int_equal(after, PAGES);
		assert_int_equal(bad, PAGES);
		return;
	}
	/*
	 * patched 6.1 from 0012 on; 7.3: kvm_mmu_prefetch_sptes() puts every
	 * page kvm_prefetch_pages() got, and the fault path's
	 * kvm_release_faultin_page() the one it got
	 */
	assert_int_equal(after, 0);
}

static void test_tail(void **state)
{
	struct region_vm *f = *state;
	struct exotic_guest_params p = {
		.gpa = REGION_GPA, .len = REGION_LEN, .seed = 0x7a11,
	};
	struct exotic_exit exit;
	enum judged patched;
	int ret;
	bool shadow = npt() == 'N';
	char buf[256];

	prepare(f, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_REMAP, 2);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), 0);
	ret = exotic_vcpu_run(f->vcpu, &exit);
	if (ret)
		print_message("# KVM_RUN: %s at gpa 0x%" PRIx64 "\n", exotic_strerror(ret),
			      exit.access_gpa);
	else
		print_message("# guest: %s\n", exotic_exit_describe(&exit, buf, sizeof(buf)));
	patched = judged("outcome above is");
	if ((patched == PATCHED_61 && !shadow) || patched == UPSTREAM_SHADOW) {
		/*
		 * patched 6.1 with TDP records the page in bit 55 of its SPTE;
		 * 7.3 takes no reference and records nothing: mapped
		 */
		assert_int_equal(ret, 0);
		assert_int_equal(exit.ucall, EXOTIC_UCALL_DONE);
		assert_int_equal(exit.args[0], PAGES);
		return;
	}
	/* stock 6.1, or patched 6.1 under shadow paging: the first tail page is refused */
	assert_int_equal(ret, -EFAULT);
	assert_int_equal(exit.access_gpa, REGION_GPA + 4096);
}

/*
 * PAE reuse: indirect shadow pages are found by gfn and role, and the role
 * has no long-mode bit, so after a switch from 4-level to PAE paging on the
 * same page directories the PAE root links the shadow pages made under the
 * 4-level root.  An SPTE with bit 55 set there is a reserved-bit fault in
 * PAE format.  Patched 6.1 under shadow paging must refuse the tail page in
 * long mode already (EFAULT); with TDP the guest paging mode does not
 * matter, and the tail page maps in both modes.
 */
static void test_pae_switch(void **state)
{
	struct region_vm *f = *state;
	size_t len = (size_t)(pae_switch_end - pae_switch_start);
	enum judged patched;
	int ret, fd;
	bool shadow = npt() == 'N';
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct exotic_exit exit;
	uint64_t *pt, *gdt;
	char buf[256];
	void *code;

	prepare(f, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_REMAP, 2);
	pt = map_4k(f);
	for (uint64_t i = 0; i < 4; i++)	/* PDPTEs: present only */
		pt[512 + i] = (EXOTIC_VM_SYSTEM_GPA + SYS_PD + i * 4096) | 1;
	assert_true(len <= 4096);
	assert_int_equal(exotic_vm_add_anon_slot(f->vm, 2, CODE_GPA, 4096, 0, &code), 0);
	memcpy(code, pae_switch_start, len);
	assert_int_equal(exotic_vm_gpa_to_hva(f->vm, EXOTIC_VM_SYSTEM_GPA + SYS_GDT + SEL_CODE32,
					      8, (void **)&gdt), 0);
	*gdt = 0x00cf9b000000ffffULL;	/* flat 32-bit code */

	fd = exotic_vcpu_get_fd(f->vcpu);
	assert_int_equal(ioctl(fd, KVM_GET_SREGS, &sregs), 0);
	sregs.gdt.limit = SEL_CODE32 + 8 - 1;
	assert_int_equal(ioctl(fd, KVM_SET_SREGS, &sregs), 0);
	assert_int_equal(ioctl(fd, KVM_GET_REGS, &regs), 0);
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	assert_int_equal(ioctl(fd, KVM_SET_REGS, &regs), 0);

	ret = exotic_vcpu_run(f->vcpu, &exit);
	if (ret)
		print_message("# KVM_RUN: %s at rip 0x%" PRIx64 " (%s mode)\n", exotic_strerror(ret),
			      exit.rip, exit.rip < CODE_GPA + 0x23 ? "64-bit" : "32-bit");
	else
		print_message("# guest: %s\n", exotic_exit_describe(&exit, buf, sizeof(buf)));
	patched = judged("outcome above is");
	/*
	 * Patched 6.1 with TDP; 7.3 under shadow paging (measured): its SPTEs
	 * have no bit that PAE format reserves, so the long-mode SPTE of the
	 * tail page serves under the PAE root and the guest reaches its OUT to
	 * DONE_PORT (0xe9) with the tail page written in both modes
	 */
	if ((patched == PATCHED_61 && !shadow) || patched == UPSTREAM_SHADOW) {
		uint64_t *tail = (uint64_t *)((uint8_t *)exotic_region_addr(f->region) + 4096);

		assert_int_equal(ret, 0);
		assert_int_equal(exit.reason, KVM_EXIT_IO);
		assert_int_equal(exit.io_port, DONE_PORT);
		assert_int_equal(*tail, 0x2222);
		return;
	}
	/* stock 6.1, or patched 6.1 under shadow paging: refused in long mode */
	assert_int_equal(ret, -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prefetch, region_vm_setup, region_vm_teardown),
		cmocka_unit_test_setup_teardown(test_tail, region_vm_setup, region_vm_teardown),
		cmocka_unit_test_setup_teardown(test_pae_switch, region_vm_setup, region_vm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
