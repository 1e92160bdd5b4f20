// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-storm: an invalidation storm over exotic memory behind a KVM
 * guest, with its oracles (libexotic's storm layer).
 *
 * Exit status: 0 when nothing was detected and every outcome was expected,
 * 1 otherwise, 2 on usage errors, 3 when the storm could not run.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <exotic/exotic.h>
#include <exotic/storm.h>

#include "cli.h"

static struct exotic_storm *running;

static void usage(FILE *out)
{
	fprintf(out,
"usage: exotic-storm [options]\n"
"  -k, --kinds LIST        kinds (refcounted,compound,noncompound,reserved,carveout) or all;\n"
"                          anonymous: a slot of anonymous memory too (invalidate only)\n"
"  -m, --methods LIST      methods (remap,fault,huge,mixed,page) or all\n"
"  -s, --size BYTES        bytes per region, a multiple of 2M (K/M suffixes)     [2M]\n"
"  -o, --order N           block order of compound/noncompound/reserved regions  [2]\n"
"  -c, --vcpus N           vCPU threads                                          [2]\n"
"  -w, --writers N         of those, vCPUs that write instead of walking         [0]\n"
"  -p, --paths LIST        KVM access paths the reading vCPUs take in turns: npf,\n"
"                          nested-tdp, pvclock, steal-time, or all            [npf]\n"
"  -e, --event-threads N   event threads (0: none, a probe of the expectations)  [1]\n"
"  -x, --mix LIST          event weights, e.g. invalidate=3,migrate=3,replace=1\n"
"                          (events: invalidate migrate replace slot remap mprotect\n"
"                          fork; unlisted ones get 0)               [3,3,1,1,1,1,1]\n"
"  -t, --duration SECONDS  time bound, 0 for none                                [10]\n"
"  -n, --events N          bound on events per event thread, 0 for none          [0]\n"
"      --seed SEED         PRNG seed                                 [from the clock]\n"
"      --replay SEED[:N0,N1,...]  reproduce a run's event sequence: its seed and the\n"
"                          events per thread its summary printed (no time bound)\n"
"      --profile NAME      kernel profile (kernels/profiles.tsv)           [detected]\n"
"      --list-profiles     the profiles, and which this kernel is\n"
"      --known-bugs        also run what the profile's KVM is known to WARN on\n"
"      --hold-us N         longest time an event keeps a slot disturbed       [2000]\n"
"      --gap-us N          longest pause between events of one thread        [2000]\n"
"      --no-kmsg           do not watch the kernel log\n"
"      --pin               each vCPU thread, then each event thread, on a CPU of its\n"
"                          own (round robin over the CPUs this process may use)\n"
"      --json              print the report as JSON on stdout, nothing else\n"
"      --progress SECONDS  a progress line every SECONDS, for logs (0: on a terminal only,\n"
"                          updated in place)                                      [0]\n"
"  -q, --quiet             no progress line\n"
"  -v, --verbose           log what the library does (repeat for debug)\n"
"  -h, --help\n"
"exit status: 0 clean, 1 detection or unexpected outcome, 2 usage, 3 could not run\n");
}

/* "a,b,c" of names -> bitmask; "all" -> 0 (everything). */
static int parse_names(const char *list, int (*from_name)(const char *),
		       uint32_t *mask)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	*mask = 0;
	if (!strcmp(list, "all")) {
		free(copy);
		return 0;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v = from_name(tok);

		if (v < 0) {
			fprintf(stderr, "exotic-storm: unknown name '%s'\n", tok);
			ret = -EINVAL;
			break;
		}
		*mask |= 1U << v;
	}
	free(copy);
	if (!ret && !*mask)
		ret = -EINVAL;
	return ret;
}

static int parse_mix(const char *list, uint32_t *mix)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	memset(mix, 0, sizeof(uint32_t) * (EXOTIC_EV_MAX + 1));
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		uint32_t w = 1;
		int ev;

		if (eq) {
			*eq = '\0';
			if (cli_u32(eq + 1, 0, UINT32_MAX, &w)) {
				fprintf(stderr, "exotic-storm: bad weight '%s'\n", eq + 1);
				ret = -EINVAL;
				break;
			}
		}
		ev = exotic_event_from_name(tok);
		if (ev < 0 || !(exotic_event_scope((unsigned int)ev) & EXOTIC_EV_IN_STORM)) {
			fprintf(stderr, "exotic-storm: unknown event '%s' (invalidate, migrate, replace, slot, remap, mprotect, fork)\n",
				tok);
			ret = -EINVAL;
			break;
		}
		mix[ev] = w;
	}
	free(copy);
	return ret;
}

static int parse_replay(const char *arg, struct exotic_storm_config *cfg)
{
	char *copy = strdup(arg), *colon, *save = NULL, *tok;
	unsigned int t = 0;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	colon = strchr(copy, ':');
	if (colon)
		*colon = '\0';
	if (cli_u64(copy, 0, UINT64_MAX, &cfg->seed))
		ret = -EINVAL;
	for (tok = colon ? strtok_r(colon + 1, ",", &save) : NULL; tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		if (t == EXOTIC_STORM_MAX_THREADS || cli_u64(tok, 0, UINT64_MAX, &cfg->thread_events[t])) {
			ret = -EINVAL;
			break;
		}
		t++;
	}
	if (!ret && t) {
		cfg->event_threads = t;
		/* a thread that issued nothing replays nothing */
		for (unsigned int i = 0; i < t; i++)
			if (!cfg->thread_events[i])
				ret = -EINVAL;
	}
	free(copy);
	return ret;
}

/* data: NULL on a terminal (one line updated in place), else the period
 * in ms of full lines. */
static void progress(void *data, const struct exotic_storm_stats *st)
{
	static uint64_t next_ms;
	uint64_t events = 0, det = 0, every = (uint64_t)(uintptr_t)data;
	double s = (double)st->elapsed_ms / 1000.0;

	if (every) {
		if (st->elapsed_ms < next_ms)
			return;
		next_ms = st->elapsed_ms + every;
	}
	for (unsigned int ev = 1; ev <= EXOTIC_EV_MAX; ev++)
		events += st->events[ev];
	for (int i = 0; i < EXOTIC_STORM_PROP_MAX; i++)
		det += st->detections[i];
	fprintf(stderr, "\r[%6.1fs] events %" PRIu64 " (%.0f/s)  guest accesses %" PRIu64
		" (%.0f/s)  detections %" PRIu64 "  unexpected %" PRIu64 "   ",
		s, events, s > 0 ? (double)events / s : 0.0, st->accesses,
		s > 0 ? (double)st->accesses / s : 0.0, det, st->unexpected);
	if (every)
		fputc('\n', stderr);
	fflush(stderr);
}

static void on_signal(int sig)
{
	(void)sig;
	exotic_storm_stop(running);
}

int main(int argc, char **argv)
{
	enum { OPT_SEED = 256, OPT_REPLAY, OPT_PROFILE, OPT_KNOWN, OPT_HOLD, OPT_GAP,
	       OPT_NOKMSG, OPT_PIN, OPT_JSON, OPT_PROGRESS, OPT_LIST_PROFILES };
	static const struct option opts[] = {
		{ "kinds", required_argument, NULL, 'k' },
		{ "methods", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },
		{ "order", required_argument, NULL, 'o' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "writers", required_argument, NULL, 'w' },
		{ "paths", required_argument, NULL, 'p' },
		{ "event-threads", required_argument, NULL, 'e' },
		{ "mix", required_argument, NULL, 'x' },
		{ "duration", required_argument, NULL, 't' },
		{ "events", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "list-profiles", no_argument, NULL, OPT_LIST_PROFILES },
		{ "known-bugs", no_argument, NULL, OPT_KNOWN },
		{ "hold-us", required_argument, NULL, OPT_HOLD },
		{ "gap-us", required_argument, NULL, OPT_GAP },
		{ "no-kmsg", no_argument, NULL, OPT_NOKMSG },
		{ "pin", no_argument, NULL, OPT_PIN },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct exotic_storm_config cfg;
	struct exotic_device *dev = NULL;
	struct exotic_storm *storm = NULL;
	struct exotic_ctx *ctx = NULL;
	bool json = false, quiet = false, replay = false, tty;
	int verbose = 0, opt, ret, rc = 3;
	uint32_t secs, every = 0;

	exotic_storm_config_init(&cfg);
	while ((opt = getopt_long(argc, argv, "k:m:s:o:c:w:p:e:x:t:n:qvh", opts, NULL)) != -1) {
		bool bad = false;

		switch (opt) {
		case 'k': bad = parse_names(optarg, exotic_storm_kind_from_name, &cfg.kinds); break;
		case 'm': bad = parse_names(optarg, exotic_method_from_name, &cfg.methods); break;
		case 's': bad = cli_size(optarg, &cfg.region_size); break;
		case 'o': bad = cli_u32(optarg, 0, UINT32_MAX, &cfg.order); break;
		case 'c': bad = cli_u32(optarg, 0, UINT32_MAX, &cfg.vcpus); break;
		case 'w': bad = cli_u32(optarg, 0, UINT32_MAX, &cfg.writers); break;
		case 'p':
			bad = parse_names(optarg, exotic_path_from_name, &cfg.paths);
			if (!bad && !cfg.paths)	/* all */
				cfg.paths = 1U << EXOTIC_PATH_NPF | 1U << EXOTIC_PATH_NESTED_TDP |
					    1U << EXOTIC_PATH_PVCLOCK | 1U << EXOTIC_PATH_STEAL_TIME;
			break;
		case 'e': bad = cli_u32(optarg, 0, UINT32_MAX, &cfg.event_threads); break;
		case 'x': bad = parse_mix(optarg, cfg.mix); break;
		case 't':
			bad = cli_u32(optarg, 0, 86400, &secs);
			cfg.duration_ms = secs * 1000;
			break;
		case 'n': bad = cli_u64(optarg, 0, UINT64_MAX, &cfg.max_events); break;
		case OPT_SEED: bad = cli_u64(optarg, 0, UINT64_MAX, &cfg.seed); break;
		case OPT_REPLAY: bad = parse_replay(optarg, &cfg); replay = true; break;
		case OPT_PROFILE: cfg.profile = optarg; break;
		case OPT_LIST_PROFILES: exotic_profile_print_list(stdout); return 0;
		case OPT_KNOWN: cfg.flags |= EXOTIC_STORM_KNOWN_BUGS; break;
		case OPT_HOLD: bad = cli_u32(optarg, 0, UINT32_MAX, &cfg.hold_us); break;
		case OPT_GAP: bad = cli_u32(optarg, 0, UINT32_MAX, &cfg.gap_us); break;
		case OPT_NOKMSG: cfg.flags |= EXOTIC_STORM_NO_KMSG; break;
		case OPT_PIN: cfg.flags |= EXOTIC_STORM_PIN; break;
		case OPT_JSON: json = true; break;
		case OPT_PROGRESS: bad = cli_u32(optarg, 0, 86400, &every); break;
		case 'q': quiet = true; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (bad) {
			fprintf(stderr, "exotic-storm: bad value '%s' for -%c%s\n", optarg,
				opt < 256 ? opt : '-', opt < 256 ? "" : " (see --help)");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "exotic-storm: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (replay) {
		/* the event sequence, not the clock, bounds a replay */
		cfg.duration_ms = 0;
		if (!cfg.max_events && !cfg.thread_events[0]) {
			fprintf(stderr, "exotic-storm: --replay needs event counts: SEED:N0,N1,... or -n N\n");
			return 2;
		}
	}

	ret = exotic_new(&ctx);
	if (ret) {
		fprintf(stderr, "exotic-storm: %s\n", exotic_strerror(ret));
		return 3;
	}
	if (verbose)
		exotic_set_log_priority(ctx, verbose > 1 ? LOG_DEBUG : LOG_INFO);
	ret = exotic_device_open(ctx, &dev);
	if (ret) {
		fprintf(stderr, "exotic-storm: cannot open the exotic device: %s\n", exotic_strerror(ret));
		goto out;
	}
	tty = !quiet && !json && isatty(STDERR_FILENO);
	if (tty && !every) {
		cfg.progress = progress;
		cfg.progress_data = NULL;
	} else if (every && !quiet) {
		cfg.progress = progress;
		cfg.progress_data = (void *)(uintptr_t)(every * 1000);
	}
	ret = exotic_storm_new(dev, &cfg, &storm);
	if (ret == -EINVAL) {
		fprintf(stderr, "exotic-storm: invalid configuration (see above)\n");
		rc = 2;
		goto out;
	}
	if (ret) {
		fprintf(stderr, "exotic-storm: cannot set the storm up: %s\n", exotic_strerror(ret));
		goto out;
	}
	if (!json)
		printf("exotic-storm: seed 0x%" PRIx64 ", profile %s\n", exotic_storm_seed(storm),
		       exotic_storm_profile(storm));
	fflush(stdout);
	running = storm;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = exotic_storm_run(storm);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	running = NULL;
	if (tty && !every)
		fputc('\n', stderr);
	if (ret) {
		fprintf(stderr, "exotic-storm: the storm could not run: %s\n", exotic_strerror(ret));
		goto out;
	}
	if (json)
		exotic_storm_print_json(storm, stdout);
	else
		exotic_storm_print_summary(storm, stdout);
	rc = exotic_storm_verdict(storm) ? 1 : 0;
out:
	exotic_storm_unref(storm);
	exotic_device_unref(dev);
	exotic_unref(ctx);
	return rc;
}
