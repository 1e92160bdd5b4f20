// SPDX-License-Identifier: GPL-2.0
/*
 * Guest suite: a short seeded storm of concurrent allocs, faults, events,
 * forks, munmaps and closes on /dev/exotic.  Each owner checks its own data
 * (intact after invalidate and migrate, SIGBUS only once a revoke was seen);
 * the console oracle checks that the kernel stayed quiet.  EXOTIC_STRESS_SECS
 * and EXOTIC_STRESS_SEED override the length (default 8 s) and the seed.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "test_driver.h"

#define THREADS		4
#define MAX_LIVE	6

static int shared_fd;
static void *shared_map[3];
static uint32_t shared_handle[3];
static atomic_int stop;
static atomic_ulong ops, sigbus, foreign, failures, shared_reads;

/* cmocka's asserts are not for threads: count failures, report at the end */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			print_message("# %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			atomic_fetch_add(&failures, 1);			\
			atomic_store(&stop, 1);				\
		}							\
	} while (0)
static _Thread_local sigjmp_buf t_env;

static void t_handler(int sig)
{
	(void)sig;
	siglongjmp(t_env, 1);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct own {
	uint32_t handle;
	uint8_t *map;
	size_t len;
	uint64_t seed;
	bool live;
};

/* flags: EXOTIC_ALLOC_UNSAFE_DRIVER_BUG where needs_unsafe(), set by test_storm() */
static struct { uint32_t kind, method, order, flags; size_t len; } shapes[] = {
	{ EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 0, 0, 8 * PG },
	{ EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_PAGE, 0, 0, 8 * PG },
	{ EXOTIC_KIND_COMPOUND, EXOTIC_MAP_PAGE, 2, 0, 16 * PG },
	{ EXOTIC_KIND_COMPOUND, EXOTIC_MAP_HUGE, 9, 0, HUGE },
	{ EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_REMAP, 2, 0, 16 * PG },
	{ EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_MIXED, 1, 0, 8 * PG },
	{ EXOTIC_KIND_RESERVED, EXOTIC_MAP_FAULT, 2, 0, 16 * PG },
	{ EXOTIC_KIND_RESERVED, EXOTIC_MAP_REMAP, 0, 0, 8 * PG },
	{ EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_FAULT, 0, 0, 8 * PG },
	{ EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_HUGE, 9, 0, HUGE },
};

/* Touch a whole mapping; returns false on SIGBUS (region revoked). */
static bool touch(struct own *o, bool check)
{
	volatile uint64_t *w = (volatile uint64_t *)o->map;
	size_t i;

	if (sigsetjmp(t_env, 1)) {
		atomic_fetch_add(&sigbus, 1);
		return false;
	}
	for (i = 0; i < o->len / 8; i += 64) {
		uint64_t got = w[i];

		if (check && got != pattern(o->seed, i * 8)) {
			print_message("# handle %u offset %#zx: %#" PRIx64 " instead of %#" PRIx64 "\n",
				      o->handle, i * 8, got,
				      pattern(o->seed, i * 8));
			atomic_fetch_add(&failures, 1);
			atomic_store(&stop, 1);
			return true;
		}
	}
	return true;
}

/*
 * Read shared region k through this process's mapping after another
 * thread's event on it.  The driver zaps every mapping before it poisons a
 * retired page, under one lock: poison read here is a PTE that survived the
 * migration.  They are never revoked: SIGBUS is a failure too.
 */
static void read_shared(unsigned int k)
{
	volatile uint64_t *w = shared_map[k];
	size_t i;

	if (sigsetjmp(t_env, 1)) {
		CHECK(!"SIGBUS reading a shared region that is never revoked");
		return;
	}
	for (i = 0; i < 16 * PG / 8; i += 8)
		CHECK(w[i] != EXOTIC_POISON_MAGIC);
	atomic_fetch_add(&shared_reads, 1);
}

static void drop(int fd, struct own *o)
{
	if (o->map)
		munmap(o->map, o->len);
	o->map = NULL;
	if (o->live)
		ex_event(fd, EXOTIC_IOC_FREE, o->handle, 0, 0, NULL);
	o->live = false;
}

static void *worker(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg;
	struct own own[MAX_LIVE] = { 0 };
	int fd = dev_open(), i;

	CHECK(fd >= 0);
	while (!atomic_load(&stop)) {
		struct own *o = &own[rnd(&s) % MAX_LIVE];
		unsigned int op = rnd(&s) % 10;
		uint64_t epoch;
		int ret;

		atomic_fetch_add(&ops, 1);
		if (!o->live) {
			unsigned int k = rnd(&s) % (sizeof(shapes) / sizeof(shapes[0]));
			struct exotic_alloc a;

			ret = ex_alloc(fd, shapes[k].kind, shapes[k].method,
				       shapes[k].len, shapes[k].order,
				       shapes[k].flags, &a);
			if (ret) {
				CHECK(ret == -ENOSPC || ret == -ENOMEM ||
					    ret == -ENODEV);
				continue;
			}
			o->handle = a.handle;
			o->len = shapes[k].len;
			o->live = true;
			o->seed = rnd(&s);
			o->map = ex_map(fd, a.mmap_offset, o->len, PROT_READ | PROT_WRITE);
			CHECK(o->map);
			if (!o->map) {
				o->live = false;
				continue;
			}
			fill(o->map, o->len, o->seed);
			continue;
		}
		switch (op) {
		case 0:
		case 1:
			ret = ex_event(fd, EXOTIC_IOC_MIGRATE, o->handle, 0, 0, &epoch);
			CHECK(ret == 0 || ret == -ENODEV || ret == -ENOSPC || ret == -ENOMEM);
			break;
		case 2:
		case 3:
			ret = ex_event(fd, EXOTIC_IOC_INVALIDATE, o->handle,
				       (rnd(&s) % (o->len / PG)) * PG, PG, NULL);
			CHECK(ret == 0 || ret == -ENODEV);
			break;
		case 4:
			ret = ex_event(fd, EXOTIC_IOC_REVOKE, o->handle, 0, 0, NULL);
			CHECK(ret == 0 || ret == -ENODEV);
			if (!touch(o, false)) {
				drop(fd, o);
				continue;
			}
			CHECK(!"a revoked region was readable");
			break;
		case 5:
			drop(fd, o);
			continue;
		case 6: {
			/* events on the shared file's regions, from every thread */
			/* no revoke: these stay readable (own regions get revoked) */
			static const unsigned long cmds[] = {
				EXOTIC_IOC_MIGRATE, EXOTIC_IOC_INVALIDATE,
			};

			unsigned int k = rnd(&s) % 4;	/* 3: no such region */

			ret = ex_event(shared_fd, cmds[rnd(&s) % 2],
				       k < 3 ? shared_handle[k] : 0xfffff, 0, 0, NULL);
			CHECK(k < 3 ? (ret == 0 || ret == -ENODEV || ret == -ENOSPC ||
				       ret == -ENOMEM) : ret == -ENOENT);
			atomic_fetch_add(&foreign, 1);
			if (k < 3)
				read_shared(k);
			break;
		}
		case 7: {
			pid_t pid = fork();
			int status;

			CHECK(pid >= 0);
			if (pid == 0) {
				struct exotic_version v;

				/* the child's copy of the fd works, the mapping is gone */
				_exit(ex_version(fd, &v) ? 1 : 0);
			}
			CHECK(waitpid(pid, &status, 0) == pid);
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			break;
		}
		default:
			break;
		}
		if (!touch(o, true)) {
			struct exotic_region_info info;

			/* only a revoke (or free) takes the memory away */
			CHECK(ex_info(fd, o->handle, &info) == 0);
			CHECK(info.state == EXOTIC_STATE_REVOKED);
			drop(fd, o);
		}
	}
	/* leave half the regions mapped for close to clean up */
	for (i = 0; i < MAX_LIVE; i += 2)
		drop(fd, &own[i]);
	close(fd);
	for (i = 1; i < MAX_LIVE; i += 2)
		if (own[i].map)
			munmap(own[i].map, own[i].len);
	return NULL;
}

static void test_storm(void **state)
{
	const char *secs_env = getenv("EXOTIC_STRESS_SECS");
	const char *seed_env = getenv("EXOTIC_STRESS_SEED");
	unsigned int secs = secs_env ? (unsigned int)atoi(secs_env) : 8;
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) :
			0x5745ULL * 2654435761ULL;	/* fixed: a failure replays */
	struct sigaction sa = { .sa_handler = t_handler };
	pthread_t t[THREADS];
	struct exotic_version v;
	char saved_unsafe[16];
	bool unsafe = false;
	size_t k;
	int i;

	(void)state;
	DEV_OPEN_OR_SKIP(shared_fd);
	print_message("# seed %#" PRIx64 ", %u s, %d threads\n", seed, secs, THREADS);
	assert_int_equal(ex_version(shared_fd, &v), 0);
	/*
	 * Shapes the driver admits only with the unsafe flag on this kernel:
	 * refused without it, then in the storm with it, unsafe_driver_bugs=1
	 * for the whole storm (threads allocate concurrently).
	 */
	for (k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		struct exotic_alloc a;

		if (!needs_unsafe(shapes[k].kind, shapes[k].method) ||
		    !(v.kinds & (1U << shapes[k].kind)))
			continue;
		assert_int_equal(ex_alloc(shared_fd, shapes[k].kind, shapes[k].method,
					  shapes[k].len, shapes[k].order, 0, &a), -EINVAL);
		shapes[k].flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
		unsafe = true;
	}
	if (unsafe) {
		assert_int_equal(param_read("unsafe_driver_bugs", saved_unsafe,
					    sizeof(saved_unsafe)), 0);
		assert_int_equal(param_write("unsafe_driver_bugs", "1"), 0);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	/* shared regions, mapped here, hit by events from every thread */
	for (i = 0; i < 3; i++) {
		struct exotic_alloc a;

		assert_int_equal(ex_alloc(shared_fd, EXOTIC_KIND_NONCOMPOUND,
					  EXOTIC_MAP_FAULT, 16 * PG, 2, 0, &a), 0);
		shared_map[i] = ex_map(shared_fd, a.mmap_offset, 16 * PG, PROT_READ);
		assert_non_null(shared_map[i]);
		shared_handle[i] = a.handle;
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker,
						(void *)(uintptr_t)((seed + i * 0x9e3779b97f4a7c15ULL) | 1)), 0);
	sleep(secs);
	atomic_store(&stop, 1);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	if (unsafe)
		assert_int_equal(param_write("unsafe_driver_bugs", saved_unsafe), 0);
	print_message("# %lu operations, %lu SIGBUS after revoke, %lu foreign events, %lu shared regions read whole\n",
		      atomic_load(&ops), atomic_load(&sigbus), atomic_load(&foreign),
		      atomic_load(&shared_reads));
	assert_int_equal(atomic_load(&failures), 0);
	assert_true(atomic_load(&ops) > 100);
	/* the shared regions were really read after foreign events */
	assert_true(atomic_load(&shared_reads) * 2 > atomic_load(&foreign));
	for (i = 0; i < 3; i++)
		munmap(shared_map[i], 16 * PG);
	close(shared_fd);

	/* everything comes back */
	shared_fd = dev_open();
	assert_true(shared_fd >= 0);
	assert_int_equal(wait_used_bytes(shared_fd, 0, 15000), 0);
	assert_int_equal(ex_version(shared_fd, &v), 0);
	close(shared_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storm),
	};

	return cmocka_run_group_tests_name("driver_stress", tests, NULL, NULL);
}
