/*
 * test_scripts.c - running scripts from the loop
 * (exit status, exec failure, timeout and process-group kill, argument
 * order, many at once, the loop never blocking, fd hygiene).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "loop.h"
#include "script_line.h"

/* ---- commands as the config makes them ---- */

static struct script_cmd *made[64];
static size_t n_made;

static struct script_cmd *mk(const char *line)
{
	assert_true(n_made < 64);
	return made[n_made++] = script_line(line);
}

static void free_made(void)
{
	while (n_made)
		script_cmd_free(made[--n_made]);
}

/* ---- running ---- */

struct result {
	int calls;
	int status;
	bool timed_out;
	uint64_t at;
};

struct runner {
	struct loop *l;
	int want;     /* stop the loop after this many results */
	int got;
	bool deadline_hit;
};

static struct runner *cur;

static void on_done(void *arg, int status, bool timed_out)
{
	struct result *r = arg;

	r->calls++;
	r->status = status;
	r->timed_out = timed_out;
	r->at = now_us();
	if (++cur->got >= cur->want)
		loop_stop(cur->l);
}

static void on_deadline(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	cur->deadline_hit = true;
	loop_stop(l);
}

/* Runs the loop until `want` results came in or timeout_ms passed. */
static void run_until(struct runner *r, int want, int timeout_ms)
{
	uint64_t t;

	r->want = want;
	cur = r;
	t = loop_add_timer(r->l, now_us() + (uint64_t)timeout_ms * 1000, on_deadline, NULL);
	if (r->got < want)
		assert_int_equal(loop_run(r->l), 0);
	loop_cancel_timer(r->l, t);
	assert_false(r->deadline_hit);
	assert_int_equal(r->got, want);
}

static int setup(void **state)
{
	struct runner *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->l = loop_new();
	if (!r->l) {
		free(r);
		return -1;
	}
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct runner *r = *state;

	scripts_kill_all();
	free_made();
	loop_free(r->l);
	free(r);
	return 0;
}

static void run_one(struct runner *r, const char *line, const char *const *extra,
		    uint64_t timeout_us, struct result *res, pid_t *pid)
{
	char err[256] = "";
	int rc = script_run(r->l, mk(line), extra, timeout_us, on_done, res, pid, err, sizeof(err));

	if (rc)
		fail_msg("script_run(%s): %d %s", line, rc, err);
}

static void test_exit_status(void **state)
{
	struct runner *r = *state;
	struct result ok = { 0 }, three = { 0 }, sig = { 0 };
	pid_t pid = 0;

	run_one(r, "/bin/true", NULL, 5000000, &ok, &pid);
	assert_true(pid > 0);
	run_one(r, "/bin/sh -c 'exit 3'", NULL, 5000000, &three, NULL);
	run_one(r, "sh -c 'kill -TERM $$'", NULL, 5000000, &sig, NULL); /* PATH lookup */
	run_until(r, 3, 5000);
	assert_int_equal(ok.calls, 1);
	assert_int_equal(ok.status, 0);
	assert_false(ok.timed_out);
	assert_int_equal(three.calls, 1);
	assert_int_equal(three.status, 3);
	assert_false(three.timed_out);
	assert_int_equal(sig.status, -SIGTERM);
	assert_int_equal(scripts_running(), 0);
	/* reaped: no zombie left behind */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void make_tmpdir(void);
static void rm_tmpdir(void);
static void write_file(const char *path, const char *text, mode_t mode);
static char tmpdir[64];

static void test_missing_script_127(void **state)
{
	struct runner *r = *state;
	struct result res = { 0 }, noexec = { 0 };
	char path[128];

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/not-executable.sh", tmpdir);
	write_file(path, "#!/bin/sh\nexit 0\n", 0644);
	run_one(r, "/nonexistent/xvip-check --flag", NULL, 5000000, &res, NULL);
	run_one(r, path, NULL, 5000000, &noexec, NULL);
	run_until(r, 2, 5000);
	assert_int_equal(res.status, 127);
	assert_false(res.timed_out);
	assert_int_equal(noexec.status, 127);
	rm_tmpdir();
}

static void test_bad_line(void **state)
{
	struct runner *r = *state;
	char err[256] = "";
	struct result res = { 0 };

	assert_int_equal(script_run(r->l, NULL, NULL, 0, on_done, &res, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "script"));
	assert_int_equal(res.calls, 0);
	assert_int_equal(scripts_running(), 0);
}

static bool gone_or_zombie(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	bool z = false;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		z = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return z;
}

static void test_timeout_kills(void **state)
{
	struct runner *r = *state;
	struct result res = { 0 };
	pid_t pid = 0;
	uint64_t t0 = now_us();

	run_one(r, "sleep 5", NULL, 200000, &res, &pid);
	assert_int_equal(getpgid(pid), pid); /* its own process group */
	run_until(r, 1, 5000);
	assert_true(res.timed_out);
	assert_int_equal(res.status, -SIGKILL);
	assert_true(res.at - t0 >= 190000);
	assert_true(res.at - t0 < 2000000);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xvip-test-scripts.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static char *read_text(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The timeout kills the whole group, not just the script. */
static void test_timeout_kills_group(void **state)
{
	struct runner *r = *state;
	struct result res = { 0 };
	char line[256], pidfile[128], *txt;

	make_tmpdir();
	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", tmpdir);
	snprintf(line, sizeof(line), "/bin/sh -c 'sleep 7 & echo $! > %s; wait'", pidfile);
	run_one(r, line, NULL, 300000, &res, NULL);
	run_until(r, 1, 5000);
	assert_true(res.timed_out);
	txt = read_text(pidfile);
	assert_non_null(txt);
	assert_true(atoi(txt) > 0);
	/* The grandchild got SIGKILL too; reparented, it may linger as a
	 * zombie for a moment until its new parent reaps it. */
	for (int i = 0; i < 100 && !gone_or_zombie(atoi(txt)); i++)
		usleep(10000);
	assert_true(gone_or_zombie(atoi(txt)));
	rm_tmpdir();
}

static void test_extra_args_order(void **state)
{
	struct runner *r = *state;
	struct result res = { 0 };
	char script[128], out[128], text[512], line[512], *got;
	static const char *const extra[] = { "INSTANCE", "VI_1", "MASTER", "100", NULL };

	make_tmpdir();
	snprintf(script, sizeof(script), "%s/notify me.sh", tmpdir);
	snprintf(out, sizeof(out), "%s/args.out", tmpdir);
	snprintf(text, sizeof(text), "#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\n", out);
	write_file(script, text, 0755);
	snprintf(line, sizeof(line), "\"%s\" first 'second arg'", script);
	run_one(r, line, extra, 5000000, &res, NULL);
	run_until(r, 1, 5000);
	assert_int_equal(res.status, 0);
	got = read_text(out);
	assert_non_null(got);
	assert_string_equal(got, "first\nsecond arg\nINSTANCE\nVI_1\nMASTER\n100\n");
	rm_tmpdir();
}

static void test_twenty_at_once(void **state)
{
	struct runner *r = *state;
	struct result res[20];
	char line[64];

	memset(res, 0, sizeof(res));
	for (int i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), "/bin/sh -c 'sleep 0.%d; exit %d'", i % 3, i);
		run_one(r, line, NULL, 5000000, &res[i], NULL);
	}
	assert_int_equal(scripts_running(), 20);
	run_until(r, 20, 10000);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].status, i);
		assert_false(res[i].timed_out);
	}
	assert_int_equal(scripts_running(), 0);
}

static int ticks;

static void on_tick(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	ticks++;
	loop_add_timer(l, now_us() + 10000, on_tick, NULL);
}

static void test_loop_never_blocks(void **state)
{
	struct runner *r = *state;
	struct result res = { 0 };
	uint64_t t0 = now_us();

	ticks = 0;
	loop_add_timer(r->l, now_us() + 10000, on_tick, NULL);
	run_one(r, "sleep 1", NULL, 5000000, &res, NULL);
	run_until(r, 1, 5000);
	assert_int_equal(res.status, 0);
	assert_true(res.at - t0 >= 950000);
	/* ~100 ticks of 10 ms in that second; demand half of them. */
	assert_true(ticks >= 50);
}

/* No daemon fd leaks into the child; stdin is /dev/null. */
static void test_child_fds(void **state)
{
	struct runner *r = *state;
	struct result leak = { 0 }, in = { 0 };
	char line[128];
	int p[2];

	assert_int_equal(pipe(p), 0); /* deliberately without O_CLOEXEC */
	snprintf(line, sizeof(line), "/bin/sh -c 'test -e /proc/$$/fd/%d || test -e /proc/$$/fd/%d'",
		 p[0], p[1]);
	run_one(r, line, NULL, 5000000, &leak, NULL);
	run_one(r, "/bin/sh -c 'test \"$(readlink /proc/$$/fd/0)\" = /dev/null'", NULL, 5000000,
		&in, NULL);
	run_until(r, 2, 5000);
	close(p[0]);
	close(p[1]);
	assert_int_equal(leak.status, 1);
	assert_int_equal(in.status, 0);
}

static int poll_ticks;

static void on_poll(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	if (scripts_running() == 0 || ++poll_ticks > 500) {
		loop_stop(l);
		return;
	}
	loop_add_timer(l, now_us() + 10000, on_poll, NULL);
}

static void test_notify_fire_and_forget(void **state)
{
	struct runner *r = *state;
	char err[256] = "";
	static const char *const extra[] = { "INSTANCE", "VI_1", "FAULT", "0", NULL };

	assert_int_equal(script_notify(r->l, mk("/bin/true"), NULL, err, sizeof(err)), 0);
	assert_int_equal(script_notify(r->l, mk("/bin/sh -c 'exit 2'"), extra, err, sizeof(err)), 0);
	assert_int_equal(script_notify(r->l, mk("/nonexistent/notify"), NULL, err, sizeof(err)), 0);
	assert_int_equal(scripts_running(), 3);
	poll_ticks = 0;
	loop_add_timer(r->l, now_us() + 10000, on_poll, NULL);
	assert_int_equal(loop_run(r->l), 0);
	assert_int_equal(scripts_running(), 0);
}

static void test_kill_all(void **state)
{
	struct runner *r = *state;
	struct result a = { 0 }, b = { 0 };
	pid_t pa = 0, pb = 0;

	run_one(r, "sleep 5", NULL, 0, &a, &pa);
	run_one(r, "/bin/sh -c 'sleep 6; exit 0'", NULL, 0, &b, &pb);
	assert_int_equal(scripts_running(), 2);
	scripts_kill_all();
	assert_int_equal(scripts_running(), 0);
	assert_int_equal(kill(pa, 0), -1);
	assert_int_equal(kill(pb, 0), -1);
	assert_int_equal(a.calls + b.calls, 0);
}

/* A script with a user runs as that user, with its groups (the child's own
 * setgroups/setresgid/setresuid before execve). */
static void test_runs_as_user(void **state)
{
	struct runner *r = *state;
	struct result res = { 0 };
	struct script_cmd *c;
	char line[256], out[128], *got;
	gid_t groups[] = { 65534, 4 };

	make_tmpdir();
	assert_int_equal(chmod(tmpdir, 0777), 0);
	snprintf(out, sizeof(out), "%s/id.out", tmpdir);
	snprintf(line, sizeof(line), "/bin/sh -c 'exec > %s; id -u; id -g; id -G'", out);
	c = mk(line);
	c->as_user = true;
	c->uid = 65534;
	c->gid = 65534;
	c->groups = calloc(2, sizeof(gid_t));
	assert_non_null(c->groups);
	memcpy(c->groups, groups, sizeof(groups));
	c->n_groups = 2;
	assert_int_equal(script_run(r->l, c, NULL, 5000000, on_done, &res, NULL, line, sizeof(line)),
			 0);
	run_until(r, 1, 5000);
	assert_int_equal(res.status, 0);
	got = read_text(out);
	assert_non_null(got);
	assert_string_equal(got, "65534\n65534\n65534 4\n");
	rm_tmpdir();
}

/* Shutdown: notify scripts (notify_stop) may finish within the bound;
 * check scripts are killed at once, their callbacks never called. */
static void test_finish_waits_for_notify(void **state)
{
	struct runner *r = *state;
	struct result chk = { 0 };
	char line[256], out[128], err[256];
	uint64_t t0;

	make_tmpdir();
	snprintf(out, sizeof(out), "%s/stopped", tmpdir);
	snprintf(line, sizeof(line), "/bin/sh -c 'sleep 0.3; echo done > %s'", out);
	assert_int_equal(script_notify(r->l, mk(line), NULL, err, sizeof(err)), 0);
	run_one(r, "sleep 10", NULL, 0, &chk, NULL);
	t0 = now_us();
	assert_int_equal(scripts_finish(5000000), 0);
	assert_true(now_us() - t0 >= 250000);
	assert_true(now_us() - t0 < 3000000);
	assert_non_null(read_text(out));
	assert_string_equal(read_text(out), "done\n");
	assert_int_equal(chk.calls, 0);
	assert_int_equal(scripts_running(), 0);
	rm_tmpdir();
}

static void test_finish_is_bounded(void **state)
{
	struct runner *r = *state;
	char err[256];
	uint64_t t0, took;

	(void)r;
	assert_int_equal(script_notify(r->l, mk("sleep 10"), NULL, err, sizeof(err)), 0);
	t0 = now_us();
	assert_int_equal(scripts_finish(300000), 1);
	took = now_us() - t0;
	assert_true(took >= 290000);
	assert_true(took < 2000000);
	assert_int_equal(scripts_running(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exit_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_script_127, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extra_args_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_twenty_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_never_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_fire_and_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_as_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_waits_for_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_is_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
