// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A scenario in a child process of its own (exotic_scenario_run_isolated()):
 * a scenario that hangs in the kernel, or dies, is reported as an outcome
 * (hang, with the task's state and kernel stack) instead of taking the
 * runner with it.  The scenario itself is scenario.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "scenario_internal.h"
#include "exotic/expect.h"

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/*
 * Wait for pid until deadline (scenario_now_ms() time); true once it is
 * reaped.  A pidfd turns readable when the child exits, so the wait ends
 * then (a cell's child exits a few ms after sending its result); without
 * one (pidfd_open() needs 5.3), poll every 20 ms.
 */
static bool reap(pid_t pid, uint64_t deadline, int *status)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool reaped;

	for (;;) {
		pid_t ret = waitpid(pid, status, WNOHANG);
		uint64_t now = scenario_now_ms();

		if (ret == pid || (ret < 0 && errno != EINTR)) {
			reaped = true;
			break;
		}
		if (now >= deadline) {
			reaped = false;
			break;
		}
		if (pidfd >= 0) {
			struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
			uint64_t left = deadline - now;

			poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		} else {
			usleep(20000);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return reaped;
}

/* Describe a child that does not go away: its state and kernel stack. */
static void stuck_task(pid_t pid, struct exotic_scenario_result *res,
		       const char *what)
{
	char path[64], buf[1024] = "", state[64] = "?";
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(state, sizeof(state), f))
			strcpy(state, "?");
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/stack", (int)pid);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = ' ';
	}
	/* both may be cut short: they are one-line summaries */
	if (snprintf(res->detail, sizeof(res->detail), "%s; pid %d in %s",
		     what, (int)pid, state) >= (int)sizeof(res->detail))
		res->detail[sizeof(res->detail) - 1] = '\0';
	if (snprintf(res->kmsg, sizeof(res->kmsg), "stack: %s",
		     n ? buf : "(unavailable)") >= (int)sizeof(res->kmsg))
		res->kmsg[sizeof(res->kmsg) - 1] = '\0';
}

EXOTIC_EXPORT int exotic_scenario_run_isolated(struct exotic_ctx *ctx,
					       const struct exotic_scenario *s,
					       struct exotic_scenario_result *res,
					       unsigned int timeout_s)
{
	struct exotic_scenario_result got;
	struct {
		int ret;
		struct exotic_scenario_result got;
	} wire;
	int kmsg_fd;
	int fds[2], status = 0, ret;
	size_t have = 0;
	uint64_t t0 = scenario_now_ms(), deadline;
	pid_t pid;

	if (!ctx || !s || !res || !timeout_s)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	kmsg_fd = scenario_kmsg_open();
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		if (kmsg_fd >= 0)
			close(kmsg_fd);
		return ret;
	}
	if (!pid) {
		struct exotic_device *dev = NULL;

		close(fds[0]);
		memset(&got, 0, sizeof(got));
		ret = exotic_device_open(ctx, &dev);
		if (!ret)
			ret = exotic_scenario_run(dev, s, &got);
		else
			snprintf(got.detail, sizeof(got.detail), "harness: %s",
				 exotic_strerror(ret));
		/* the harness's error first, then the result */
		write_all(fds[1], &ret, sizeof(ret));
		write_all(fds[1], &got, sizeof(got));
		_exit(ret ? 3 : 0);
	}
	close(fds[1]);
	deadline = t0 + (uint64_t)timeout_s * 1000;
	while (have < sizeof(wire.ret) + sizeof(wire.got)) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		uint64_t now = scenario_now_ms();
		ssize_t n;

		if (now >= deadline)
			break;
		ret = poll(&pfd, 1, (int)(deadline - now));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
		n = have < sizeof(wire.ret) ?
		    read(fds[0], (uint8_t *)&wire.ret + have, sizeof(wire.ret) - have) :
		    read(fds[0], (uint8_t *)&wire.got + have - sizeof(wire.ret),
			 sizeof(wire.got) - (have - sizeof(wire.ret)));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fds[0]);
	if (have == sizeof(wire.ret) + sizeof(wire.got)) {
		*res = wire.got;
		/* the result is in; the child must still be able to exit */
		if (reap(pid, deadline + 10000, &status)) {
			if (kmsg_fd >= 0)
				close(kmsg_fd);
			/* a VM, vCPU, memslot or region the harness could not
			 * create is the caller's failure, never a skip */
			return wire.ret < 0 ? wire.ret : 0;
		}
		res->after = EXOTIC_OUT_HANG;
		stuck_task(pid, res, "the scenario's process could not exit (stuck in the kernel)");
		if (kmsg_fd >= 0)
			close(kmsg_fd);
		return 0;
	}
	/* hung or died: say which, with what the kernel said meanwhile */
	res->before = EXOTIC_OUT_HANG;
	if (!reap(pid, scenario_now_ms(), &status)) {
		stuck_task(pid, res, "no result in time");
		kill(pid, SIGKILL);
		if (!reap(pid, scenario_now_ms() + 5000, &status))
			snprintf(res->detail + strlen(res->detail),
				 sizeof(res->detail) - strlen(res->detail),
				 "; SIGKILL did not end it");
	} else if (WIFSIGNALED(status)) {
		snprintf(res->detail, sizeof(res->detail),
			 "the scenario's process died of signal %d", WTERMSIG(status));
	} else {
		snprintf(res->detail, sizeof(res->detail),
			 "the scenario's process ended without a result (status 0x%x)", status);
	}
	scenario_kmsg_check(kmsg_fd, res);
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	res->ms = scenario_now_ms() - t0;
	return 0;
}
