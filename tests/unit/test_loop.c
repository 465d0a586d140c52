/*
 * test_loop.c - the event loop's stall report (user/loop.c): where the time
 * of a callback that held the loop went, and the advice it gives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

#define ADVICE "vrrp_rt_priority keeps xvipd ahead"

static void test_cause_busy_machine(void **state)
{
	char b[200];

	(void)state;
	/* 318 ms held, 12 of them on a CPU, preempted 29 times: seen on two
	 * busy cores with xvipd at normal priority */
	loop_stall_cause(b, sizeof(b), 318000, 12000, 0, 29, false);
	assert_string_equal(b, "12 ms on a CPU, preempted 29 times, blocked 0 times: the machine "
			       "is busy, " ADVICE " of it");
}

static void test_cause_no_advice_when_realtime(void **state)
{
	char b[200];

	(void)state;
	loop_stall_cause(b, sizeof(b), 318000, 12000, 0, 29, true);
	assert_string_equal(b, "12 ms on a CPU, preempted 29 times, blocked 0 times");
}

static void test_cause_own_work_or_blocking(void **state)
{
	char b[200];

	(void)state;
	/* the callback's own work: the priority would not help */
	loop_stall_cause(b, sizeof(b), 26000, 25000, 0, 2, false);
	assert_null(strstr(b, ADVICE));
	/* a call that sleeps: a bug of ours, not the machine's */
	loop_stall_cause(b, sizeof(b), 98000, 300, 3, 1, false);
	assert_string_equal(b, "0 ms on a CPU, preempted 1 times, blocked 3 times");
}

static void test_cause_truncates(void **state)
{
	char b[10];

	(void)state;
	assert_true(loop_stall_cause(b, sizeof(b), 318000, 12000, 0, 29, false) >= 10);
	assert_string_equal(b, "12 ms on ");
}

static void sleepy(struct loop *l, uint64_t id, void *arg)
{
	struct timespec ts = { 0, 40 * 1000 * 1000 };

	(void)id;
	(void)arg;
	nanosleep(&ts, NULL);
	loop_stop(l);
}

/* A timer callback that sleeps 40 ms is reported, as blocked. */
static void test_stall_reported(void **state)
{
	char path[] = "/tmp/test_loop.XXXXXX", text[2000] = "", *p;
	int fd = mkstemp(path), saved = dup(2);
	struct loop *l = loop_new();
	long blocked = -1;
	FILE *f;

	(void)state;
	assert_true(fd >= 0 && saved >= 0 && l);
	log_init("test_loop", true, false);
	dup2(fd, 2);
	assert_true(loop_add_timer(l, now_us(), sleepy, NULL) != 0);
	assert_int_equal(loop_run(l), 0);
	dup2(saved, 2);
	close(saved);
	loop_free(l);
	f = fdopen(fd, "r");
	rewind(f);
	text[fread(text, 1, sizeof(text) - 1, f)] = 0;
	fclose(f);
	unlink(path);
	p = strstr(text, "event loop held ");
	assert_non_null(p);
	assert_non_null(strstr(p, "by a timer callback"));
	p = strstr(p, "since the loop woke: ");
	assert_non_null(p);
	p = strstr(p, "blocked ");
	assert_non_null(p);
	blocked = strtol(p + 8, NULL, 10);
	assert_true(blocked >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cause_busy_machine),
		cmocka_unit_test(test_cause_no_advice_when_realtime),
		cmocka_unit_test(test_cause_own_work_or_blocking),
		cmocka_unit_test(test_cause_truncates),
		cmocka_unit_test(test_stall_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
