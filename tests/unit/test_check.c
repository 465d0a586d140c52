/*
 * test_check.c - TCP_CHECK and MISC_CHECK against local listeners and
 * scripts on 127.0.0.1: up, down after retries (attempt count and
 * delay_before_retry timing), connect timeout (a listener with a full
 * accept queue), recovery, MISC exit 0/1/timeout/dynamic weight, free
 * while a probe runs, free from the callback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "check.h"
#include "loop.h"
#include "script_line.h"

struct rec {
	struct loop *l;
	int changes;
	int want;
	bool up;
	char why[512];
	uint64_t at;
	bool free_in_cb;
	struct check *c;
};

static void on_change(void *arg, struct check *c, bool up, const char *why)
{
	struct rec *r = arg;

	r->changes++;
	r->up = up;
	snprintf(r->why, sizeof(r->why), "%s", why);
	r->at = now_us();
	if (r->free_in_cb) {
		check_free(c);
		r->c = NULL;
	}
	if (r->changes >= r->want)
		loop_stop(r->l);
}

static void on_guard(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	*(bool *)arg = true;
	loop_stop(l);
}

/* Runs the loop until r has seen `want` changes in total or timeout_ms. */
static bool wait_changes(struct rec *r, int want, uint32_t timeout_ms)
{
	bool expired = false;
	uint64_t g;

	if (r->changes >= want)
		return true;
	r->want = want;
	g = loop_add_timer(r->l, now_us() + timeout_ms * 1000ull, on_guard, &expired);
	loop_run(r->l);
	loop_cancel_timer(r->l, g);
	return r->changes >= want;
}

static void run_for(struct loop *l, uint32_t ms)
{
	bool expired = false;

	loop_add_timer(l, now_us() + ms * 1000ull, on_guard, &expired);
	while (!expired)
		loop_run(l);
}

static int listener(uint16_t *port, int backlog)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons(*port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port nobody listens on (bound then closed). */
static uint16_t closed_port(void)
{
	uint16_t port = 0;
	int fd = listener(&port, 1);

	close(fd);
	return port;
}

static struct in_addr lo(void)
{
	struct in_addr a = { .s_addr = htonl(INADDR_LOOPBACK) };

	return a;
}

static struct config_checker tcp_cfg(uint32_t delay_loop_ms, unsigned retry, uint32_t dbr_ms,
				     uint32_t connect_timeout_ms)
{
	struct config_checker cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.type = CONFIG_CHECK_TCP;
	cfg.u.tcp.delay_loop_ms = delay_loop_ms;
	cfg.u.tcp.retry = retry;
	cfg.u.tcp.delay_before_retry_ms = dbr_ms;
	cfg.u.tcp.connect_timeout_ms = connect_timeout_ms;
	return cfg;
}

/* ---- TCP_CHECK ---- */

static void test_tcp_up(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	uint16_t port = 0;
	int lfd = listener(&port, 16);
	struct config_checker cfg = tcp_cfg(50, 1, 50, 1000);
	struct check *c = check_new(l, &cfg, lo(), port, on_change, &r);
	uint64_t t0;

	(void)state;
	assert_non_null(c);
	assert_true(check_is_up(c)); /* keepalived: starts alive */
	assert_false(check_decided(c));
	t0 = now_us();
	check_start(c);
	assert_true(wait_changes(&r, 1, 2000));
	assert_true(r.up);
	assert_true(check_decided(c));
	assert_non_null(strstr(r.why, "connected to 127.0.0.1"));
	assert_true(r.at - t0 < 200000);
	/* keeps probing, no further change */
	run_for(l, 300);
	assert_int_equal(r.changes, 1);
	assert_true(check_get_stats(c)->probes >= 4);
	assert_int_equal(check_get_stats(c)->failures, 0);
	printf("tcp up: first result after %llu us, %llu probes\n",
	       (unsigned long long)(r.at - t0), (unsigned long long)check_get_stats(c)->probes);
	check_free(c);
	close(lfd);
	loop_free(l);
}

static void test_tcp_down_after_retries(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	uint16_t port = closed_port();
	struct config_checker cfg = tcp_cfg(5000, 3, 100, 1000);
	struct check *c = check_new(l, &cfg, lo(), port, on_change, &r);
	uint64_t t0, dt;

	(void)state;
	t0 = now_us();
	check_start(c);
	assert_true(wait_changes(&r, 1, 3000));
	dt = r.at - t0;
	assert_false(r.up);
	assert_false(check_is_up(c));
	assert_non_null(strstr(r.why, "Connection refused"));
	assert_non_null(strstr(r.why, "4 attempts"));
	assert_int_equal(check_get_stats(c)->attempts, 4); /* 1 + retry 3 */
	assert_int_equal(check_get_stats(c)->probes, 1);
	assert_int_equal(check_get_stats(c)->failures, 1);
	/* 3 delays of 100 ms between the 4 attempts */
	assert_true(dt >= 300000);
	assert_true(dt < 800000);
	printf("tcp down after 4 attempts in %llu us: %s\n", (unsigned long long)dt, r.why);
	assert_string_equal(check_last_error(c), r.why);
	check_free(c);
	loop_free(l);
}

static void test_tcp_retry_zero(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	struct config_checker cfg = tcp_cfg(5000, 0, 1000, 1000);
	struct check *c = check_new(l, &cfg, lo(), closed_port(), on_change, &r);
	uint64_t t0 = now_us();

	(void)state;
	check_start(c);
	assert_true(wait_changes(&r, 1, 2000));
	assert_false(r.up);
	assert_true(r.at - t0 < 100000); /* no delay_before_retry wait */
	assert_int_equal(check_get_stats(c)->attempts, 1);
	assert_non_null(strstr(r.why, "(1 attempt)"));
	check_free(c);
	loop_free(l);
}

static void test_tcp_down_then_up(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	uint16_t port = 0;
	int lfd = listener(&port, 16);
	struct config_checker cfg = tcp_cfg(50, 1, 20, 500);
	struct check *c = check_new(l, &cfg, lo(), port, on_change, &r);

	(void)state;
	check_start(c);
	assert_true(wait_changes(&r, 1, 2000));
	assert_true(r.up);
	close(lfd);
	assert_true(wait_changes(&r, 2, 2000));
	assert_false(r.up);
	assert_non_null(strstr(r.why, "2 attempts"));
	lfd = listener(&port, 16);
	assert_true(wait_changes(&r, 3, 2000));
	assert_true(r.up);
	assert_true(check_is_up(c));
	check_free(c);
	close(lfd);
	loop_free(l);
}

/* A listener whose accept queue is full drops SYNs: the connect hangs. */
static void test_tcp_connect_timeout(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	uint16_t port = 0;
	int lfd = listener(&port, 0), fill[4];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct config_checker cfg = tcp_cfg(5000, 1, 50, 150);
	struct check *c;
	uint64_t t0, dt;

	(void)state;
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	usleep(50000);
	c = check_new(l, &cfg, lo(), port, on_change, &r);
	t0 = now_us();
	check_start(c);
	assert_true(wait_changes(&r, 1, 3000));
	dt = r.at - t0;
	printf("tcp connect timeout: %s after %llu us\n", r.why, (unsigned long long)dt);
	if (r.up) {
		/* The kernel took the connection anyway: nothing to test here. */
		check_free(c);
		for (int i = 0; i < 4; i++)
			close(fill[i]);
		close(lfd);
		loop_free(l);
		skip();
	}
	assert_non_null(strstr(r.why, "timeout after 150 ms"));
	assert_non_null(strstr(r.why, "2 attempts"));
	assert_true(dt >= 2 * 150000 + 50000);
	assert_true(dt < 1000000);
	check_free(c);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
	loop_free(l);
}

static void test_tcp_free_while_probing(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	struct config_checker cfg = tcp_cfg(5000, 5, 200, 1000);
	struct check *c = check_new(l, &cfg, lo(), closed_port(), on_change, &r);

	(void)state;
	check_start(c);
	run_for(l, 50); /* first attempt refused, waiting to retry */
	assert_int_equal(r.changes, 0);
	check_free(c);
	run_for(l, 300); /* the retry timer must be gone (ASan would tell) */
	assert_int_equal(r.changes, 0);
	loop_free(l);
}

static void test_tcp_free_in_callback(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l, .free_in_cb = true };
	struct config_checker cfg = tcp_cfg(20, 0, 20, 1000);

	(void)state;
	r.c = check_new(l, &cfg, lo(), closed_port(), on_change, &r);
	check_start(r.c);
	assert_true(wait_changes(&r, 1, 2000));
	assert_null(r.c);
	run_for(l, 100);
	assert_int_equal(r.changes, 1);
	loop_free(l);
}

static void test_tcp_connect_ip_port(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	uint16_t port = 0;
	int lfd = listener(&port, 16);
	struct config_checker cfg = tcp_cfg(1000, 0, 20, 1000);
	struct in_addr other;
	struct check *c;

	(void)state;
	/* the real server is elsewhere; connect_ip/connect_port point here */
	inet_pton(AF_INET, "192.0.2.1", &other);
	cfg.u.tcp.connect_ip = lo();
	cfg.u.tcp.connect_port = port;
	c = check_new(l, &cfg, other, 1, on_change, &r);
	assert_non_null(strstr(check_name(c), "127.0.0.1"));
	check_start(c);
	assert_true(wait_changes(&r, 1, 2000));
	assert_true(r.up);
	check_free(c);
	close(lfd);
	loop_free(l);
}

/* ---- MISC_CHECK ---- */

static struct config_checker misc_cfg(const char *cmd, uint32_t timeout_ms, bool dynamic)
{
	struct config_checker cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.type = CONFIG_CHECK_MISC;
	cfg.u.misc.misc_path.text = (char *)cmd;
	cfg.u.misc.misc_path.run = script_line(cmd); /* check_new copies it */
	cfg.u.misc.misc_timeout_ms = timeout_ms;
	cfg.u.misc.misc_dynamic = dynamic;
	cfg.u.misc.delay_loop_ms = 50;
	return cfg;
}

static struct check *misc_run(struct rec *r, const char *cmd, uint32_t timeout_ms, bool dynamic)
{
	struct config_checker cfg = misc_cfg(cmd, timeout_ms, dynamic);
	struct check *c = check_new(r->l, &cfg, lo(), 3306, on_change, r);

	script_cmd_free(cfg.u.misc.misc_path.run);
	assert_non_null(c);
	check_start(c);
	assert_true(wait_changes(r, 1, 3000));
	return c;
}

/* check_probe_next_now (the watched mysqld was stopped by a signal): during
 * a probe, the next one follows it at once instead of an interval later;
 * between probes, one runs at once */
static void test_probe_next_now(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	struct config_checker cfg = misc_cfg("/bin/sleep 0.3", 5000, false);
	struct check *c;

	(void)state;
	cfg.u.misc.delay_loop_ms = 20000;
	c = check_new(l, &cfg, lo(), 3306, on_change, &r);
	script_cmd_free(cfg.u.misc.misc_path.run);
	assert_non_null(c);
	check_start(c);
	run_for(l, 100); /* the first probe runs */
	assert_int_equal(check_get_stats(c)->probes, 0);
	check_probe_next_now(c);
	run_for(l, 1000); /* it ends at ~0.3 s, the second at ~0.6 s */
	assert_int_equal(check_get_stats(c)->probes, 2);
	run_for(l, 500); /* then the interval (20 s) holds */
	assert_int_equal(check_get_stats(c)->probes, 2);
	check_probe_next_now(c); /* idle: at once */
	run_for(l, 1000);
	assert_int_equal(check_get_stats(c)->probes, 3);
	check_free(c);
	loop_free(l);
}

static void test_misc_exit0(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	struct check *c = misc_run(&r, "/bin/true", 1000, false);

	(void)state;
	assert_true(r.up);
	assert_int_equal(check_weight(c), -1);
	assert_non_null(strstr(r.why, "status 0"));
	run_for(l, 200);
	assert_int_equal(r.changes, 1);
	assert_true(check_get_stats(c)->probes >= 2);
	check_free(c);
	loop_free(l);
}

static void test_misc_exit1(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	struct check *c = misc_run(&r, "/bin/false", 1000, false);

	(void)state;
	assert_false(r.up);
	assert_non_null(strstr(r.why, "exited with status 1"));
	assert_non_null(strstr(r.why, "/bin/false"));
	check_free(c);
	loop_free(l);
}

static void test_misc_timeout(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	uint64_t t0 = now_us();
	struct check *c = misc_run(&r, "/bin/sleep 5", 150, false);
	uint64_t dt = r.at - t0;

	(void)state;
	assert_false(r.up);
	assert_non_null(strstr(r.why, "timed out after 150 ms"));
	assert_true(dt >= 140000);
	assert_true(dt < 1500000);
	printf("misc timeout reported after %llu us\n", (unsigned long long)dt);
	check_free(c);
	loop_free(l);
}

static void test_misc_dynamic(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	struct check *c = misc_run(&r, "/bin/sh -c 'exit 7'", 1000, true);

	(void)state;
	assert_true(r.up);
	assert_int_equal(check_weight(c), 5);
	assert_non_null(strstr(r.why, "weight 5"));
	check_free(c);

	/* without misc_dynamic, 7 is a failure */
	memset(&r, 0, sizeof(r));
	r.l = l;
	c = misc_run(&r, "/bin/sh -c 'exit 7'", 1000, false);
	assert_false(r.up);
	assert_int_equal(check_weight(c), -1);
	check_free(c);

	/* dynamic: 1 is down, 127 (cannot exec) is down, not weight 125 */
	memset(&r, 0, sizeof(r));
	r.l = l;
	c = misc_run(&r, "/bin/sh -c 'exit 1'", 1000, true);
	assert_false(r.up);
	check_free(c);
	memset(&r, 0, sizeof(r));
	r.l = l;
	c = misc_run(&r, "/nonexistent/xvip-check", 1000, true);
	assert_false(r.up);
	assert_non_null(strstr(r.why, "127"));
	check_free(c);
	loop_free(l);
}

/* The weight changes while up: reported again. */
static void test_misc_dynamic_weight_change(void **state)
{
	char dir[] = "/tmp/xvip-check-XXXXXX", path[300], cmd[400];
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	struct check *c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rc", dir);
	f = fopen(path, "w");
	fputs("12\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/bin/sh -c 'exit $(cat %s)'", path);
	c = misc_run(&r, cmd, 1000, true);
	assert_true(r.up);
	assert_int_equal(check_weight(c), 10);
	f = fopen(path, "w");
	fputs("4\n", f);
	fclose(f);
	assert_true(wait_changes(&r, 2, 2000));
	assert_true(r.up);
	assert_int_equal(check_weight(c), 2);
	f = fopen(path, "w");
	fputs("1\n", f);
	fclose(f);
	assert_true(wait_changes(&r, 3, 2000));
	assert_false(r.up);
	check_free(c);
	unlink(path);
	rmdir(dir);
	loop_free(l);
}

static void test_misc_free_while_running(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	struct config_checker cfg = misc_cfg("/bin/sleep 5", 10000, false);
	struct check *c = check_new(l, &cfg, lo(), 3306, on_change, &r);
	uint64_t t0;
	int before = scripts_running();

	(void)state;
	script_cmd_free(cfg.u.misc.misc_path.run);
	check_start(c);
	run_for(l, 50);
	assert_int_equal(scripts_running(), before + 1);
	check_free(c);
	/* the script's group was SIGKILLed; it is reaped by the loop */
	t0 = now_us();
	while (scripts_running() > before && now_us() - t0 < 2000000)
		run_for(l, 10);
	assert_int_equal(scripts_running(), before);
	assert_int_equal(r.changes, 0);
	loop_free(l);
}

static void test_misc_loop_not_blocked(void **state)
{
	struct loop *l = loop_new();
	struct rec r = { .l = l };
	uint64_t t0 = now_us();
	struct check *c = misc_run(&r, "/bin/sleep 0.3", 2000, false);

	(void)state;
	/* misc_run returned only after the script: the loop ran meanwhile */
	assert_true(r.up);
	assert_true(now_us() - t0 >= 290000);
	check_free(c);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_up),
		cmocka_unit_test(test_tcp_down_after_retries),
		cmocka_unit_test(test_tcp_retry_zero),
		cmocka_unit_test(test_tcp_down_then_up),
		cmocka_unit_test(test_tcp_connect_timeout),
		cmocka_unit_test(test_tcp_free_while_probing),
		cmocka_unit_test(test_tcp_free_in_callback),
		cmocka_unit_test(test_tcp_connect_ip_port),
		cmocka_unit_test(test_misc_exit0),
		cmocka_unit_test(test_misc_exit1),
		cmocka_unit_test(test_misc_timeout),
		cmocka_unit_test(test_misc_dynamic),
		cmocka_unit_test(test_misc_dynamic_weight_change),
		cmocka_unit_test(test_misc_free_while_running),
		cmocka_unit_test(test_misc_loop_not_blocked),
		cmocka_unit_test(test_probe_next_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
