/* dying.c - a doomed process's teardown yields the CPU (see dying.h). */
#include "dying.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

void dying_init(struct dying *d, pid_t tgid)
{
	memset(d, 0, sizeof(*d));
	d->tgid = tgid;
}

size_t dying_demote(struct dying *d, size_t max)
{
	static const struct sched_param idle = { 0 };
	size_t before = d->n;
	char dir[48];
	struct dirent *de;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)d->tgid);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((de = readdir(dp)) && d->n < DYING_MAX_THREADS && (!max || d->n - before < max)) {
		struct dying_thread *t = &d->t[d->n];
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || tid <= 0)
			continue;
		t->tid = (pid_t)tid;
		t->policy = sched_getscheduler(t->tid);
		/* gone already, or idle already: demoted by an earlier pass (the
		 * record has it) or by someone else (its "before" would be idle) */
		if (t->policy < 0 || t->policy == SCHED_IDLE || sched_getparam(t->tid, &t->sp) < 0)
			continue;
		errno = 0;
		t->nice = getpriority(PRIO_PROCESS, (id_t)t->tid);
		if (t->nice == -1 && errno)
			continue;
		if (sched_setscheduler(t->tid, SCHED_IDLE, &idle) < 0) {
			if (errno != ESRCH && !d->first_errno)
				d->first_errno = errno;
			continue;
		}
		d->n++;
	}
	closedir(dp);
	return d->n - before;
}

size_t dying_restore(struct dying *d)
{
	size_t back = 0;

	d->gone = d->failed = 0;
	for (size_t i = 0; i < d->n; i++) {
		struct dying_thread *t = &d->t[i];
		char path[64];

		/* a tid gone from the process may name another task by now */
		snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)d->tgid, (int)t->tid);
		if (access(path, F_OK) < 0) {
			d->gone++;
			continue;
		}
		if (sched_setscheduler(t->tid, t->policy, &t->sp) < 0) {
			if (errno == ESRCH) {
				d->gone++;
			} else {
				d->failed++;
				if (!d->first_errno)
					d->first_errno = errno;
			}
			continue;
		}
		/* the class change keeps SCHED_OTHER's nice on Linux; set it
		 * anyway, in case it did not */
		if (setpriority(PRIO_PROCESS, (id_t)t->tid, t->nice) < 0 && errno != ESRCH) {
			d->failed++;
			if (!d->first_errno)
				d->first_errno = errno;
			continue;
		}
		back++;
	}
	return back;
}
