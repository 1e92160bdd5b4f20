// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-fuzz --emit-c: a stream of ops as a standalone C reproducer, as
 * syzkaller writes them.  The file is repro-prelude.h (the ops as direct
 * syscalls, the tables and the end checks; embedded below, with the
 * driver's uapi header and touch.h in place of its #includes), the
 * library's refcount judge (pageref.h and pageref.c), followed by
 * what KVM may fault in on this profile and a main() that makes one call
 * per op with the op's own fields: it resolves slots at run time as
 * exec.c does, so it replays the same ops whatever the calls return.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "exotic/exotic.h"
#include "exotic/storm.h"
#include "fuzz.h"

/*
 * repro-prelude.h and the two files it #includes, embedded (paths relative
 * to the top of the tree where make runs); fuzz_emit_prelude() writes
 * each of those files in place of its #include line.
 */
#define EMBED(sym, file)						\
	__asm__(".section .rodata.exotic_fuzz_embed, \"a\"\n"		\
		".globl " #sym "\n"					\
		".hidden " #sym "\n"					\
		#sym ":\n"						\
		".incbin \"" file "\"\n"					\
		".byte 0\n"						\
		".previous\n");						\
	extern const char sym[]

EMBED(fuzz_repro_prelude, "examples/exotic-fuzz/repro-prelude.h");
EMBED(fuzz_repro_uapi, "driver/include/uapi/exotic_uapi.h");
EMBED(fuzz_repro_touch, "examples/exotic-fuzz/touch.h");

static const struct {
	const char *line;
	const char *text;
} prelude_includes[] = {
	{ "#include \"exotic_uapi.h\"\n", fuzz_repro_uapi },
	{ "#include \"touch.h\"\n", fuzz_repro_touch },
};

void fuzz_emit_prelude(FILE *out)
{
	const char *p = fuzz_repro_prelude;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		const char *text = NULL;

		for (size_t i = 0; i < sizeof(prelude_includes) / sizeof(prelude_includes[0]); i++)
			if (strlen(prelude_includes[i].line) == len &&
			    !memcmp(p, prelude_includes[i].line, len))
				text = prelude_includes[i].text;
		if (text)
			fputs(text, out);
		else
			fwrite(p, 1, len, out);
		p += len;
	}
}

/* the refcount judge probe.c uses, from the library */
EMBED(fuzz_repro_pageref_h, "libexotic/pageref.h");
EMBED(fuzz_repro_pageref_c, "libexotic/pageref.c");

/*
 * text without the #include lines of what the reproducer has already (any
 * other #include "..." stays, and the reproducer's build says it is missing)
 */
static void emit_without_includes(FILE *out, const char *text)
{
	static const char *const written[] = {
		"#include \"exotic_uapi.h\"\n", "#include \"pageref.h\"\n",
	};

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) + 1 : strlen(text);
		bool drop = false;

		for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++)
			drop |= strlen(written[i]) == len && !memcmp(text, written[i], len);
		if (!drop)
			fwrite(text, 1, len, out);
		text += len;
	}
}

/* probe.h and probe.c, as they are compiled into the fuzzer */
__asm__(".section .rodata.exotic_fuzz_probe, \"a\"\n"
	".globl fuzz_repro_probe_h\n"
	".hidden fuzz_repro_probe_h\n"
	"fuzz_repro_probe_h:\n"
	".incbin \"examples/exotic-fuzz/probe.h\"\n"
	".byte 0\n"
	".globl fuzz_repro_probe_c\n"
	".hidden fuzz_repro_probe_c\n"
	"fuzz_repro_probe_c:\n"
	".incbin \"examples/exotic-fuzz/probe.c\"\n"
	".byte 0\n"
	".previous\n");
extern const char fuzz_repro_probe_h[], fuzz_repro_probe_c[];

static bool outcome_ok(int o)
{
	return o == EXOTIC_OUT_MAPPED || o == EXOTIC_OUT_EFAULT;
}

static void emit_op(FILE *out, const struct fuzz_op *op)
{
	char line[128];

	fuzz_op_format(op, line, sizeof(line));
	fprintf(out, "\t/* %s */\n\t", line);
	switch (op->type) {
	case OP_OPEN: fprintf(out, "op_open(%u, %u, %u);\n", op->fd, op->a, op->b); break;
	case OP_CLOSE: fprintf(out, "op_close(%u);\n", op->fd); break;
	case OP_VERSION: fprintf(out, "op_version(%u, %u);\n", op->fd, op->a); break;
	case OP_ALLOC:
		fprintf(out, "op_alloc(%u, %u, %uU, %uU, %uU, %" PRIu64 "ULL, %" PRIu64 "ULL);\n",
			op->fd, op->reg, op->a, op->b, op->c, op->x, op->y);
		break;
	case OP_EVENT:
		fprintf(out, "op_event(%u, %u, %uU, %uU, %uU, %" PRIu64 "ULL, %" PRIu64 "ULL);\n",
			op->fd, op->reg, op->a, op->b, op->c, op->x, op->y);
		break;
	case OP_INFO: fprintf(out, "op_info(%u, %u);\n", op->fd, op->reg); break;
	case OP_QUERY:
		fprintf(out, "op_query(%u, %u, %uU, %uU, %" PRIu64 "ULL, %" PRIu64 "ULL);\n",
			op->fd, op->reg, op->a, op->b, op->x, op->y);
		break;
	case OP_MMAP:
		fprintf(out, "op_mmap(%u, %u, %uU, %uU, %uU, %" PRIu64 "ULL, %" PRIu64 "ULL);\n",
			op->reg, op->map, op->a, op->b, op->c, op->x, op->y);
		break;
	case OP_MUNMAP:
		fprintf(out, "op_munmap(%u, %" PRIu64 "ULL, %" PRIu64 "ULL);\n", op->map, op->x, op->y);
		break;
	case OP_MPROTECT:
	case OP_MADVISE:
	case OP_TOUCH:
	case OP_GUP:
		fprintf(out, "op_%s(%u, %uU, %" PRIu64 "ULL, %" PRIu64 "ULL);\n",
			fuzz_op_name(op->type), op->map, op->a, op->x, op->y);
		break;
	case OP_MREMAP: fprintf(out, "op_mremap(%u, %uU);\n", op->map, op->a); break;
	case OP_FORK: fprintf(out, "op_fork(%u, %" PRIu64 "ULL);\n", op->map, op->x); break;
	case OP_PARAM: fprintf(out, "op_param(%uU, %uU);\n", op->a, op->b); break;
	case OP_BADIOCTL: fprintf(out, "op_badioctl(%u, %uU);\n", op->fd, op->a); break;
	case OP_DUP: fprintf(out, "op_dup(%u, %uU, %uU);\n", op->fd, op->a, op->c); break;
	case OP_KVM:
		fprintf(out, "op_kvm(%u, %uU, %uU, %uU, %" PRIu64 "ULL);\n",
			op->map, op->a, op->b, op->c, op->x);
		break;
	case OP_ODIRECT:
	case OP_IOURING:
		fprintf(out, "op_%s(%u, %uU, %uU, %" PRIu64 "ULL, %" PRIu64 "ULL);\n",
			fuzz_op_name(op->type), op->map, op->a, op->c, op->x, op->y);
		break;
	case OP_PROBE:
		fprintf(out, "op_probe(%uU, %uU, %uU, %" PRIu64 "ULL);\n", op->a, op->b, op->c, op->x);
		break;
	default:
		fprintf(out, "/* unknown op */\n");
		break;
	}
}

int fuzz_emit_c(const char *path, const char *source, const struct fuzz_op *ops,
		size_t n, const char *profile, bool known_bugs)
{
	FILE *out = fopen(path, "w");

	if (!out)
		return -errno;
	fprintf(out, "// SPDX-License-Identifier: GPL-2.0\n"
		"/*\n * exotic-fuzz reproducer: %zu op(s) of %s, emitted by exotic-fuzz --emit-c.\n"
		" * Build: cc -static -o repro THIS.c (libc and kernel uapi headers only).\n"
		" * Run as root in a machine with exotic.ko loaded ($EXOTIC_DEVICE, or\n"
		" * /dev/exotic); /dev/kvm, /dev/ram0 and io_uring are used if present.\n"
		" */\n", n, source);
	fuzz_emit_prelude(out);
	emit_without_includes(out, fuzz_repro_pageref_h);
	emit_without_includes(out, fuzz_repro_pageref_c);
	fputs(fuzz_repro_probe_h, out);
	fputs(fuzz_repro_probe_c, out);
	fputs("\n/* An op_probe(): probe.c's check, its finding counted as the others. */\n"
	      "static void op_probe(uint32_t mode, uint32_t kind, uint32_t method, uint64_t seed)\n{\n"
	      "\tconst struct fuzz_probe_env env = { .dev = dev, .root = geteuid() == 0,\n"
	      "\t\t\t\t\t     .access = guarded_access, .map = repro_probe_map };\n"
	      "\tchar msg[400];\n\n"
	      "\tif (fuzz_probe(&env, mode % PROBE_MODES, kind, method, seed, msg, sizeof(msg)) ==\n"
	      "\t    PROBE_FOUND) {\n"
	      "\t\tprintf(\"repro: FINDING: %s\\n\", msg);\n"
	      "\t\tfindings++;\n\t}\n}\n", out);
	/* [kind][method][block tail]: no known KVM bug (exec.c: kvm_safe()) */
	fprintf(out, "\n/* What KVM may fault in on profile %s%s */\n"
		"static const unsigned char kvm_ok_tab[8][8][2] = {\n",
		profile ? profile : "(none)", known_bugs ? " (--known-bugs: all)" : "");
	for (unsigned int k = 0; k < 8; k++)
		for (unsigned int m = 0; m < 8; m++) {
			int head = profile ? exotic_storm_expect(profile, k, m, false) : -1;
			int tail = profile ? exotic_storm_expect(profile, k, m, true) : -1;

			if (known_bugs || outcome_ok(head) || outcome_ok(tail))
				fprintf(out, "\t[%u][%u] = { %d, %d },\n", k, m,
					known_bugs || outcome_ok(head), known_bugs || outcome_ok(tail));
		}
	fprintf(out, "};\n\n"
		"static int kvm_safe(int s)\n{\n"
		"\tconst unsigned char *t;\n\n"
		"\tif (regs[s].kind >= 8 || regs[s].method >= 8)\n\t\treturn 0;\n"
		"\tt = kvm_ok_tab[regs[s].kind][regs[s].method];\n"
		"\treturn t[0] && (regs[s].order ? t[1] : t[0]);\n}\n\n"
		"int main(void)\n{\n\trepro_start();\n");
	for (size_t i = 0; i < n; i++)
		emit_op(out, &ops[i]);
	fprintf(out, "\treturn repro_end();\n}\n");
	if (fclose(out))
		return -errno;
	return 0;
}
