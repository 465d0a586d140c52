#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>

#include "log.h"
#include "loop.h"

struct fd_watch {
	int fd;
	loop_fd_cb cb;
	void *arg;
	struct fd_watch *next;
};

struct timer {
	uint64_t id, when;
	loop_timer_cb cb;
	void *arg;
	struct timer *next; /* sorted by when, then id */
};

struct loop {
	int epfd, tfd;
	bool stop;
	uint64_t next_id;
	struct fd_watch *fds;
	struct timer *timers;
	bool in_timers; /* run_timers arms the timerfd once, at its end */
	struct rusage woke; /* the thread's counters when epoll_wait returned */
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev.data.ptr = NULL; /* NULL marks the timerfd */
	if (l->epfd < 0 || l->tfd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) < 0) {
		loop_free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	while (l->fds) {
		struct fd_watch *w = l->fds;

		l->fds = w->next;
		free(w);
	}
	while (l->timers) {
		struct timer *t = l->timers;

		l->timers = t->next;
		free(t);
	}
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->tfd >= 0)
		close(l->tfd);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct fd_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		free(w);
		return rc;
	}
	w->next = l->fds;
	l->fds = w;
	return 0;
}

static struct fd_watch *find_fd(struct loop *l, int fd, struct fd_watch ***link)
{
	for (struct fd_watch **p = &l->fds; *p; p = &(*p)->next) {
		if ((*p)->fd == fd) {
			if (link)
				*link = p;
			return *p;
		}
	}
	return NULL;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct fd_watch *w = find_fd(l, fd, NULL);
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

/* Freed at once: epoll_wait results are re-validated against the list before
 * use (see loop_run), so a callback may delete any fd, its own included. */
void loop_del_fd(struct loop *l, int fd)
{
	struct fd_watch **link, *w = find_fd(l, fd, &link);

	if (!w)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*link = w->next;
	free(w);
}

static void arm(struct loop *l)
{
	struct itimerspec its = { 0 };

	if (l->in_timers)
		return;
	if (l->timers) {
		uint64_t when = l->timers->when ? l->timers->when : 1;

		its.it_value.tv_sec = (time_t)(when / 1000000);
		its.it_value.tv_nsec = (long)(when % 1000000) * 1000;
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

uint64_t loop_add_timer(struct loop *l, uint64_t when_us, loop_timer_cb cb, void *arg)
{
	struct timer *t = calloc(1, sizeof(*t)), **p;

	if (!t)
		return 0;
	t->id = ++l->next_id;
	t->when = when_us;
	t->cb = cb;
	t->arg = arg;
	for (p = &l->timers; *p && (*p)->when <= when_us; p = &(*p)->next)
		;
	t->next = *p;
	*p = t;
	if (l->timers == t)
		arm(l);
	return t->id;
}

void loop_cancel_timer(struct loop *l, uint64_t id)
{
	for (struct timer **p = &l->timers; *p; p = &(*p)->next) {
		if ((*p)->id == id) {
			struct timer *t = *p;
			bool was_first = p == &l->timers;

			*p = t->next;
			free(t);
			if (was_first)
				arm(l);
			return;
		}
	}
}

/* Nothing may hold the loop: a callback that took long is a bug (it delays
 * adverts, and the peer may take over). Say so, with which callback, and
 * where the time went since the loop woke: on a CPU (the callback's own
 * work), preempted (a busy machine: the thread waited for a CPU) or
 * blocked (a call that sleeps). */
#define STALL_US 20000

static uint64_t tv_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

int loop_stall_cause(char *buf, size_t len, uint64_t took_us, uint64_t cpu_us, long nvcsw,
		     long nivcsw, bool realtime)
{
	int n = snprintf(buf, len, "%llu ms on a CPU, preempted %ld times, blocked %ld times",
			 (unsigned long long)(cpu_us / 1000), nivcsw, nvcsw);

	if (n < 0 || (size_t)n >= len)
		return n;
	/* mostly waiting for a CPU: the machine is busier than xvipd */
	if (cpu_us * 2 < took_us && nivcsw > 0 && nivcsw >= nvcsw && !realtime)
		n += snprintf(buf + n, len - (size_t)n,
			      ": the machine is busy, vrrp_rt_priority keeps xvipd ahead of it");
	return n;
}

static void report_stall(struct loop *l, uint64_t t0, const char *kind, void *cb)
{
	uint64_t took = now_us() - t0;
	char cause[160] = "";
	struct rusage ru;
	Dl_info info;

	if (took <= STALL_US)
		return;
	if (getrusage(RUSAGE_THREAD, &ru) == 0) {
		int pol = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;

		loop_stall_cause(cause, sizeof(cause), took,
				 tv_us(ru.ru_utime) + tv_us(ru.ru_stime) - tv_us(l->woke.ru_utime) -
					 tv_us(l->woke.ru_stime),
				 ru.ru_nvcsw - l->woke.ru_nvcsw, ru.ru_nivcsw - l->woke.ru_nivcsw,
				 pol == SCHED_RR || pol == SCHED_FIFO);
	}
	/* the offset in the binary: addr2line -f -e xvipd 0xOFFSET names it */
	if (dladdr(cb, &info) && info.dli_fbase)
		xlog(LOG_WARNING, "event loop held %llu ms by a %s callback (%s+0x%lx); since the "
		     "loop woke: %s", (unsigned long long)(took / 1000), kind, info.dli_fname,
		     (unsigned long)((char *)cb - (char *)info.dli_fbase), cause);
	else
		xlog(LOG_WARNING, "event loop held %llu ms by a %s callback at %p; since the loop "
		     "woke: %s", (unsigned long long)(took / 1000), kind, cb, cause);
}

static void run_timers(struct loop *l)
{
	uint64_t buf, now = now_us();

	if (read(l->tfd, &buf, sizeof(buf)) < 0 && errno != EAGAIN)
		return;
	/* Only timers due now; ones added by callbacks wait for the next turn. */
	l->in_timers = true;
	while (l->timers && l->timers->when <= now) {
		struct timer *t = l->timers;

		l->timers = t->next;
		uint64_t t0 = now_us();

		t->cb(l, t->id, t->arg);
		report_stall(l, t0, "timer", (void *)t->cb);
		free(t);
	}
	l->in_timers = false;
	arm(l);
}

static bool still_watched(struct loop *l, struct fd_watch *w)
{
	for (struct fd_watch *p = l->fds; p; p = p->next)
		if (p == w)
			return true;
	return false;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[32];

	l->stop = false;
	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* one call per wake, read again only for a stall report */
		getrusage(RUSAGE_THREAD, &l->woke);
		for (int i = 0; i < n && !l->stop; i++) {
			struct fd_watch *w = evs[i].data.ptr;

			if (!w) {
				run_timers(l);
				continue;
			}
			if (still_watched(l, w)) {
				/* the callback may free w (deleting its own fd) */
				loop_fd_cb cb = w->cb;
				uint64_t t0 = now_us();

				cb(l, w->fd, evs[i].events, w->arg);
				report_stall(l, t0, "fd", (void *)cb);
			}
		}
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
