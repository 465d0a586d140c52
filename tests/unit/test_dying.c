/*
 * test_dying.c - a doomed process's threads moved to SCHED_IDLE and back
 * (user/dying.c), on a real child process of this test: its threads are
 * demoted, what each had (policy, nice) comes back, a process that is gone
 * is no error, and a thread gone by the restore is counted, not touched.
 * Needs CAP_SYS_NICE to give a nice value back below the current one (root
 * in make test); skipped without.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "dying.h"

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A child with nthreads threads besides its main one, each at nice 5;
 * returns its pid once all are there. */
static pid_t child_with_threads(int nthreads)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t t;

		/* gone with the test, whatever fails in it */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			_exit(1);
		for (int i = 0; i < nthreads; i++)
			if (pthread_create(&t, NULL, idle_thread, NULL))
				_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The tids of pid's threads, from /proc (at most max). */
static int tids_of(pid_t pid, pid_t *tids, int max)
{
	char dir[64];
	struct dirent *de;
	DIR *dp;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((de = readdir(dp)) && n < max)
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			tids[n++] = (pid_t)atoi(de->d_name);
	closedir(dp);
	return n;
}

/* How many of pid's threads have policy (and nice, unless 99). */
static int tasks_with_policy(pid_t pid, int policy, int nice)
{
	pid_t tids[64];
	int n = tids_of(pid, tids, 64), k = 0;

	for (int i = 0; i < n; i++)
		if (sched_getscheduler(tids[i]) == policy &&
		    (nice == 99 || getpriority(PRIO_PROCESS, (id_t)tids[i]) == nice))
			k++;
	return k;
}

static void test_demote_and_restore(void **state)
{
	pid_t pid = child_with_threads(3);
	struct dying *d = calloc(1, sizeof(*d));
	pid_t tids[64];
	int n = tids_of(pid, tids, 64);

	(void)state;
	assert_non_null(d);
	assert_int_equal(n, 4);
	/* nice 5 on every thread (Linux's nice is per thread) */
	for (int i = 0; i < n; i++)
		assert_int_equal(setpriority(PRIO_PROCESS, (id_t)tids[i], 5), 0);
	assert_int_equal(tasks_with_policy(pid, SCHED_OTHER, 5), 4);
	dying_init(d, pid);
	assert_int_equal(dying_demote(d, 0), 4);
	assert_int_equal(d->first_errno, 0);
	assert_int_equal(tasks_with_policy(pid, SCHED_IDLE, 99), 4);
	/* nice 7 now: giving 5 back (a lower value) needs CAP_SYS_NICE */
	for (int i = 0; i < n; i++)
		assert_int_equal(setpriority(PRIO_PROCESS, (id_t)tids[i], 7), 0);
	if (setpriority(PRIO_PROCESS, (id_t)tids[0], 6) < 0 && errno == EACCES) {
		reap(pid);
		free(d);
		skip();
	}
	assert_int_equal(dying_restore(d), 4);
	assert_int_equal(d->gone, 0);
	assert_int_equal(tasks_with_policy(pid, SCHED_OTHER, 5), 4);
	reap(pid);
	free(d);
}

/* A second pass (or a second check of the same server) finds the threads
 * SCHED_IDLE already and leaves them out: its restore would keep them idle. */
static void test_second_pass_skips_idle(void **state)
{
	pid_t pid = child_with_threads(2);
	struct dying *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	dying_init(a, pid);
	assert_int_equal(dying_demote(a, 1), 1); /* a limited first pass */
	assert_int_equal(dying_demote(a, 0), 2); /* the rest */
	assert_int_equal(dying_demote(a, 0), 0);
	dying_init(b, pid);
	assert_int_equal(dying_demote(b, 0), 0);
	assert_int_equal(dying_restore(a), 3);
	assert_int_equal(tasks_with_policy(pid, SCHED_OTHER, 99), 3);
	reap(pid);
	free(a);
	free(b);
}

static void test_gone_process(void **state)
{
	pid_t pid = child_with_threads(0);
	struct dying *d = calloc(1, sizeof(*d));

	(void)state;
	assert_non_null(d);
	reap(pid);
	dying_init(d, pid);
	assert_int_equal(dying_demote(d, 0), 0);
	assert_int_equal(dying_restore(d), 0);
	free(d);
}

static void test_gone_by_the_restore(void **state)
{
	pid_t pid = child_with_threads(1);
	struct dying *d = calloc(1, sizeof(*d));

	(void)state;
	assert_non_null(d);
	dying_init(d, pid);
	assert_int_equal(dying_demote(d, 0), 2);
	reap(pid);
	assert_int_equal(dying_restore(d), 0);
	assert_int_equal(d->gone, 2);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demote_and_restore),
		cmocka_unit_test(test_second_pass_skips_idle),
		cmocka_unit_test(test_gone_process),
		cmocka_unit_test(test_gone_by_the_restore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
