/*
 * dying.h - a doomed process's teardown yields the CPU.
 *
 * A mysqld killed with SIGKILL runs no user code again, but its teardown
 * (unmapping the buffer pool, in the last thread to exit) takes
 * milliseconds of CPU, and on a small host it takes them from the
 * promotion it started: in the lab (2 CPUs) the dying mariadbd's last
 * thread ran 2.2 ms on the CPU where the replica's IO thread had been
 * woken by STOP SLAVE, which waited for it. So the watch moves the
 * dying process's threads to SCHED_IDLE (any other task preempts them),
 * and back a little later: on a saturated host an idle-class teardown
 * could otherwise starve for seconds and hold up the server's restart
 * (its files are closed after its memory is unmapped).
 *
 * Only a process the kernel reported doomed (deathwatch.h: SIGKILL
 * generated, or its group exit begun) is demoted. Needs CAP_SYS_NICE to
 * restore a nice value below the current one; without it, the restore is
 * best effort and said.
 */
#ifndef XVIP_DYING_H
#define XVIP_DYING_H

#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <sys/types.h>

#define DYING_MAX_THREADS 1024

struct dying_thread {
	pid_t tid;
	int policy; /* as it was */
	struct sched_param sp;
	int nice;
};

struct dying {
	pid_t tgid;
	size_t n;        /* threads demoted */
	size_t gone;     /* of those, gone by the restore */
	size_t failed;   /* of those, not given back (first_errno says why) */
	int first_errno; /* a thread that could not be demoted or restored (ESRCH aside) */
	struct dying_thread t[DYING_MAX_THREADS];
};

/* Starts a record of tgid's demoted threads. */
void dying_init(struct dying *d, pid_t tgid);

/* Moves up to max (0: no limit) more threads of d's process to SCHED_IDLE,
 * keeping what each had in d. A thread that is SCHED_IDLE already (demoted
 * by an earlier pass or by another check of the same server) is left out:
 * its "before" would be SCHED_IDLE. Returns the number demoted by this call
 * (0 when the process is gone). */
size_t dying_demote(struct dying *d, size_t max);

/* Gives the threads still there (checked: still a thread of d's process)
 * back what they had. Returns how many; d->gone the ones gone, d->failed
 * those that refused (EPERM: no CAP_SYS_NICE for a lower nice, ...). */
size_t dying_restore(struct dying *d);

#endif
