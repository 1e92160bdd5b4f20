// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The /dev/kmsg watcher: see exotic/oracle.h.
 *
 * /dev/kmsg hands out one record per read(): "prio,seq,usec,flags;text\n"
 * followed by " KEY=value\n" continuation lines; EAGAIN when nothing is
 * new, EPIPE when the ring buffer overwrote records we had not read yet.
 * A pipe or a file of such lines works the same, which the unit tests use.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define KMSG_KEEP	64
#define KMSG_BUF	8192

struct exotic_kmsg_watch {
	struct exotic_ctx *ctx;
	int fd;
	pthread_mutex_t lock;		/* phase */
	char phase[32];
	char buf[KMSG_BUF + 1];
	size_t len;			/* unparsed bytes in buf (pipes) */
	uint64_t records;
	uint64_t lost;
	uint64_t counts[EXOTIC_KMSG_CLASS_MAX + 1];
	size_t nkept;
	struct exotic_kmsg_finding kept[KMSG_KEEP];
};

EXOTIC_EXPORT int exotic_kmsg_watch_new(struct exotic_ctx *ctx, const char *path,
					unsigned int flags,
					struct exotic_kmsg_watch **watchp)
{
	struct exotic_kmsg_watch *w;
	int ret;

	if (!watchp || (flags & ~EXOTIC_KMSG_FROM_START))
		return -EINVAL;
	*watchp = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (!path)
		path = "/dev/kmsg";
	w->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w->fd < 0) {
		ret = exotic_neg_errno();
		exotic_err(ctx, "cannot open %s: %s%s\n", path, strerror(-ret),
			   ret == -EACCES ? " (reading the kernel log needs CAP_SYSLOG when kernel.dmesg_restrict=1)" : "");
		free(w);
		return ret;
	}
	/* /dev/kmsg: SEEK_END skips what is already logged; pipes say ESPIPE. */
	if (!(flags & EXOTIC_KMSG_FROM_START))
		(void)lseek(w->fd, 0, SEEK_END);
	pthread_mutex_init(&w->lock, NULL);
	w->ctx = exotic_ref(ctx);
	*watchp = w;
	return 0;
}

EXOTIC_EXPORT struct exotic_kmsg_watch *exotic_kmsg_watch_unref(struct exotic_kmsg_watch *w)
{
	if (!w)
		return NULL;
	close(w->fd);
	pthread_mutex_destroy(&w->lock);
	exotic_unref(w->ctx);
	free(w);
	return NULL;
}

EXOTIC_EXPORT void exotic_kmsg_watch_set_phase(struct exotic_kmsg_watch *w,
					       const char *phase)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	snprintf(w->phase, sizeof(w->phase), "%s", phase ? phase : "");
	pthread_mutex_unlock(&w->lock);
}

/* One line: a record, a continuation line (ignored) or junk (ignored). */
static int kmsg_line(struct exotic_kmsg_watch *w, const char *line)
{
	struct exotic_kmsg_finding *f;
	unsigned long long seq = 0;
	const char *text;
	int cls;

	if (line[0] == ' ' || !line[0])
		return 0;
	text = exotic_kmsg_text(line);
	if (!text)
		return 0;
	w->records++;
	cls = exotic_kmsg_classify(text);
	if (cls == EXOTIC_KMSG_CLEAN || cls < 0 || cls > EXOTIC_KMSG_CLASS_MAX)
		return 0;
	w->counts[cls]++;
	if (w->nkept == KMSG_KEEP)
		return 1;
	f = &w->kept[w->nkept++];
	memset(f, 0, sizeof(*f));
	f->cls = cls;
	if (sscanf(line, "%*u,%llu,", &seq) == 1)
		f->seq = seq;
	snprintf(f->text, sizeof(f->text), "%s", text);
	pthread_mutex_lock(&w->lock);
	snprintf(f->phase, sizeof(f->phase), "%s", w->phase);
	pthread_mutex_unlock(&w->lock);
	exotic_dbg(w->ctx, "kmsg: %s in phase '%s': %s\n",
		   exotic_kmsg_class_name(cls), f->phase, f->text);
	return 1;
}

/* Parse the complete lines in buf; keep a partial last line for later. */
static int kmsg_parse(struct exotic_kmsg_watch *w)
{
	char *start = w->buf, *nl;
	int found = 0;

	w->buf[w->len] = '\0';
	while ((nl = memchr(start, '\n', w->len - (size_t)(start - w->buf)))) {
		*nl = '\0';
		found += kmsg_line(w, start);
		start = nl + 1;
	}
	w->len -= (size_t)(start - w->buf);
	memmove(w->buf, start, w->len);
	/* A line longer than the buffer: take it as it is. */
	if (w->len == KMSG_BUF) {
		w->buf[w->len] = '\0';
		found += kmsg_line(w, w->buf);
		w->len = 0;
	}
	return found;
}

EXOTIC_EXPORT int exotic_kmsg_watch_poll(struct exotic_kmsg_watch *w,
					 int timeout_ms)
{
	struct pollfd pfd;
	int found = 0;

	if (!w)
		return -EINVAL;
	if (timeout_ms > 0) {
		pfd = (struct pollfd){ .fd = w->fd, .events = POLLIN };
		if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
			return exotic_neg_errno();
	}
	for (;;) {
		ssize_t n = read(w->fd, w->buf + w->len, KMSG_BUF - w->len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {
				/* overwritten before we read them */
				w->lost++;
				continue;
			}
			if (errno == EAGAIN)
				break;
			return exotic_neg_errno();
		}
		if (n == 0) {
			/* end of a file or pipe: flush a last unterminated line */
			if (w->len) {
				w->buf[w->len++] = '\n';
				found += kmsg_parse(w);
			}
			break;
		}
		w->len += (size_t)n;
		/* /dev/kmsg records end in '\n'; a file may fill the buffer */
		found += kmsg_parse(w);
	}
	return found;
}

EXOTIC_EXPORT size_t exotic_kmsg_watch_count(const struct exotic_kmsg_watch *w,
					     int cls)
{
	uint64_t sum = 0;

	if (!w || cls < 0 || cls > EXOTIC_KMSG_CLASS_MAX)
		return 0;
	if (cls != EXOTIC_KMSG_CLEAN)
		return (size_t)w->counts[cls];
	for (int i = 1; i <= EXOTIC_KMSG_CLASS_MAX; i++)
		sum += w->counts[i];
	return (size_t)sum;
}

EXOTIC_EXPORT int exotic_kmsg_watch_get(const struct exotic_kmsg_watch *w,
					size_t i, struct exotic_kmsg_finding *f)
{
	if (!w || !f)
		return -EINVAL;
	if (i >= w->nkept)
		return -ENOENT;
	*f = w->kept[i];
	return 0;
}

EXOTIC_EXPORT uint64_t exotic_kmsg_watch_records(const struct exotic_kmsg_watch *w)
{
	return w ? w->records : 0;
}

EXOTIC_EXPORT uint64_t exotic_kmsg_watch_lost(const struct exotic_kmsg_watch *w)
{
	return w ? w->lost : 0;
}
