/* dying.c - a doomed process's teardown yields the CPU (see dying.h). */
#include "dying.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

size_t dying_demote(struct dying *d, pid_t tgid)
{
	static const struct sched_param idle = { 0 };
	char dir[48];
	struct dirent *de;
	DIR *dp;

	memset(d, 0, sizeof(*d));
	d->tgid = tgid;
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)tgid);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((de = readdir(dp)) && d->n < DYING_MAX_THREADS) {
		struct dying_thread *t = &d->t[d->n];
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || tid <= 0)
			continue;
		t->tid = (pid_t)tid;
		t->policy = sched_getscheduler(t->tid);
		if (t->policy < 0 || sched_getparam(t->tid, &t->sp) < 0)
			continue; /* gone already */
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
	return d->n;
}

size_t dying_restore(struct dying *d)
{
	size_t back = 0;

	d->gone = 0;
	for (size_t i = 0; i < d->n; i++) {
		struct dying_thread *t = &d->t[i];

		if (sched_setscheduler(t->tid, t->policy, &t->sp) < 0) {
			if (errno == ESRCH)
				d->gone++;
			continue;
		}
		/* SCHED_OTHER's nice survives the round trip on Linux; set it
		 * anyway, in case the class change reset it */
		(void)setpriority(PRIO_PROCESS, (id_t)t->tid, t->nice);
		back++;
	}
	return back;
}
