// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-fuzz: threads sending /dev/exotic what a hostile process would
 * (ops.c), then the oracles: no call fails with an error it may not give,
 * no page is found with a wrong refcount when the driver frees it, every
 * byte comes back once every file is closed, and the kernel log stays
 * clean (BUG, WARNING, KASAN, lockdep, bad page, ...).
 *
 * With one thread the run is a function of the seed: --record writes the
 * ops, --replay runs a file of them, and --minimize shrinks a failing file
 * to a shorter one that still fails, each try in a child process.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exotic/exotic.h"
#include "exotic/storm.h"
#include "cli.h"
#include "fuzz.h"
#include "probe.h"

#define QPARAM	"/sys/module/exotic/parameters/quarantine_ms"
#define APARAM	"/sys/module/exotic/parameters/inject_alloc_fail"

struct opts {
	unsigned int seconds, threads;
	uint64_t ops, seed;
	const char *dev, *record, *replay, *minimize, *emit_c, *json_file;
	bool verbose, known_bugs;
};

struct worker {
	struct fuzz *f;
	const struct opts *o;
	unsigned int id;
	uint64_t deadline_ms, done, hash;
	FILE *record;
};

static uint64_t now_ms(void)
{
	return fuzz_now_ms();
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: exotic-fuzz [options]\n"
"  -t, --time SECONDS     how long to run                              [30]\n"
"  -n, --ops N            stop each thread after N ops (0: by time)    [0]\n"
"  -j, --threads N        threads sharing the files and mappings       [2]\n"
"  -s, --seed N           the run's seed (printed; 0: from the clock)  [0]\n"
"  -d, --device PATH      the device                         [/dev/exotic]\n"
"      --record FILE      write the ops to FILE (one thread only)\n"
"      --replay FILE      run the ops in FILE instead (one thread)\n"
"      --minimize FILE    shrink a failing ops FILE; writes FILE.min\n"
"      --emit-c FILE      with --replay: write its ops as a standalone C\n"
"                         reproducer to FILE (direct syscalls, libc and\n"
"                         kernel uapi headers only) instead of running them\n"
"      --known-bugs       let KVM memslots over kinds the profile's KVM is\n"
"                         known to WARN, leak or oops on\n"
"      --json-file FILE   also write the run's result to FILE as JSON\n"
"                         (schema exotic-fuzz/1: seed, threads, ops, ms,\n"
"                         findings, first_finding_s, finding)\n"
"  -v, --verbose          print each op as it runs\n"
"ops (drawn from the seed): open close dup version alloc event info query\n"
"  badioctl param (the device); mmap munmap mprotect mremap madvise touch\n"
"  fork gup (vmsplice, process_vm_readv/writev) (the mappings); kvm (one\n"
"  VM: memslots over mappings added, moved, deleted, a vCPU reading them;\n"
"  skipped without /dev/kvm); odirect (O_DIRECT I/O between /dev/ram0 and\n"
"  a mapping; skipped without it: modprobe brd); iouring (fixed buffers\n"
"  over a mapping registered and unregistered)\n"
"exit status: 0 clean, 1 a finding, 2 usage, 3 no device to fuzz\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 'j' },
		{ "seed", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "record", required_argument, NULL, 'R' },
		{ "replay", required_argument, NULL, 'P' },
		{ "minimize", required_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "known-bugs", no_argument, NULL, 'K' },
		{ "emit-c", required_argument, NULL, 'C' },
		{ "json-file", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, bad;

	*o = (struct opts){ .seconds = 30, .threads = 2, .dev = "/dev/exotic" };
	while ((c = getopt_long(argc, argv, "t:n:j:s:d:vh", longopts, NULL)) != -1) {
		bad = 0;
		switch (c) {
		case 't': bad = cli_u32(optarg, 0, 86400 * 7, &o->seconds); break;
		case 'n': bad = cli_u64(optarg, 0, UINT64_MAX, &o->ops); break;
		case 'j': bad = cli_u32(optarg, 1, 16, &o->threads); break;
		case 's': bad = cli_u64(optarg, 0, UINT64_MAX, &o->seed); break;
		case 'd': o->dev = optarg; break;
		case 'R': o->record = optarg; break;
		case 'P': o->replay = optarg; break;
		case 'M': o->minimize = optarg; break;
		case 'C': o->emit_c = optarg; break;
		case 'J': o->json_file = optarg; break;
		case 'v': o->verbose = true; break;
		case 'K': o->known_bugs = true; break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
		if (bad) {
			fprintf(stderr, "exotic-fuzz: bad value '%s' for -%c\n", optarg, c);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "exotic-fuzz: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->threads || o->threads > 16 || (!o->seconds && !o->ops)) {
		fprintf(stderr, "exotic-fuzz: --threads takes 1..16, and a run needs --time or --ops\n");
		return -EINVAL;
	}
	if ((o->record || o->replay || o->minimize) && o->threads != 1) {
		if (o->threads != 2 || o->record) {
			fprintf(stderr, "exotic-fuzz: --record, --replay and --minimize run one thread (-j 1)\n");
			return -EINVAL;
		}
		o->threads = 1;
	}
	if (o->emit_c && !o->replay) {
		fprintf(stderr, "exotic-fuzz: --emit-c writes the ops of --replay FILE\n");
		return -EINVAL;
	}
	if (!o->seed)
		o->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL | 1;
	return 0;
}

static void fuzz_init(struct fuzz *f, const struct opts *o)
{
	memset(f, 0, sizeof(*f));
	fuzz_locks_init(f);
	for (unsigned int i = 0; i < FUZZ_FDS; i++)
		f->fds[i] = -1;
	f->dev_path = o->dev;
	f->profile = exotic_storm_profile_detect();
	f->known_bugs = o->known_bugs;
	f->root = geteuid() == 0 && !access(QPARAM, W_OK);
	f->fds[0] = open(o->dev, O_RDWR | O_CLOEXEC);
}

static void run_op(struct fuzz *f, const struct fuzz_op *op, bool verbose)
{
	if (verbose) {
		char buf[128];

		fuzz_op_format(op, buf, sizeof(buf));
		fprintf(stderr, "op %s\n", buf);
	}
	fuzz_op_run(f, op);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t prng = w->o->seed ^ (0x9e3779b97f4a7c15ULL * (w->id + 1));
	struct fuzz_op op;

	fuzz_signals_init();
	if (!prng)
		prng = 1;
	while ((!w->o->ops || w->done < w->o->ops) &&
	       (!w->o->seconds || now_ms() < w->deadline_ms)) {
		fuzz_op_next(&prng, &op);
		w->hash = (w->hash ^ op.type ^ op.x << 8 ^ op.y << 24) * 0x100000001b3ULL;
		if (w->record) {
			char buf[128];

			fuzz_op_format(&op, buf, sizeof(buf));
			fprintf(w->record, "%s\n", buf);
		}
		run_op(w->f, &op, w->o->verbose);
		w->done++;
	}
	return NULL;
}

/* ------------------------------------------------------------ oracles */

static int quarantine_read(char *buf, size_t len)
{
	int fd = open(QPARAM, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	return 0;
}

static void param_write(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, v, strlen(v)) < 0)
			fprintf(stderr, "exotic-fuzz: writing %s to %s: %s\n", v, path,
				strerror(errno));
		close(fd);
	}
}

/*
 * Revoke what is still live and wait for the driver's free-time check of
 * each region; then close everything and wait for the device's bytes.
 */
static void end_checks(struct fuzz *f, const struct opts *o)
{
	struct exotic_version v;
	uint64_t t0;
	int fd;

	/* the VM's slots, the ring's pins and any I/O go first */
	fuzz_extras_release(f);
	/*
	 * No injected failure is left armed, and a short quarantine applies
	 * to what a long one queued: the waits below would see it otherwise.
	 */
	if (f->root) {
		param_write(APARAM, "0");
		param_write(QPARAM, "50");
	}
	for (unsigned int i = 0; i < FUZZ_REGIONS; i++) {
		struct fuzz_region *r = &f->regs[i];
		struct exotic_region_info info = { .handle = r->handle };
		struct exotic_event ev = { .handle = r->handle };
		int rfd = r->used ? f->fds[r->fd_slot] : -1;

		if (rfd < 0)
			continue;
		ioctl(rfd, EXOTIC_IOC_REVOKE, &ev);
		for (t0 = now_ms(); !ioctl(rfd, EXOTIC_IOC_INFO, &info) &&
		     info.quarantined && now_ms() - t0 < 10000;)
			usleep(10000);
		if (info.quarantined)
			fuzz_finding(f, "region %u: still %llu pages in quarantine 10 s after its revoke",
				     r->handle, (unsigned long long)info.quarantined);
		else if (info.refcount_anomalies && !r->unsafe)
			fuzz_finding(f, "region %u (kind %u, method %u): the driver found %llu page(s) with a wrong refcount when it freed them",
				     r->handle, info.kind, info.method,
				     (unsigned long long)info.refcount_anomalies);
	}
	for (unsigned int i = 0; i < FUZZ_MAPS; i++)
		if (f->maps[i].used)
			munmap(f->maps[i].addr, f->maps[i].len);
	for (unsigned int i = 0; i < FUZZ_FDS; i++)
		if (f->fds[i] >= 0)
			close(f->fds[i]);
	fd = open(o->dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fuzz_finding(f, "%s: cannot open it again at the end: %s", o->dev, strerror(errno));
		return;
	}
	for (t0 = now_ms(); !ioctl(fd, EXOTIC_IOC_VERSION, &v) && v.used_bytes &&
	     now_ms() - t0 < 10000;)
		usleep(10000);
	if (v.used_bytes)
		fuzz_finding(f, "%llu bytes still charged 10 s after every file was closed (a leak)",
			     (unsigned long long)v.used_bytes);
	close(fd);
}

/* The kernel log's reports since the last call (*seen: how many were). */
static void kmsg_check(struct fuzz *f, struct exotic_kmsg_watch *kw, size_t *seen)
{
	struct exotic_kmsg_finding k;
	size_t n;

	if (!kw || exotic_kmsg_watch_poll(kw, 0) < 0)
		return;
	n = exotic_kmsg_watch_count(kw, EXOTIC_KMSG_CLEAN);
	for (size_t i = *seen; i < n; i++)
		if (!exotic_kmsg_watch_get(kw, i, &k))
			fuzz_finding(f, "kernel log (%s): %s", exotic_kmsg_class_name(k.cls), k.text);
	*seen = n;
}

/* ------------------------------------------------------------ runs */

static void print_stats(const struct fuzz *f, uint64_t total, uint64_t ms)
{
	printf("exotic-fuzz: %" PRIu64 " ops in %.1f s (%.0f/s)", total, ms / 1000.0,
	       ms ? total * 1000.0 / ms : 0.0);
	for (unsigned int i = 0, n = 0; i < OP_MAX; i++)
		if (f->stats.ops[i])
			printf("%s %s %" PRIu64 "/%" PRIu64, n++ ? "," : ":", fuzz_op_name(i),
			       f->stats.ops[i] - f->stats.errors[i], f->stats.ops[i]);
	printf("; %" PRIu64 " SIGBUS/SIGSEGV taken\n", f->stats.signals);
	if (f->stats.ops[OP_KVM])
		printf("exotic-fuzz: kvm: add %" PRIu64 "/%" PRIu64 ", move %" PRIu64 "/%" PRIu64
		       ", delete %" PRIu64 "/%" PRIu64 ", run %" PRIu64 "/%" PRIu64
		       " (%" PRIu64 " EFAULT)\n",
		       f->stats.kvm_ok[0], f->stats.kvm_calls[0], f->stats.kvm_ok[1],
		       f->stats.kvm_calls[1], f->stats.kvm_ok[2], f->stats.kvm_calls[2],
		       f->stats.kvm_ok[3], f->stats.kvm_calls[3], f->stats.kvm_efault);
	if (f->stats.ops[OP_PROBE]) {
		printf("exotic-fuzz: probes with a verdict");
		for (unsigned int i = 0, n = 0; i < PROBE_MODES; i++)
			printf("%s %s %" PRIu64 "/%" PRIu64, n++ ? "," : ":", fuzz_probe_name(i),
			       f->stats.probes_judged[i], f->stats.probes[i]);
		printf("\n");
	}
}

/* The run's result for scripts (--json-file): 0, or -errno. */
static int write_json(const char *path, const struct opts *o, const struct fuzz *f,
		      uint64_t total, uint64_t ms)
{
	FILE *out = fopen(path, "w");

	if (!out)
		return -errno;
	fprintf(out, "{\"schema\": \"exotic-fuzz/1\", \"seed\": \"%#" PRIx64 "\", \"threads\": %u, "
		"\"ops\": %" PRIu64 ", \"ms\": %" PRIu64 ", \"findings\": %" PRIu64 ", \"first_finding_s\": ",
		o->seed, o->threads, total, ms, f->findings);
	if (f->findings)
		fprintf(out, "%.1f, \"finding\": ", (f->first_ms - f->start_ms) / 1000.0);
	else
		fprintf(out, "null, \"finding\": ");
	exotic_json_str(out, f->findings ? f->finding : NULL);
	fprintf(out, "}\n");
	return fclose(out) ? -errno : 0;
}

/* Run ops (a file's) or the seeded threads; returns findings. */
static uint64_t run(const struct opts *o, const struct fuzz_op *ops, size_t nops,
		    bool quiet)
{
	struct exotic_kmsg_watch *kw = NULL;
	struct worker w[16];
	pthread_t th[16];
	uint64_t t0 = now_ms(), total = 0;
	size_t kseen = 0;
	char saved_q[32] = "";
	FILE *rec = NULL;
	struct fuzz f;

	fuzz_init(&f, o);
	f.start_ms = t0;
	if (f.fds[0] < 0) {
		fprintf(stderr, "exotic-fuzz: %s: %s\n", o->dev, strerror(errno));
		exit(3);
	}
	exotic_kmsg_watch_new(NULL, NULL, 0, &kw);
	if (f.root)
		quarantine_read(saved_q, sizeof(saved_q));
	fuzz_signals_init();
	if (ops) {
		for (size_t i = 0; i < nops; i++)
			run_op(&f, &ops[i], o->verbose);
		total = nops;
	} else {
		if (o->record && !(rec = fopen(o->record, "w"))) {
			fprintf(stderr, "exotic-fuzz: %s: %s\n", o->record, strerror(errno));
			exit(2);
		}
		for (unsigned int i = 0; i < o->threads; i++) {
			w[i] = (struct worker){ .f = &f, .o = o, .id = i, .record = rec,
						.deadline_ms = t0 + o->seconds * 1000ULL };
			if (pthread_create(&th[i], NULL, worker_main, &w[i])) {
				fprintf(stderr, "exotic-fuzz: cannot start thread %u\n", i);
				exit(2);
			}
		}
		/* the kernel log as the threads run: a report's time is its own */
		while (!o->ops && now_ms() < t0 + o->seconds * 1000ULL) {
			usleep(250000);
			kmsg_check(&f, kw, &kseen);
		}
		for (unsigned int i = 0; i < o->threads; i++) {
			pthread_join(th[i], NULL);
			total += w[i].done;
		}
		if (rec)
			fclose(rec);
	}
	end_checks(&f, o);
	if (saved_q[0])
		param_write(QPARAM, saved_q);
	kmsg_check(&f, kw, &kseen);
	exotic_kmsg_watch_unref(kw);
	if (!quiet) {
		print_stats(&f, total, now_ms() - t0);
		if (!ops)
			printf("exotic-fuzz: seed %#" PRIx64 ", %u thread(s)%s\n", o->seed,
			       o->threads, o->threads == 1 ? "" : " (the interleaving is not replayable)");
		if (f.findings)
			printf("exotic-fuzz: first finding after %.1f s (the run: %u s)\n",
			       (f.first_ms - f.start_ms) / 1000.0, o->seconds);
		if (f.findings)
			printf("exotic-fuzz: FINDING: %s%s\n", f.finding,
			       f.findings > 1 ? " (and more)" : "");
		else
			printf("exotic-fuzz: clean\n");
		int err = o->json_file ? write_json(o->json_file, o, &f, total, now_ms() - t0) : 0;

		if (err)
			fprintf(stderr, "exotic-fuzz: %s: %s\n", o->json_file, strerror(-err));
	}
	return f.findings;
}

static struct fuzz_op *read_ops(const char *path, size_t *n)
{
	struct fuzz_op *ops = NULL, *more;
	size_t cap = 0;
	char line[256];
	unsigned int lineno = 0;
	FILE *in = fopen(path, "r");

	*n = 0;
	if (!in) {
		fprintf(stderr, "exotic-fuzz: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof(line), in)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			more = realloc(ops, cap * sizeof(*ops));
			if (!more)
				exit(2);
			ops = more;
		}
		if (fuzz_op_parse(line, &ops[*n])) {
			fprintf(stderr, "exotic-fuzz: %s:%u: not an op\n", path, lineno);
			exit(2);
		}
		(*n)++;
	}
	fclose(in);
	if (!*n) {
		fprintf(stderr, "exotic-fuzz: %s: no ops\n", path);
		exit(2);
	}
	return ops;
}

/* Does running these ops (in a child, start to end) find something? */
static bool fails(const struct opts *o, const struct fuzz_op *ops, size_t n)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		exit(2);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		_exit(run(o, ops, n, true) ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* a crash of the child is a failure too */
	return !WIFEXITED(status) || WEXITSTATUS(status) == 1;
}

/*
 * The shortest failing prefix (bisection), then chunks removed while the
 * rest still fails, halving the chunk size down to one op.  A finding the
 * kernel reports once per boot (WARN_ONCE) fails only the first try.
 */
static int minimize(const struct opts *o)
{
	size_t n, lo, hi, tries = 0;
	struct fuzz_op *ops = read_ops(o->minimize, &n);
	char out[4096], buf[128];
	FILE *w;

	if (!fails(o, ops, n)) {
		printf("exotic-fuzz: %s does not fail (now): nothing to minimize\n", o->minimize);
		free(ops);
		return 0;
	}
	for (lo = 0, hi = n; lo + 1 < hi; tries++) {
		size_t mid = lo + (hi - lo) / 2;

		if (fails(o, ops, mid))
			hi = mid;
		else
			lo = mid;
	}
	n = hi;
	for (size_t chunk = n / 2; chunk >= 1; chunk /= 2) {
		for (size_t at = 0; at + chunk <= n;) {
			struct fuzz_op *rest = malloc(n * sizeof(*rest));

			if (!rest)
				exit(2);
			memcpy(rest, ops, at * sizeof(*rest));
			memcpy(rest + at, ops + at + chunk, (n - at - chunk) * sizeof(*rest));
			tries++;
			if (n - chunk && fails(o, rest, n - chunk)) {
				free(ops);
				ops = rest;
				n -= chunk;
			} else {
				free(rest);
				at += chunk;
			}
		}
	}
	snprintf(out, sizeof(out), "%s.min", o->minimize);
	w = fopen(out, "w");
	if (!w) {
		fprintf(stderr, "exotic-fuzz: %s: %s\n", out, strerror(errno));
		return 2;
	}
	fprintf(w, "# minimized from %s by exotic-fuzz --minimize (%zu tries)\n", o->minimize, tries);
	for (size_t i = 0; i < n; i++) {
		fuzz_op_format(&ops[i], buf, sizeof(buf));
		fprintf(w, "%s\n", buf);
	}
	fclose(w);
	printf("exotic-fuzz: %zu op(s) still fail, in %s (%zu tries)\n", n, out, tries);
	free(ops);
	return 1;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (parse(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.minimize)
		return minimize(&o);
	if (o.replay) {
		size_t n;
		struct fuzz_op *ops = read_ops(o.replay, &n);
		uint64_t found;

		if (o.emit_c) {
			const char *profile = exotic_storm_profile_detect();
			int ret = fuzz_emit_c(o.emit_c, o.replay, ops, n, profile, o.known_bugs);

			if (ret)
				fprintf(stderr, "exotic-fuzz: %s: %s\n", o.emit_c, strerror(-ret));
			else
				printf("exotic-fuzz: %zu op(s) of %s written as C to %s (profile %s)\n",
				       n, o.replay, o.emit_c, profile ? profile : "none: no memslots");
			free(ops);
			return ret ? 2 : 0;
		}
		found = run(&o, ops, n, false);

		free(ops);
		return found ? 1 : 0;
	}
	return run(&o, NULL, 0, false) ? 1 : 0;
}
