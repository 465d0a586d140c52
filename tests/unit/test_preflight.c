/*
 * test_preflight.c - the preflight of a MySQL pair (user/preflight.c),
 * pure: facts in, findings out. The pair here is the lab's (dual master,
 * semi-sync AFTER_SYNC, no fallback, distinct ids and offsets), which
 * gives no warning; each case changes one setting and looks for the
 * finding that names it. (init-rpl-role=SLAVE, which the lab also sets, is
 * a startup option, not a variable: no preflight can read it.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "preflight.h"

static struct mysql_facts F[2];
static struct pf_node N[2] = { { .name = "10.0.0.1:3306", .f = &F[0] },
			       { .name = "10.0.0.2:3306", .f = &F[1] } };
static struct pf_finding out[32];

static int setup(void **state)
{
	(void)state;
	memset(F, 0, sizeof(F));
	for (int i = 0; i < 2; i++) {
		struct mysql_facts *f = &F[i];

		f->valid = true;
		f->server_id = i + 1;
		f->gtid_domain_id = i + 1;
		f->read_only = i; /* node 0 the writer */
		f->super_read_only = -1;
		f->log_bin = 1;
		f->auto_increment_increment = 2;
		f->auto_increment_offset = i + 1;
		f->semi_sync_master_enabled = 1;
		f->semi_sync_slave_enabled = 1;
		f->semi_sync_master_timeout = 4294967295ll;
		f->semi_sync_wait_no_slave = 1;
		snprintf(f->semi_sync_wait_point, sizeof(f->semi_sync_wait_point), "AFTER_SYNC");
		snprintf(f->version, sizeof(f->version), "10.11.19-MariaDB");
		f->is_replica = true;
		f->sql_running = true;
		f->io_running = true;
	}
	return 0;
}

/* the findings at level >= WARN that contain text */
static size_t count(const char *text)
{
	bool semi;
	size_t n = preflight_mysql(N, 2, true, 0, out, 32, &semi), c = 0;

	for (size_t i = 0; i < n; i++) {
		if (out[i].level >= PF_WARN && (!text || strstr(out[i].text, text)))
			c++;
		if (out[i].level >= PF_WARN && !text)
			print_message("unexpected: %s\n", out[i].text);
	}
	return c;
}

static void test_lab_pair_is_clean(void **state)
{
	(void)state;
	assert_int_equal(count(NULL), 0);
}

static void test_wait_point_after_commit_warns(void **state)
{
	(void)state;
	snprintf(F[1].semi_sync_wait_point, sizeof(F[1].semi_sync_wait_point), "AFTER_COMMIT");
	assert_int_equal(count("10.0.0.2:3306: rpl_semi_sync_master_wait_point=AFTER_COMMIT"), 1);
}

/* a timeout fallback makes semi-sync no fence behind a partition */
static void test_short_semisync_timeout_warns(void **state)
{
	(void)state;
	F[0].semi_sync_master_timeout = 10000;
	assert_int_equal(count("10.0.0.1:3306: rpl_semi_sync_master_timeout is 10000 ms"), 1);
}

static void test_same_offset_is_an_error(void **state)
{
	bool semi;
	size_t n;

	(void)state;
	F[1].auto_increment_offset = 1;
	n = preflight_mysql(N, 2, true, 0, out, 32, &semi);
	for (size_t i = 0; i < n; i++)
		if (strstr(out[i].text, "both use auto_increment_offset 1")) {
			assert_int_equal(out[i].level, PF_ERROR);
			return;
		}
	fail_msg("no finding about the shared auto_increment_offset");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lab_pair_is_clean, setup),
		cmocka_unit_test_setup(test_wait_point_after_commit_warns, setup),
		cmocka_unit_test_setup(test_short_semisync_timeout_warns, setup),
		cmocka_unit_test_setup(test_same_offset_is_an_error, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
