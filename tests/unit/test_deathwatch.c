/*
 * test_deathwatch.c - the mysqld death watch (deathwatch.c and
 * bpf/mysqld_watch.bpf.c) against real processes: pure helpers (pid file
 * text, NSpid, event texts), then, as root with a bpffs of the test's own
 * (mounted in a temp dir), children that are SIGKILLed (the event carries
 * the signal and the sender, and comes before the teardown ends), exit with
 * a status from a second thread (EXITING while the group exits, then
 * DEAD), exit single-threaded, are SIGSTOPped, and a thread killed with
 * tgkill; a thread that ends on its own and an unwatched process say
 * nothing; dw_unwatch silences a pid; the pinned map shows the pid. Every
 * live test is skipped when the programs cannot be loaded (no root, no
 * BTF).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>

#include "clock.h"
#include "deathwatch.h"
#include "log.h"
#include "loop.h"

/* ---- pure ---- */

static void t_pidfile(void **st)
{
	(void)st;
	assert_int_equal(dw_parse_pidfile("1234\n"), 1234);
	assert_int_equal(dw_parse_pidfile(" 77 \r\n"), 77);
	assert_int_equal(dw_parse_pidfile(""), -1);
	assert_int_equal(dw_parse_pidfile("0\n"), -1);
	assert_int_equal(dw_parse_pidfile("-5\n"), -1);
	assert_int_equal(dw_parse_pidfile("12ab\n"), -1);
	assert_int_equal(dw_parse_pidfile("12\n13\n"), -1);
	assert_int_equal(dw_parse_pidfile("99999999999999999999\n"), -1);
}

static void t_nspid(void **st)
{
	(void)st;
	assert_true(dw_nspid_initial("\nName:\tx\nNSpid:\t1234\nNSpgid:\t1\n"));
	assert_false(dw_nspid_initial("\nNSpid:\t1234\t7\n"));
	assert_false(dw_nspid_initial("\nName:\tx\n"));
	assert_false(dw_nspid_initial("\nNSpid:\t\n"));
}

static void t_describe(void **st)
{
	struct xvip_mysqld_event ev = { .type = XVIP_MYSQLD_KILLED, .tgid = 10, .sig = 9,
					.sender_tgid = 42 };
	char buf[200];

	(void)st;
	memcpy(ev.sender_comm, "ba\x1bsh", 5);
	dw_describe(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "killed by signal 9 (SIGKILL) from pid 42 (ba?sh)");
	ev.sender_tgid = 0;
	dw_describe(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "killed by signal 9 (SIGKILL) from the kernel");
	ev = (struct xvip_mysqld_event){ .type = XVIP_MYSQLD_EXITING, .exit_code = 3 << 8 };
	dw_describe(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "exiting (exit status 3)");
	ev.type = XVIP_MYSQLD_DEAD;
	ev.exit_code = 6;
	dw_describe(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "gone (signal 6 SIGABRT)");
	ev.type = XVIP_MYSQLD_STOPPED;
	ev.sig = 19;
	ev.sender_tgid = 5;
	strcpy(ev.sender_comm, "kill");
	dw_describe(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "stopped by signal 19 (SIGSTOP) from pid 5 (kill)");
}

/* ---- live ---- */

static char g_root[64];
static struct loop *g_l;
static struct deathwatch *g_dw;

#define MAX_EV 16
static struct xvip_mysqld_event g_ev[MAX_EV];
static size_t g_n;
static uint32_t g_want; /* stop the loop at this event type */

static void on_ev(void *arg, const struct xvip_mysqld_event *ev)
{
	(void)arg;
	if (getenv("DW_DEBUG"))
		fprintf(stderr, "# event %s tgid %u tid %u\n", dw_event_str(ev->type), ev->tgid, ev->tid);
	if (g_n < MAX_EV)
		g_ev[g_n++] = *ev;
	if (ev->type == g_want)
		loop_stop(g_l);
}

static void on_deadline(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	loop_stop(l);
}

/* Runs the loop until an event of type want arrived or ms passed. */
static bool await(uint32_t want, unsigned ms)
{
	uint64_t t;

	g_want = want;
	for (size_t i = 0; i < g_n; i++)
		if (g_ev[i].type == want)
			return true;
	t = loop_add_timer(g_l, now_us() + ms * 1000ull, on_deadline, NULL);
	loop_run(g_l);
	loop_cancel_timer(g_l, t);
	for (size_t i = 0; i < g_n; i++)
		if (g_ev[i].type == want)
			return true;
	fprintf(stderr, "# waited %u ms for a '%s' event: %zu other event(s)\n", ms,
		dw_event_str(want), g_n);
	return false;
}

static const struct xvip_mysqld_event *first(uint32_t type)
{
	for (size_t i = 0; i < g_n; i++)
		if (g_ev[i].type == type)
			return &g_ev[i];
	return NULL;
}

static int setup_live(void **st)
{
	char err[300];

	(void)st;
	g_n = 0;
	if (g_dw)
		return 0;
	snprintf(g_root, sizeof(g_root), "/tmp/xvip-dwtest.XXXXXX");
	if (!mkdtemp(g_root) || mount("bpf", g_root, "bpf", 0, NULL) < 0) {
		fprintf(stderr, "# no bpffs of our own (%s): live tests skipped\n", strerror(errno));
		return 0;
	}
	g_l = loop_new();
	g_dw = dw_open(g_l, g_root, err, sizeof(err));
	if (!g_dw)
		fprintf(stderr, "# death watch unavailable (%s): live tests skipped\n", err);
	return 0;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *quitter(void *arg)
{
	usleep(20000);
	_exit((int)(intptr_t)arg); /* exit_group from a second thread */
	return NULL;
}

static void *leaver(void *arg)
{
	(void)arg;
	return NULL; /* a thread that ends on its own */
}

/* every child, killed at the end whatever a failed assert left behind */
static pid_t g_kids[64];
static size_t g_nkids;

enum child_kind { CH_PAUSE, CH_EXIT_THREAD, CH_THREAD_ENDS, CH_EXIT_SINGLE };

/* A child that reports its threads' tids through a pipe, then behaves. */
static pid_t child(enum child_kind k, pid_t *tid2)
{
	int p[2];
	pid_t pid, t = 0;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t th;

		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (k == CH_EXIT_SINGLE) {
			(void)!write(p[1], &t, sizeof(t));
			usleep(50000);
			_exit(3);
		}
		pthread_create(&th, NULL, k == CH_EXIT_THREAD ? quitter : sleeper,
			       (void *)(intptr_t)4);
		usleep(10000);
		/* the newest thread's tid: the highest in /proc/self/task */
		t = (pid_t)syscall(SYS_gettid) + 1;
		for (pid_t x = t + 64; x > t - 1; x--) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/self/task/%d", x);
			if (access(path, F_OK) == 0 && x != (pid_t)syscall(SYS_gettid)) {
				t = x;
				break;
			}
		}
		(void)!write(p[1], &t, sizeof(t));
		if (k == CH_THREAD_ENDS) { /* watched by now */
			usleep(50000);
			pthread_create(&th, NULL, leaver, NULL);
			pthread_join(th, NULL);
		}
		for (;;)
			pause();
	}
	close(p[1]);
	if (g_nkids < 64)
		g_kids[g_nkids++] = pid;
	assert_int_equal(read(p[0], &t, sizeof(t)), sizeof(t));
	close(p[0]);
	if (tid2)
		*tid2 = t;
	return pid;
}

#define SKIP_UNLESS_LIVE()                                                     \
	do {                                                                   \
		if (!g_dw)                                                     \
			skip();                                                \
	} while (0)

static void t_kill9(void **st)
{
	const struct xvip_mysqld_event *k, *d;
	struct xvip_mysqld_watch w;
	uint64_t sent;
	pid_t pid;
	char buf[200];
	int status;

	(void)st;
	SKIP_UNLESS_LIVE();
	pid = child(CH_PAUSE, NULL);
	assert_int_equal(dw_watch(g_dw, (uint32_t)pid, 3306, on_ev, NULL), 0);
	{	/* the pinned map shows it (bpftool map dump pinned ROOT/mysqld_pids) */
		char pin[128];
		int fd;
		uint32_t key = (uint32_t)pid;

		snprintf(pin, sizeof(pin), "%s/mysqld_pids", g_root);
		fd = bpf_obj_get(pin);
		assert_true(fd >= 0);
		assert_int_equal(bpf_map_lookup_elem(fd, &key, &w), 0);
		assert_int_equal(w.port, 3306);
		close(fd);
	}
	sent = mono_ns();
	kill(pid, SIGKILL);
	assert_true(await(XVIP_MYSQLD_DEAD, 2000));
	k = first(XVIP_MYSQLD_KILLED);
	d = first(XVIP_MYSQLD_DEAD);
	assert_non_null(k);
	assert_int_equal(k->tgid, (uint32_t)pid);
	assert_int_equal(k->sig, SIGKILL);
	assert_int_equal(k->sender_tgid, (uint32_t)getpid());
	assert_true(k->ts_ns >= sent && k->ts_ns <= d->ts_ns);
	assert_int_equal(d->exit_code & 0x7f, SIGKILL);
	dw_describe(k, buf, sizeof(buf));
	fprintf(stderr, "# %s: %llu us after kill(), teardown %llu us\n", buf,
		(unsigned long long)(k->ts_ns - sent) / 1000,
		(unsigned long long)(d->ts_ns - k->ts_ns) / 1000);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* after DEAD the pid is forgotten: a reused pid is not watched */
	{
		char pin[128];
		int fd;
		uint32_t key = (uint32_t)pid;

		snprintf(pin, sizeof(pin), "%s/mysqld_pids", g_root);
		fd = bpf_obj_get(pin);
		assert_int_not_equal(bpf_map_lookup_elem(fd, &key, &w), 0);
		close(fd);
	}
}

static void t_exit_from_thread(void **st)
{
	const struct xvip_mysqld_event *e, *d;
	pid_t pid, tid;
	int status;

	(void)st;
	SKIP_UNLESS_LIVE();
	pid = child(CH_EXIT_THREAD, &tid);
	assert_int_equal(dw_watch(g_dw, (uint32_t)pid, 3306, on_ev, NULL), 0);
	assert_true(await(XVIP_MYSQLD_DEAD, 3000));
	e = first(XVIP_MYSQLD_EXITING);
	d = first(XVIP_MYSQLD_DEAD);
	assert_non_null(e);
	assert_true(e->ts_ns <= d->ts_ns);
	assert_int_equal((d->exit_code >> 8) & 0xff, 4);
	assert_null(first(XVIP_MYSQLD_KILLED));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 4);
}

static void t_exit_single(void **st)
{
	const struct xvip_mysqld_event *d;
	pid_t pid;
	int status;

	(void)st;
	SKIP_UNLESS_LIVE();
	pid = child(CH_EXIT_SINGLE, NULL);
	assert_int_equal(dw_watch(g_dw, (uint32_t)pid, 3306, on_ev, NULL), 0);
	assert_true(await(XVIP_MYSQLD_DEAD, 3000));
	d = first(XVIP_MYSQLD_DEAD);
	assert_int_equal((d->exit_code >> 8) & 0xff, 3);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void t_thread_end_and_stop(void **st)
{
	const struct xvip_mysqld_event *s;
	pid_t pid;
	int status;

	(void)st;
	SKIP_UNLESS_LIVE();
	pid = child(CH_PAUSE, NULL);
	assert_int_equal(dw_watch(g_dw, (uint32_t)pid, 3306, on_ev, NULL), 0);
	kill(pid, SIGSTOP);
	assert_true(await(XVIP_MYSQLD_STOPPED, 2000));
	s = first(XVIP_MYSQLD_STOPPED);
	assert_int_equal(s->sig, SIGSTOP);
	assert_null(first(XVIP_MYSQLD_KILLED));
	assert_null(first(XVIP_MYSQLD_EXITING));
	kill(pid, SIGCONT);
	kill(pid, SIGKILL);
	assert_true(await(XVIP_MYSQLD_DEAD, 2000));
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void t_thread_ends_silently(void **st)
{
	pid_t pid;
	int status;

	(void)st;
	SKIP_UNLESS_LIVE();
	pid = child(CH_THREAD_ENDS, NULL);
	assert_int_equal(dw_watch(g_dw, (uint32_t)pid, 3306, on_ev, NULL), 0);
	/* a thread of it ends 50 ms from now: no word of that */
	assert_false(await(XVIP_MYSQLD_EXITING, 300));
	assert_int_equal(g_n, 0);
	kill(pid, SIGKILL);
	assert_true(await(XVIP_MYSQLD_DEAD, 2000));
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void t_tgkill_thread(void **st)
{
	const struct xvip_mysqld_event *k;
	pid_t pid, tid;
	int status;

	(void)st;
	SKIP_UNLESS_LIVE();
	pid = child(CH_PAUSE, &tid);
	assert_int_not_equal(tid, pid);
	assert_int_equal(dw_watch(g_dw, (uint32_t)pid, 3306, on_ev, NULL), 0);
	assert_int_equal(syscall(SYS_tgkill, pid, tid, SIGKILL), 0);
	assert_true(await(XVIP_MYSQLD_DEAD, 2000));
	k = first(XVIP_MYSQLD_KILLED);
	assert_non_null(k);
	assert_int_equal(k->tgid, (uint32_t)pid);
	assert_int_equal(k->tid, (uint32_t)tid);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void t_unwatched(void **st)
{
	pid_t pid, other;
	int status;

	(void)st;
	SKIP_UNLESS_LIVE();
	pid = child(CH_PAUSE, NULL);
	other = child(CH_PAUSE, NULL);
	assert_int_equal(dw_watch(g_dw, (uint32_t)pid, 3306, on_ev, NULL), 0);
	dw_unwatch(g_dw, (uint32_t)pid, NULL);
	kill(pid, SIGKILL);
	kill(other, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(waitpid(other, &status, 0), other);
	assert_false(await(XVIP_MYSQLD_DEAD, 200));
	assert_int_equal(g_n, 0);
	assert_int_equal(dw_lost(g_dw), 0);
}

static int teardown_all(void **st)
{
	(void)st;
	for (size_t i = 0; i < g_nkids; i++)
		if (kill(g_kids[i], SIGKILL) == 0)
			waitpid(g_kids[i], NULL, 0);
	if (g_dw)
		dw_close(g_dw);
	if (g_l)
		loop_free(g_l);
	if (g_root[0]) {
		umount(g_root);
		rmdir(g_root);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_pidfile),
		cmocka_unit_test(t_nspid),
		cmocka_unit_test(t_describe),
		cmocka_unit_test_setup(t_kill9, setup_live),
		cmocka_unit_test_setup(t_exit_from_thread, setup_live),
		cmocka_unit_test_setup(t_exit_single, setup_live),
		cmocka_unit_test_setup(t_thread_end_and_stop, setup_live),
		cmocka_unit_test_setup(t_thread_ends_silently, setup_live),
		cmocka_unit_test_setup(t_tgkill_thread, setup_live),
		cmocka_unit_test_setup(t_unwatched, setup_live),
	};

	log_init("test_deathwatch", true, false);
	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
