// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm engine: see exotic/storm.h.
 * This file runs a storm (the oracle's loop, then the drain and the final
 * checks) and answers for its results; storm_setup.c sets it up, and
 * storm_engine.h says where the rest lives.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "storm_engine.h"

static bool events_done(struct exotic_storm *s)
{
	if (!s->nevents)
		return false;
	for (unsigned int i = 0; i < s->nevents; i++) {
		struct event_thread *t = &s->events[i];

		if (!t->bound || LOAD(t->count) < t->bound)
			return false;
	}
	return true;
}

static void on_kick(int sig)
{
	(void)sig;
}

/*
 * Every guest program returns to the host within a pass, so a vCPU thread
 * that does not come back is stuck in KVM_RUN: say so, and interrupt it
 * with a signal (KVM_RUN returns EINTR).  Only then is a handler installed.
 */
static int join_vcpu(struct exotic_storm *s, struct vcpu_thread *v)
{
	struct sigaction sa = { .sa_handler = on_kick }, old;
	struct exotic_storm_finding f = { .property = EXOTIC_STORM_UNEXPECTED,
					  .vcpu = (int32_t)v->index, .event = ~0U };
	struct timespec deadline;
	int ret;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	ret = pthread_timedjoin_np(v->thread, NULL, &deadline);
	if (ret != ETIMEDOUT)
		return 0;
	{
		char ctx[200];

		storm_vcpu_context(v, ctx, sizeof(ctx));
		storm_add_finding(s, NULL, &f, "vcpu %u did not come back from KVM_RUN within 20 s of the end, %s; %s",
			    v->index, ctx, storm_platform_suspect());
	}
	sigaction(SIGUSR2, &sa, &old);
	for (int tries = 0; tries < 10 && ret == ETIMEDOUT; tries++) {
		pthread_kill(v->thread, SIGUSR2);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 1;
		ret = pthread_timedjoin_np(v->thread, NULL, &deadline);
	}
	sigaction(SIGUSR2, &old, NULL);
	if (ret == ETIMEDOUT) {
		/* cannot free what it uses: leak the storm rather than crash */
		storm_ref_leak(s);
		return -ETIMEDOUT;
	}
	return 0;
}

/*
 * Start thread k of the storm (vCPUs first, then event threads).  Under
 * EXOTIC_STORM_PIN it runs only on the k-th CPU, round robin, of those the
 * process may use (allowed): on a two-CPU machine one vCPU and one event
 * thread run apart, whatever the scheduler would have made of them.
 */
static int start_thread(const struct exotic_storm *s, const cpu_set_t *allowed, unsigned int k,
			pthread_t *thread, void *(*fn)(void *), void *arg)
{
	unsigned int n = (unsigned int)CPU_COUNT(allowed), cpu;
	pthread_attr_t attr;
	cpu_set_t one;
	int ret;

	if (!(s->cfg.flags & EXOTIC_STORM_PIN) || !n)
		return -pthread_create(thread, NULL, fn, arg);
	k %= n;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, allowed) && !k--)
			break;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	ret = -pthread_attr_init(&attr);
	if (ret)
		return ret;
	ret = -pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
	if (!ret)
		ret = -pthread_create(thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return ret;
}

EXOTIC_EXPORT int exotic_storm_run(struct exotic_storm *s)
{
	uint64_t next_progress = 0, next_refcount = 0;
	unsigned int next_slot = 0;
	cpu_set_t allowed;
	int ret = 0;

	if (!s)
		return -EINVAL;
	if (s->ran)
		return -EALREADY;
	s->ran = true;
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	storm_set_phase(s, "storm");
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		CPU_ZERO(&allowed);	/* unknown: nothing pinned */
	for (unsigned int i = 0; i < s->cfg.vcpus; i++) {
		ret = start_thread(s, &allowed, i, &s->vcpus[i].thread, storm_vcpu_main,
				   &s->vcpus[i]);
		if (ret)
			goto stop;
		s->vcpus[i].started = true;
	}
	for (unsigned int i = 0; i < s->nevents; i++) {
		ret = start_thread(s, &allowed, s->cfg.vcpus + i, &s->events[i].thread,
				   storm_event_main, &s->events[i]);
		if (ret)
			goto stop;
		s->events[i].started = true;
	}
	while (!stopping(s)) {
		uint64_t t = now_ms(&s->start);

		if (s->cfg.duration_ms && t >= s->cfg.duration_ms)
			break;
		if (events_done(s))
			break;
		storm_poll_kmsg(s);
		if (t >= next_refcount) {
			/* a quarter of the slots per poll: each is seen every
			 * 4 polls, the guest keeps most of the CPU */
			for (unsigned int i = 0; i < (s->nslots + 3) / 4; i++) {
				struct storm_slot *slot = &s->slots[next_slot++ % s->nslots];

				storm_check_refcounts(s, slot, false);
				storm_check_poison(s, slot);
			}
			storm_drain_graves(s, false);
			next_refcount = t + s->cfg.poll_ms;
		}
		if (s->cfg.progress && t >= next_progress) {
			struct exotic_storm_stats st;

			storm_collect_driver_counters(s);
			exotic_storm_get_stats(s, &st);
			s->cfg.progress(s->cfg.progress_data, &st);
			next_progress = t + 500;
		}
		sleep_us(20000);
	}
stop:
	/* events first, so every slot is whole, then the vCPUs */
	storm_set_phase(s, "drain");
	STORE(s->stop, 1);
	for (unsigned int i = 0; i < s->nevents; i++)
		if (s->events[i].started)
			pthread_join(s->events[i].thread, NULL);
	STORE(s->vcpus_stop, 1);
	for (unsigned int i = 0; i < s->cfg.vcpus; i++) {
		if (s->vcpus[i].started && join_vcpu(s, &s->vcpus[i]) && !ret)
			ret = -ETIMEDOUT;
	}
	s->elapsed_ms = now_ms(&s->start);
	/* quiet now: one exact check */
	storm_set_phase(s, "final-check");
	for (unsigned int i = 0; i < s->nslots; i++) {
		storm_check_refcounts(s, &s->slots[i], true);
		storm_check_poison(s, &s->slots[i]);
	}
	storm_collect_driver_counters(s);
	for (uint64_t t0 = now_ms(&s->start); s->ngraves &&
	     now_ms(&s->start) - t0 < s->cfg.settle_ms;) {
		storm_drain_graves(s, false);
		if (s->ngraves)
			sleep_us(20000);
	}
	storm_drain_graves(s, true);
	storm_poll_kmsg(s);
	storm_set_phase(s, "done");
	if (s->cfg.progress) {
		struct exotic_storm_stats st;

		exotic_storm_get_stats(s, &st);
		s->cfg.progress(s->cfg.progress_data, &st);
	}
	return ret;
}

EXOTIC_EXPORT void exotic_storm_stop(struct exotic_storm *s)
{
	if (s)
		STORE(s->stop, 1);
}

EXOTIC_EXPORT void exotic_storm_get_stats(struct exotic_storm *s,
					  struct exotic_storm_stats *st)
{
	if (!s || !st)
		return;
	pthread_mutex_lock(&s->lock);
	*st = s->stats;
	pthread_mutex_unlock(&s->lock);
	st->elapsed_ms = s->elapsed_ms ? s->elapsed_ms :
			 (s->ran ? now_ms(&s->start) : 0);
}

EXOTIC_EXPORT int exotic_storm_verdict(struct exotic_storm *s)
{
	struct exotic_storm_stats st;
	uint64_t bad = 0;

	if (!s)
		return -EINVAL;
	exotic_storm_get_stats(s, &st);
	for (int i = 0; i < EXOTIC_STORM_PROP_MAX; i++)
		bad += st.detections[i];
	return bad || st.unexpected ? 1 : 0;
}

EXOTIC_EXPORT uint64_t exotic_storm_seed(const struct exotic_storm *s)
{
	return s ? s->cfg.seed : 0;
}

EXOTIC_EXPORT const char *exotic_storm_profile(const struct exotic_storm *s)
{
	return s ? s->profile : NULL;
}

EXOTIC_EXPORT size_t exotic_storm_finding_count(struct exotic_storm *s)
{
	size_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->nfindings;
	pthread_mutex_unlock(&s->lock);
	return n;
}

EXOTIC_EXPORT int exotic_storm_get_finding(struct exotic_storm *s, size_t i,
					   struct exotic_storm_finding *f)
{
	int ret = -ENOENT;

	if (!s || !f)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (i < s->nfindings) {
		*f = s->findings[i];
		ret = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

EXOTIC_EXPORT int exotic_storm_event_hash(struct exotic_storm *s, unsigned int t,
					  uint64_t *count, uint64_t *hash)
{
	if (!s || t >= s->nevents)
		return -EINVAL;
	if (count)
		*count = LOAD(s->events[t].count);
	if (hash)
		*hash = s->events[t].hash;
	return 0;
}

EXOTIC_EXPORT int exotic_storm_event_log(struct exotic_storm *s, unsigned int t,
					 struct exotic_storm_event_rec *recs,
					 size_t n)
{
	struct event_thread *e;

	if (!s || t >= s->nevents || (n && !recs))
		return -EINVAL;
	e = &s->events[t];
	if (n > e->nlog)
		n = e->nlog;
	if (n)
		memcpy(recs, e->log, n * sizeof(*recs));
	return (int)n;
}
