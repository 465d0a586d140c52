// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/config*.c, the keepalived.conf dialect parser.
 *
 * Fixtures live in tests/unit/config/ and are found through XVIP_TEST_DIR
 * (default "tests/unit", i.e. run from the repository root). Malformed
 * snippets are written to a temporary directory by the table-driven test;
 * the bad inputs of "a reload must never kill the daemon" (huge lines,
 * deep nesting, include fan-outs, devices, NUL bytes, ...) are generated
 * there at test time.
 */
#include <setjmp.h> /* cmocka needs these before cmocka.h */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_int.h" /* config_load_limited(), for other limits */

/* ---- helpers ---------------------------------------------------------- */

static char *fixture(const char *name)
{
	const char *dir = getenv("XVIP_TEST_DIR");
	char *path;

	if (asprintf(&path, "%s/config/%s", dir && *dir ? dir : "tests/unit", name) < 0)
		abort();
	return path;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

/* The diagnostic at file (suffix) / line with `needle` in its message. */
static const struct config_diag_entry *find_diag(const struct config_diag *d,
						 enum config_severity sev, const char *file_suffix,
						 unsigned line, const char *needle)
{
	for (size_t i = 0; i < d->count; i++) {
		const struct config_diag_entry *e = &d->entries[i];

		if (e->severity == sev && e->line == line && ends_with(e->file, file_suffix) &&
		    strstr(e->message, needle))
			return e;
	}
	return NULL;
}

static void expect_diag(const struct config_diag *d, enum config_severity sev,
			const char *file_suffix, unsigned line, const char *needle)
{
	if (!find_diag(d, sev, file_suffix, line, needle)) {
		print_error("expected %s at %s:%u containing \"%s\"; got:\n",
			    sev == CONFIG_ERROR ? "error" : "warning", file_suffix, line, needle);
		config_diag_print(d, stderr);
		fail();
	}
}

static char *ip(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int next;
	char *b = buf[next++ % 4];

	return (char *)inet_ntop(AF_INET, &a, b, INET_ADDRSTRLEN);
}

static char *dump_to_string(const struct xvip_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	config_dump(cfg, f);
	fclose(f);
	return text;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* ---- the users' real files ------------------------------------------- */

static void test_seed_master1(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char *path = fixture("seed-master1.conf");
	struct xvip_config *cfg = config_load(path, &d);
	const struct config_vrrp_instance *vi;
	const struct config_virtual_server *vs;
	const struct config_real_server *rs;
	const struct config_tcp_check *tcp;

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 3);
	expect_diag(&d, CONFIG_WARNING, "seed-master1.conf", 18, "honours nopreempt");
	expect_diag(&d, CONFIG_WARNING, "seed-master1.conf", 18, "starts as BACKUP");
	expect_diag(&d, CONFIG_WARNING, "seed-master1.conf", 39,
		    "'nb_get_retry' is deprecated, treated as 'retry'");
	expect_diag(&d, CONFIG_WARNING, "seed-master1.conf", 28,
		    "'virtual_server' block opened here is not closed");

	assert_string_equal(cfg->global.router_id, "MySQL-ha");
	assert_int_equal(cfg->global.n_notification_email, 1);
	assert_string_equal(cfg->global.notification_email[0], "xxx@mail.com");
	assert_string_equal(cfg->global.notification_email_from, "xxx@mail.com");
	assert_string_equal(cfg->global.smtp_server, "127.0.0.1");
	assert_int_equal(cfg->global.smtp_connect_timeout_ms, 30000);
	assert_int_equal(cfg->global.vrrp_version, 2);

	assert_int_equal(cfg->n_instances, 1);
	vi = config_find_instance(cfg, "VI_1");
	assert_non_null(vi);
	assert_int_equal(vi->where.line, 12);
	assert_int_equal(vi->configured_state, CONFIG_STATE_MASTER);
	assert_int_equal(vi->initial_state, CONFIG_STATE_BACKUP);
	assert_true(vi->nopreempt);
	assert_string_equal(vi->interface, "eth0");
	assert_int_equal(vi->virtual_router_id, 51);
	assert_int_equal(vi->priority, 100);
	assert_int_equal(vi->version, 2);
	assert_int_equal(vi->advert_int_ms, 1000);
	assert_int_equal(vi->auth_type, CONFIG_AUTH_PASS);
	assert_string_equal(vi->auth_pass, "1111");
	assert_int_equal(vi->n_vips, 1);
	assert_string_equal(ip(vi->vips[0].addr), "192.168.1.200");
	assert_int_equal(vi->vips[0].prefix_len, 32);
	assert_string_equal(vi->vips[0].dev, "eth0");
	assert_int_equal(vi->vip_mode, CONFIG_VIP_MODE_LO);
	assert_int_equal(vi->garp_master_delay_ms, 5000);
	assert_int_equal(vi->garp_master_repeat, 5);
	assert_int_equal(vi->garp_master_refresh_ms, 0);
	assert_int_equal(vi->garp_master_refresh_repeat, 1);
	assert_false(vi->unicast_src_set);

	assert_int_equal(cfg->n_virtual_servers, 1);
	vs = &cfg->virtual_servers[0];
	assert_string_equal(ip(vs->addr), "192.168.1.200");
	assert_int_equal(vs->port, 3306);
	assert_int_equal(vs->delay_loop_ms, 2000);
	assert_int_equal(vs->lb_algo, CONFIG_LB_WRR);
	assert_int_equal(vs->persistence_timeout_s, 60);
	assert_int_equal(vs->protocol, CONFIG_PROTO_TCP);
	assert_int_equal(vs->n_real_servers, 1);
	rs = &vs->real_servers[0];
	assert_string_equal(ip(rs->addr), "192.168.1.201");
	assert_int_equal(rs->port, 3306);
	assert_int_equal(rs->weight, 3);
	assert_non_null(rs->notify_down);
	assert_string_equal(rs->notify_down->argv[0], "/etc/keepalived/check_mysql.sh");
	assert_int_equal(rs->notify_down->argc, 1);
	assert_null(rs->notify_down->argv[1]);
	assert_null(rs->notify_up);
	assert_int_equal(rs->n_checkers, 1);
	assert_int_equal(rs->checkers[0].type, CONFIG_CHECK_TCP);
	tcp = &rs->checkers[0].u.tcp;
	assert_int_equal(tcp->connect_timeout_ms, 10000);
	assert_int_equal(tcp->retry, 3);
	assert_int_equal(tcp->delay_before_retry_ms, 3000);
	assert_int_equal(tcp->connect_port, 3306);
	assert_string_equal(ip(tcp->connect_ip), "192.168.1.201");
	assert_int_equal(tcp->delay_loop_ms, 2000); /* inherited */

	config_free(cfg);
	config_diag_free(&d);
	free(path);
}

static void test_seed_master2(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char *path = fixture("seed-master2.conf");
	struct xvip_config *cfg = config_load(path, &d);
	const struct config_vrrp_instance *vi;

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 2); /* no nopreempt warning: state BACKUP */
	expect_diag(&d, CONFIG_WARNING, "seed-master2.conf", 39, "nb_get_retry");
	expect_diag(&d, CONFIG_WARNING, "seed-master2.conf", 28, "not closed");

	vi = &cfg->instances[0];
	assert_int_equal(vi->configured_state, CONFIG_STATE_BACKUP);
	assert_int_equal(vi->initial_state, CONFIG_STATE_BACKUP);
	assert_int_equal(vi->priority, 90);
	assert_true(vi->nopreempt);
	assert_string_equal(ip(cfg->virtual_servers[0].real_servers[0].addr), "192.168.1.202");

	config_free(cfg);
	config_diag_free(&d);
	free(path);
}

/* The normalized dump loads back to the same configuration. */
static void test_dump_round_trip(void **state)
{
	static const char *const names[] = { "seed-master1.conf", "seed-master2.conf",
					     "full.conf" };
	char dir[] = "/tmp/xvip-config-test-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct config_diag d = CONFIG_DIAG_INIT;
		char *path = fixture(names[i]), *copy, *first, *second;
		struct xvip_config *cfg = config_load(path, &d), *again;

		assert_non_null(cfg);
		first = dump_to_string(cfg);
		if (asprintf(&copy, "%s/dump.conf", dir) < 0)
			abort();
		write_file(copy, first);
		config_diag_free(&d);

		again = config_load(copy, &d);
		if (!again)
			config_diag_print(&d, stderr);
		assert_non_null(again);
		/* the only warning a dump may cause is sync groups' */
		assert_int_equal(d.errors, 0);
		assert_int_equal(d.warnings, again->n_sync_groups);
		second = dump_to_string(again);
		if (i == 0) {
			/* seed 1's MASTER+nopreempt comment is the one difference */
			assert_non_null(strstr(first, "! configured as MASTER; starts as BACKUP"));
			assert_null(strstr(second, "! configured as MASTER"));
			assert_non_null(strstr(second, "    state BACKUP\n    interface eth0\n"));
		} else {
			assert_string_equal(first, second);
		}
		unlink(copy);
		free(copy);
		free(first);
		free(second);
		free(path);
		config_free(cfg);
		config_free(again);
		config_diag_free(&d);
	}
	rmdir(dir);
}

/* Rule: a script line is split once, by the config (keepalived's rules:
 * blanks, '...' and "..." group, no escapes); the dump prints that argv so
 * that it loads back to the same argv, whatever the arguments hold. */
static void test_command_split_once(void **state)
{
	char dir[] = "/tmp/xvip-config-test-XXXXXX", path[128], path2[128];
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg, *again;
	const struct config_command *c;
	char *text;
	static const char *const want[] = { "/bin/echo", "a\\tb", "c\\", "d", "it's", "",
					    "x\"y z", "{b}", NULL };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.conf", dir);
	write_file(path, "vrrp_instance VI_1 {\n"
			 "    interface eth0\n"
			 "    virtual_router_id 1\n"
			 "    priority 100\n"
			 "    virtual_ipaddress {\n"
			 "        10.0.0.1\n"
			 "    }\n"
			 "    notify_master \"/bin/echo a\\\\tb c\\\\ d \\\"it's\\\" '' 'x\\\"y z' {b}\"\n"
			 "}\n");
	cfg = config_load(path, &d);
	if (!cfg)
		config_diag_print(&d, stderr);
	assert_non_null(cfg);
	c = cfg->instances[0].notify_master;
	for (size_t i = 0; want[i]; i++) {
		assert_true(i < c->argc);
		assert_string_equal(c->argv[i], want[i]);
	}
	assert_int_equal(c->argc, 8);
	text = dump_to_string(cfg);
	snprintf(path2, sizeof(path2), "%s/b.conf", dir);
	write_file(path2, text);
	free(text);
	again = config_load(path2, &d);
	if (!again)
		config_diag_print(&d, stderr);
	assert_non_null(again);
	c = again->instances[0].notify_master;
	assert_int_equal(c->argc, 8);
	for (size_t i = 0; want[i]; i++)
		assert_string_equal(c->argv[i], want[i]);
	config_free(cfg);
	config_free(again);
	config_diag_free(&d);
	unlink(path);
	unlink(path2);
	rmdir(dir);
}

/* Rule: xvipd -t's dump hides auth_pass and password. */
static void test_dump_redacted(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char *path = fixture("full.conf"), *text = NULL, *plain;
	struct xvip_config *cfg = config_load(path, &d);
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(cfg);
	plain = dump_to_string(cfg);
	assert_non_null(strstr(plain, "auth_pass "));
	assert_null(strstr(plain, "auth_pass ********"));
	f = open_memstream(&text, &len);
	assert_non_null(f);
	config_dump_redacted(cfg, f);
	fclose(f);
	assert_non_null(strstr(text, "auth_pass ********\n"));
	assert_null(strstr(text, "password \"")); /* a password, if any, is hidden */
	assert_non_null(strstr(text, "            password ********\n"));
	for (const char *p = strstr(strchr(text, '\n'), " password "); p; p = strstr(p + 1, " password "))
		assert_int_equal(strncmp(p, " password ********\n", 18), 0);
	/* nothing else differs */
	assert_int_equal(strlen(text) > strlen(plain), true);
	free(text);
	free(plain);
	free(path);
	config_free(cfg);
	config_diag_free(&d);
}

static void test_dump_format(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char *path = fixture("seed-master2.conf");
	struct xvip_config *cfg = config_load(path, &d);
	char *text;

	(void)state;
	assert_non_null(cfg);
	text = dump_to_string(cfg);
	/* defaults are explicit, durations in seconds, one keyword per line */
	assert_non_null(strstr(text, "\n    advert_int 1\n"));
	assert_non_null(strstr(text, "\n    version 2\n"));
	assert_non_null(strstr(text, "\n    garp_master_delay 5\n"));
	assert_non_null(strstr(text, "\n    vip_mode lo\n"));
	assert_non_null(strstr(text, "\n        192.168.1.200/32 dev eth0\n"));
	assert_non_null(strstr(text, "\n            retry 3\n"));
	assert_null(strstr(text, "nb_get_retry"));
	assert_non_null(strstr(text, "\n            connect_timeout 10\n"));
	assert_non_null(strstr(text, "\n    lb_kind DR\n"));
	free(text);
	config_free(cfg);
	config_diag_free(&d);
	free(path);
}

/* ---- every keyword ---------------------------------------------------- */

static void test_full(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char *path = fixture("full.conf");
	struct xvip_config *cfg = config_load(path, &d);
	const struct config_vrrp_script *s;
	const struct config_vrrp_instance *vi, *v2;
	const struct config_virtual_server *vs;
	const struct config_mysql_check *m, *m2;
	const struct config_misc_check *misc;
	const struct config_tcp_check *tcp;

	(void)state;
	if (!cfg)
		config_diag_print(&d, stderr);
	assert_non_null(cfg);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 1);
	expect_diag(&d, CONFIG_WARNING, "full.conf", 75, "vrrp_sync_group 'G1' is accepted");

	assert_string_equal(cfg->global.router_id, "db-pair-1");
	assert_int_equal(cfg->global.n_notification_email, 2);
	assert_string_equal(cfg->global.notification_email[1], "oncall@example.com");
	assert_int_equal(cfg->global.smtp_port, 2525);
	assert_int_equal(cfg->global.smtp_connect_timeout_ms, 2500);
	assert_int_equal(cfg->global.vrrp_version, 3);
	assert_string_equal(cfg->global.script_user, "mysql");
	assert_string_equal(cfg->global.script_group, "mysql");
	assert_true(cfg->global.enable_script_security);

	s = config_find_script(cfg, "chk_mysql");
	assert_non_null(s);
	assert_int_equal(s->script.argc, 3);
	assert_string_equal(s->script.argv[0], "/usr/local/bin/check_mysql");
	assert_string_equal(s->script.argv[2], "/run/mysqld/mysqld.sock");
	assert_int_equal(s->interval_ms, 500);
	assert_int_equal(s->timeout_ms, 200);
	assert_int_equal(s->weight, -20);
	assert_int_equal(s->rise, 2);
	assert_int_equal(s->fall, 3);
	assert_string_equal(s->user, "mysql");
	assert_null(s->group);

	vi = config_find_instance(cfg, "VI_DB");
	assert_non_null(vi);
	assert_int_equal(vi->version, 3);
	assert_int_equal(vi->advert_int_ms, 10);
	assert_int_equal(vi->priority, 150);
	assert_int_equal(vi->preempt_delay_ms, 1500);
	assert_int_equal(vi->auth_type, CONFIG_AUTH_NONE);
	assert_int_equal(vi->n_vips, 2);
	assert_string_equal(ip(vi->vips[0].addr), "10.0.0.100");
	assert_int_equal(vi->vips[0].prefix_len, 24);
	assert_string_equal(vi->vips[0].dev, "eth1");
	assert_string_equal(vi->vips[0].label, "eth1:vip");
	assert_int_equal(vi->vips[1].prefix_len, 32);
	assert_null(vi->vips[1].label);
	assert_int_equal(vi->vip_mode, CONFIG_VIP_MODE_INTERFACE);
	assert_true(vi->unicast_src_set);
	assert_string_equal(ip(vi->unicast_src_ip), "10.0.0.11");
	assert_int_equal(vi->n_unicast_peers, 1);
	assert_int_equal(vi->unicast_ttl, 255); /* on-link peers: TTL checked */
	assert_string_equal(ip(vi->unicast_peers[0]), "10.0.0.12");
	assert_int_equal(vi->n_track_interfaces, 2);
	assert_int_equal(vi->track_interfaces[0].weight, 0);
	assert_string_equal(vi->track_interfaces[1].name, "eth2");
	assert_int_equal(vi->track_interfaces[1].weight, -10);
	assert_int_equal(vi->n_track_scripts, 2);
	assert_ptr_equal(vi->track_scripts[0].script, s);
	assert_int_equal(vi->track_scripts[0].weight, -20); /* the script's */
	assert_int_equal(vi->track_scripts[1].weight, -50); /* overridden */
	assert_non_null(vi->notify_master);
	assert_int_equal(vi->notify_master->argc, 3);
	assert_string_equal(vi->notify_master->argv[1], "master");
	assert_string_equal(vi->notify_master->argv[2], "VI DB");
	assert_int_equal(vi->notify_backup->argc, 2);
	assert_string_equal(vi->notify_backup->argv[1], "backup");
	assert_non_null(vi->notify_fault);
	assert_non_null(vi->notify_stop);
	assert_string_equal(vi->notify->text, "/etc/xvip/notify-all.sh");
	assert_int_equal(vi->garp_master_delay_ms, 200);
	assert_int_equal(vi->garp_master_repeat, 3);
	assert_int_equal(vi->garp_master_refresh_ms, 60000);
	assert_int_equal(vi->garp_master_refresh_repeat, 2);

	v2 = config_find_instance(cfg, "VI_V2");
	assert_non_null(v2);
	assert_int_equal(v2->version, 2); /* instance override of vrrp_version 3 */
	assert_int_equal(v2->advert_int_ms, 2000);
	assert_false(v2->nopreempt);
	assert_int_equal(v2->auth_type, CONFIG_AUTH_PASS);
	assert_string_equal(v2->auth_pass, "secret");
	assert_int_equal(v2->n_vips, 1); /* `virtual_ipaddress { 10.0.0.102 }` */

	assert_int_equal(cfg->n_sync_groups, 1);
	assert_int_equal(cfg->sync_groups[0].n_members, 2);

	vs = &cfg->virtual_servers[0];
	assert_int_equal(vs->where.line, 82); /* `{` on the next line */
	assert_int_equal(vs->delay_loop_ms, 500);
	assert_int_equal(vs->lb_algo, CONFIG_LB_FO);
	assert_true(vs->manage_read_only);
	assert_int_equal(vs->standby_loss_timeout_ms, 2500);
	assert_true(vs->standby_loss_async);
	assert_int_equal(vs->n_real_servers, 2);
	assert_true(vs->real_servers[0].inhibit_on_failure);
	assert_int_equal(vs->real_servers[0].weight, 100);
	assert_string_equal(vs->real_servers[0].notify_up->argv[1], "up");
	assert_int_equal(vs->real_servers[0].n_checkers, 2);

	m = &vs->real_servers[0].checkers[0].u.mysql;
	assert_int_equal(vs->real_servers[0].checkers[0].type, CONFIG_CHECK_MYSQL);
	assert_string_equal(m->user, "xvip_monitor");
	assert_null(m->password);
	assert_string_equal(m->password_file, "/etc/xvip/monitor.pw");
	assert_int_equal(m->connect_timeout_ms, 100);
	assert_int_equal(m->read_timeout_ms, 250);
	assert_int_equal(m->interval_ms, 200);
	assert_int_equal(m->rise, 2);
	assert_int_equal(m->fall, 4);
	assert_string_equal(m->query, "SELECT @@read_only");
	assert_true(m->check_read_only);
	assert_true(m->check_replication);
	assert_int_equal(m->max_lag_ms, 1000);
	assert_true(m->manage_read_only); /* inherited from the virtual server */

	tcp = &vs->real_servers[0].checkers[1].u.tcp;
	assert_int_equal(tcp->connect_timeout_ms, 3000);
	assert_int_equal(tcp->connect_port, 3307);
	assert_string_equal(ip(tcp->connect_ip), "10.0.0.21");
	assert_int_equal(tcp->retry, 2);
	assert_int_equal(tcp->delay_before_retry_ms, 100);
	assert_int_equal(tcp->delay_loop_ms, 1000);

	misc = &vs->real_servers[1].checkers[0].u.misc;
	assert_int_equal(vs->real_servers[1].checkers[0].type, CONFIG_CHECK_MISC);
	assert_int_equal(misc->misc_path.argc, 2);
	assert_string_equal(misc->misc_path.argv[1], "10.0.0.12");
	assert_int_equal(misc->misc_timeout_ms, 4000);
	assert_true(misc->misc_dynamic);
	assert_string_equal(misc->user, "nobody");
	assert_string_equal(misc->group, "nogroup");
	assert_int_equal(misc->delay_loop_ms, 500);

	m2 = &vs->real_servers[1].checkers[1].u.mysql;
	assert_string_equal(m2->password, "s3cret pass");
	assert_int_equal(m2->connect_timeout_ms, 100); /* defaults */
	assert_int_equal(m2->read_timeout_ms, 100);
	assert_int_equal(m2->interval_ms, 100);
	assert_int_equal(m2->rise, 3);
	assert_int_equal(m2->fall, 3);
	assert_string_equal(m2->query, "SELECT 1");
	assert_false(m2->check_read_only);
	assert_false(m2->manage_read_only); /* explicitly off beats the vs' on */

	config_free(cfg);
	config_diag_free(&d);
	free(path);
}

/* ---- includes --------------------------------------------------------- */

static void test_include(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char *path = fixture("include-main.conf");
	struct xvip_config *cfg = config_load(path, &d);

	(void)state;
	if (!cfg)
		config_diag_print(&d, stderr);
	assert_non_null(cfg);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 2);
	/* diagnostics name the included file and its own line numbers */
	expect_diag(&d, CONFIG_WARNING, "config/inc/10-instance.conf", 4,
		    "unknown keyword 'bogus_keyword' in vrrp_instance, ignored");
	expect_diag(&d, CONFIG_WARNING, "config/inc/20-unclosed.conf", 2,
		    "'vrrp_instance' block opened here is not closed");
	assert_int_equal(cfg->n_instances, 2);
	assert_int_equal(cfg->n_files, 3);
	assert_true(ends_with(cfg->instances[0].where.file, "inc/10-instance.conf"));
	assert_int_equal(cfg->instances[0].where.line, 1);
	/* the track_script in the included file refers to a script defined
	 * after the include in the main file */
	assert_non_null(cfg->instances[0].track_scripts[0].script);
	/* the unclosed block in 20-unclosed.conf did not swallow the main
	 * file's vrrp_script that follows the include */
	assert_int_equal(cfg->n_scripts, 1);
	assert_int_equal(cfg->instances[1].n_vips, 1);
	config_free(cfg);
	config_diag_free(&d);
	free(path);
}

static void test_include_loop(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char *path = fixture("loop/a.conf");
	struct xvip_config *cfg = config_load(path, &d);

	(void)state;
	assert_null(cfg);
	assert_int_equal(d.errors, 1);
	expect_diag(&d, CONFIG_ERROR, "loop/b.conf", 4, "include loop");
	config_diag_free(&d);
	free(path);
}

static void test_include_missing(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char *path = fixture("include-missing.conf");
	struct xvip_config *cfg = config_load(path, &d);

	(void)state;
	assert_null(cfg);
	assert_int_equal(d.errors, 1);
	expect_diag(&d, CONFIG_ERROR, "include-missing.conf", 4,
		    "does-not-exist.conf' not found");
	/* an empty conf.d glob is only a warning */
	expect_diag(&d, CONFIG_WARNING, "include-missing.conf", 5, "matched no files");
	config_diag_free(&d);
	free(path);
}

static void test_main_file_missing(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;

	(void)state;
	assert_null(config_load("/nonexistent/xvipd.conf", &d));
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.entries[0].file, "/nonexistent/xvipd.conf");
	assert_int_equal(d.entries[0].line, 0);
	assert_non_null(strstr(d.entries[0].message, "No such file"));
	config_diag_free(&d);

	/* a NULL diag is allowed: the result alone says it failed */
	assert_null(config_load("/nonexistent/xvipd.conf", NULL));
	assert_null(config_load(NULL, NULL));
}

/* ---- error reporting -------------------------------------------------- */

static void test_many_errors_one_run(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char *path = fixture("many-errors.conf");
	struct xvip_config *cfg = config_load(path, &d);

	(void)state;
	assert_null(cfg);
	expect_diag(&d, CONFIG_ERROR, "many-errors.conf", 4, "virtual_router_id 300 is out of range");
	expect_diag(&d, CONFIG_ERROR, "many-errors.conf", 5, "priority: 'abc' is not a number");
	expect_diag(&d, CONFIG_ERROR, "many-errors.conf", 7, "'192.168.1.300' is not an IPv4 address");
	expect_diag(&d, CONFIG_ERROR, "many-errors.conf", 10, "no vrrp_script of that name");
	expect_diag(&d, CONFIG_ERROR, "many-errors.conf", 13, "duplicate vrrp_instance 'VI_1'");
	expect_diag(&d, CONFIG_ERROR, "many-errors.conf", 22,
		    "virtual_router_id 51 on eth0 is already used");
	expect_diag(&d, CONFIG_ERROR, "many-errors.conf", 27, "'}' without an open block");
	/* exactly these: a rejected value is not also reported as missing */
	assert_int_equal(d.errors, 7);
	assert_int_equal(d.warnings, 0);
	/* sorted by line */
	for (size_t i = 1; i < d.count; i++)
		assert_true(d.entries[i - 1].line <= d.entries[i].line);
	config_diag_free(&d);
	free(path);
}

static void test_diag_print_format(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char *path = fixture("seed-master1.conf"), *text = NULL, *expect;
	size_t len = 0;
	FILE *f;

	(void)state;
	config_free(config_load(path, &d));
	f = open_memstream(&text, &len);
	assert_non_null(f);
	config_diag_print(&d, f);
	fclose(f);
	if (asprintf(&expect, "%s:39: warning: 'nb_get_retry' is deprecated", path) < 0)
		abort();
	assert_non_null(strstr(text, expect));
	free(expect);
	if (asprintf(&expect, "%s:18: warning: vrrp_instance 'VI_1' has 'state MASTER'", path) < 0)
		abort();
	assert_non_null(strstr(text, expect));
	free(expect);
	free(text);
	config_diag_free(&d);

	/* errors print as "error:", and without a line as "file: error:" */
	assert_null(config_load("/nonexistent/x.conf", &d));
	text = NULL;
	f = open_memstream(&text, &len);
	config_diag_print(&d, f);
	fclose(f);
	assert_non_null(strstr(text, "/nonexistent/x.conf: error: cannot open configuration file"));
	free(text);
	config_diag_free(&d);
	free(path);
}

/* ---- table of malformed snippets ------------------------------------- */

/* A valid instance around the line under test: the head is lines 1-3, so
 * the first line of a snippet's own text is line 4. */
#define HEAD "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n"
#define VIPS "    virtual_ipaddress {\n        10.0.0.1\n    }\n"
#define TAIL VIPS "}\n"
#define VS_HEAD "virtual_server 10.0.0.1 3306 {\n    real_server 10.0.0.2 3306 {\n"

enum expect_kind { EXPECT_ERROR, EXPECT_WARNING, EXPECT_CLEAN };

struct snippet {
	const char *name;
	const char *text;
	enum expect_kind kind;
	unsigned line;
	const char *needle;
};

static const struct snippet snippets[] = {
	{ "stray close brace", "}\n" HEAD TAIL, EXPECT_ERROR, 1, "'}' without an open block" },
	{ "priority without value", HEAD "    priority\n" TAIL, EXPECT_ERROR, 4,
	  "missing argument for 'priority'" },
	{ "priority not a number", HEAD "    priority abc\n" TAIL, EXPECT_ERROR, 4,
	  "priority: 'abc' is not a number" },
	{ "priority too high", HEAD "    priority 300\n" TAIL, EXPECT_ERROR, 4,
	  "priority 300 is out of range (1..255)" },
	{ "priority 255 is the address owner", HEAD "    priority 255\n" TAIL, EXPECT_CLEAN, 0,
	  NULL },
	{ "virtual_router_id zero",
	  "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 0\n" TAIL, EXPECT_ERROR,
	  3, "virtual_router_id 0 is out of range (1..255)" },
	{ "bad VIP", HEAD "    virtual_ipaddress {\n        10.0.0.256\n    }\n}\n", EXPECT_ERROR,
	  5, "'10.0.0.256' is not an IPv4 address" },
	{ "bad VIP prefix", HEAD "    virtual_ipaddress {\n        10.0.0.1/33\n    }\n}\n",
	  EXPECT_ERROR, 5, "prefix length 33 is out of range" },
	{ "bad unicast_src_ip", HEAD "    unicast_src_ip 10.0.0\n" TAIL, EXPECT_ERROR, 4,
	  "unicast_src_ip: '10.0.0' is not an IPv4 address" },
	{ "unicast_ttl 0", HEAD "    unicast_ttl 0\n" TAIL, EXPECT_ERROR, 4,
	  "unicast_ttl 0 is out of range (1..255)" },
	{ "bad unicast_peer", HEAD "    unicast_peer {\n        peer-b\n    }\n" TAIL,
	  EXPECT_ERROR, 5, "unicast_peer: 'peer-b' is not an IPv4 address" },
	{ "unicast_peer without unicast_src_ip is fine",
	  HEAD "    unicast_peer {\n        10.0.0.9\n    }\n" TAIL, EXPECT_CLEAN, 0, NULL },
	{ "duplicate instance name", HEAD TAIL "vrrp_instance VI_1 {\n    interface eth1\n"
	  "    virtual_router_id 52\n    virtual_ipaddress {\n        10.0.0.2\n    }\n}\n",
	  EXPECT_ERROR, 8, "duplicate vrrp_instance 'VI_1' (first defined at" },
	{ "same VRID on one interface", HEAD TAIL "vrrp_instance VI_2 {\n    interface eth0\n"
	  "    virtual_router_id 51\n    virtual_ipaddress {\n        10.0.0.2\n    }\n}\n",
	  EXPECT_ERROR, 10, "virtual_router_id 51 on eth0 is already used by vrrp_instance 'VI_1'" },
	{ "same VRID on two interfaces is fine", HEAD TAIL "vrrp_instance VI_2 {\n"
	  "    interface eth1\n    virtual_router_id 51\n    virtual_ipaddress {\n"
	  "        10.0.0.2\n    }\n}\n", EXPECT_CLEAN, 0, NULL },
	{ "undefined track_script", HEAD "    track_script {\n        chk_nope weight 10\n    }\n" TAIL,
	  EXPECT_ERROR, 5, "track_script 'chk_nope' in vrrp_instance 'VI_1': no vrrp_script" },
	{ "missing interface", "vrrp_instance VI_1 {\n    virtual_router_id 51\n" TAIL,
	  EXPECT_ERROR, 1, "vrrp_instance 'VI_1' has no interface" },
	{ "missing virtual_router_id", "vrrp_instance VI_1 {\n    interface eth0\n" TAIL,
	  EXPECT_ERROR, 1, "vrrp_instance 'VI_1' has no virtual_router_id" },
	{ "include not found", "include nowhere/xvip.conf\n", EXPECT_ERROR, 1,
	  "nowhere/xvip.conf' not found" },
	{ "empty virtual_ipaddress", HEAD "    virtual_ipaddress {\n    }\n}\n", EXPECT_ERROR, 4,
	  "virtual_ipaddress block of vrrp_instance 'VI_1' is empty" },
	{ "AH authentication", HEAD "    authentication {\n        auth_type AH\n"
	  "        auth_pass 1111\n    }\n" TAIL, EXPECT_ERROR, 5, "auth_type AH is not supported" },
	{ "auth_pass truncated", HEAD "    authentication {\n        auth_type PASS\n"
	  "        auth_pass 123456789\n    }\n" TAIL, EXPECT_WARNING, 6,
	  "only '12345678' is used" },
	{ "fractional advert_int with VRRPv2", HEAD "    advert_int 0.5\n" TAIL, EXPECT_ERROR, 4,
	  "fractional intervals need VRRP version 3" },
	{ "advert_int too long for VRRPv3", HEAD "    version 3\n    advert_int 41\n" TAIL,
	  EXPECT_ERROR, 5, "out of range for VRRPv3" },
	{ "advert_int rounded to centiseconds", HEAD "    version 3\n    advert_int 0.015\n" TAIL,
	  EXPECT_WARNING, 5, "rounded to 0.02" },
	{ "advert_int finer than 1 ms", HEAD "    advert_int 0.0001\n" TAIL, EXPECT_ERROR, 4,
	  "advert_int: '0.0001' is not a duration" },
	{ "unknown keyword", HEAD "    foo 1\n" TAIL, EXPECT_WARNING, 4,
	  "unknown keyword 'foo' in vrrp_instance, ignored" },
	{ "unknown block is skipped", HEAD "    foo {\n        priority abc\n    }\n" TAIL,
	  EXPECT_WARNING, 4, "unknown keyword 'foo' in vrrp_instance, ignored" },
	{ "unknown top-level keyword", "bar baz\n" HEAD TAIL, EXPECT_WARNING, 1,
	  "unknown keyword 'bar' at top level, ignored" },
	{ "unsupported keepalived keyword", HEAD "    mcast_src_ip 10.0.0.3\n" TAIL,
	  EXPECT_WARNING, 4, "'mcast_src_ip' in vrrp_instance is not supported by xvipd" },
	{ "bad state", HEAD "    state PRIMARY\n" TAIL, EXPECT_ERROR, 4,
	  "state: 'PRIMARY' is neither MASTER nor BACKUP" },
	{ "MASTER with nopreempt at the state line", HEAD "    nopreempt\n    state MASTER\n" TAIL,
	  EXPECT_WARNING, 4, "honours nopreempt" },
	{ "preempt_delay too long", HEAD "    preempt_delay 1001\n" TAIL, EXPECT_ERROR, 4,
	  "preempt_delay 1001 is out of range (0..1000 s)" },
	{ "plain keyword given a block", HEAD "    priority 100 {\n    }\n" TAIL, EXPECT_ERROR, 4,
	  "'priority' does not take a { ... } block" },
	{ "block keyword without a block", HEAD "    virtual_ipaddress 10.0.0.1\n}\n",
	  EXPECT_ERROR, 4, "'virtual_ipaddress' needs a { ... } block" },
	{ "unterminated quote", HEAD "    notify_master \"/bin/notify master\n" TAIL, EXPECT_ERROR,
	  4, "unterminated quoted string" },
	{ "interface name too long", "vrrp_instance VI_1 {\n    interface eth0.1234567890123\n"
	  "    virtual_router_id 51\n" TAIL, EXPECT_ERROR, 2, "is longer than 15 characters" },
	{ "vrrp_script weight out of range", "vrrp_script chk {\n    script /bin/true\n"
	  "    weight 254\n}\n", EXPECT_ERROR, 3, "weight 254 is out of range (-253..253)" },
	{ "vrrp_script without script", "vrrp_script chk {\n    interval 1\n}\n", EXPECT_ERROR, 1,
	  "vrrp_script 'chk' has no script" },
	{ "unclosed block", HEAD VIPS, EXPECT_WARNING, 1,
	  "'vrrp_instance' block opened here is not closed before the end of the file" },
	{ "lb_kind NAT", "virtual_server 10.0.0.1 3306 {\n    lb_kind NAT\n}\n", EXPECT_ERROR, 2,
	  "lb_kind NAT is not supported: xvipd forwards in DR mode only" },
	{ "lb_kind TUN", "virtual_server 10.0.0.1 3306 {\n    lb_kind TUN\n}\n", EXPECT_ERROR, 2,
	  "lb_kind TUN is not supported" },
	{ "lb_algo wlc", "virtual_server 10.0.0.1 3306 {\n    lb_algo wlc\n" "    real_server 10.0.0.2 3306 {\n    }\n}\n",
	  EXPECT_WARNING, 2, "lb_algo wlc is not implemented by xvipd; treated as wrr" },
	{ "lb_algo unknown", "virtual_server 10.0.0.1 3306 {\n    lb_algo best\n}\n",
	  EXPECT_ERROR, 2, "lb_algo: unknown scheduler 'best'" },
	{ "virtual_server bad port", "virtual_server 10.0.0.1 70000 {\n}\n", EXPECT_ERROR, 1,
	  "port 70000 is out of range (1..65535)" },
	{ "virtual_server bad address", "virtual_server db.example 3306 {\n}\n", EXPECT_ERROR, 1,
	  "virtual_server: 'db.example' is not an IPv4 address" },
	{ "standby_loss_policy unknown", "virtual_server 10.0.0.1 3306 {\n    lb_algo fo\n"
	  "    standby_loss_policy wait\n}\n", EXPECT_ERROR, 3,
	  "standby_loss_policy: 'wait' is neither block nor async" },
	{ "standby_loss_policy async", "virtual_server 10.0.0.1 3306 {\n    lb_algo fo\n"
	  "    standby_loss_policy async\n    standby_loss_timeout 1.5\n}\n", EXPECT_WARNING, 1,
	  "has no real_server" },
	{ "standby_loss_timeout not a duration", "virtual_server 10.0.0.1 3306 {\n"
	  "    standby_loss_timeout soon\n}\n", EXPECT_ERROR, 2,
	  "standby_loss_timeout: 'soon' is not a duration" },
	{ "nb_get_retry", VS_HEAD "        TCP_CHECK {\n            nb_get_retry 2\n        }\n"
	  "    }\n}\n", EXPECT_WARNING, 4, "'nb_get_retry' is deprecated, treated as 'retry'" },
	{ "connect_timeout with 4 decimals", VS_HEAD "        TCP_CHECK {\n"
	  "            connect_timeout 1.2345\n        }\n    }\n}\n", EXPECT_ERROR, 4,
	  "connect_timeout: '1.2345' is not a duration" },
	{ "MYSQL_CHECK without user", VS_HEAD "        MYSQL_CHECK {\n"
	  "            password x\n        }\n    }\n}\n", EXPECT_ERROR, 3, "MYSQL_CHECK has no user" },
	{ "MYSQL_CHECK password and password_file", VS_HEAD "        MYSQL_CHECK {\n"
	  "            user u\n            password x\n            password_file /f\n"
	  "        }\n    }\n}\n", EXPECT_ERROR, 3, "both password and password_file" },
	{ "MYSQL_CHECK ssl_cert without ssl_key", VS_HEAD "        MYSQL_CHECK {\n"
	  "            user u\n            ssl_cert /etc/passwd\n"
	  "        }\n    }\n}\n", EXPECT_ERROR, 3, "MYSQL_CHECK has ssl_cert without ssl_key" },
	{ "MYSQL_CHECK verify_identity without ssl_ca", VS_HEAD "        MYSQL_CHECK {\n"
	  "            user u\n            ssl_mode verify_identity\n"
	  "        }\n    }\n}\n", EXPECT_ERROR, 3, "ssl_mode verify_identity needs ssl_ca" },
	{ "MYSQL_CHECK ssl_ca relative", VS_HEAD "        MYSQL_CHECK {\n"
	  "            user u\n            ssl_ca ca.pem\n"
	  "        }\n    }\n}\n", EXPECT_ERROR, 3, "ssl_ca 'ca.pem': an absolute path" },
	{ "MYSQL_CHECK ssl_ca missing", VS_HEAD "        MYSQL_CHECK {\n"
	  "            user u\n            ssl_ca /nonexistent/ca.pem\n"
	  "        }\n    }\n}\n", EXPECT_ERROR, 3,
	  "ssl_ca '/nonexistent/ca.pem': No such file or directory" },
	{ "MYSQL_CHECK ssl_ca a directory", VS_HEAD "        MYSQL_CHECK {\n"
	  "            user u\n            ssl_ca /tmp\n"
	  "        }\n    }\n}\n", EXPECT_ERROR, 3, "ssl_ca '/tmp': not a regular file" },
	{ "MYSQL_CHECK ssl_mode unknown", VS_HEAD "        MYSQL_CHECK {\n"
	  "            user u\n            ssl_mode preferred\n"
	  "        }\n    }\n}\n", EXPECT_ERROR, 5, "ssl_mode: unknown mode 'preferred'" },
	{ "MYSQL_CHECK ssl_mode required with a CA", VS_HEAD "        MYSQL_CHECK {\n"
	  "            user u\n            ssl_mode required\n            ssl_ca /etc/passwd\n"
	  "        }\n    }\n}\n", EXPECT_WARNING, 3, "ssl_mode required does not check the server's certificate" },
	{ "MYSQL_CHECK bad on/off", VS_HEAD "        MYSQL_CHECK {\n            user u\n"
	  "            check_read_only maybe\n        }\n    }\n}\n", EXPECT_ERROR, 5,
	  "check_read_only: 'maybe' is not on or off" },
	{ "MYSQL_CHECK timeout in ms", VS_HEAD "        MYSQL_CHECK {\n            user u\n"
	  "            read_timeout 1.5ms\n        }\n    }\n}\n", EXPECT_ERROR, 5,
	  "read_timeout: '1.5ms' is not a duration" },
	{ "MISC_CHECK without misc_path", VS_HEAD "        MISC_CHECK {\n        }\n    }\n}\n",
	  EXPECT_ERROR, 3, "MISC_CHECK has no misc_path" },
	{ "duplicate real_server", "virtual_server 10.0.0.1 3306 {\n"
	  "    real_server 10.0.0.2 3306 {\n    }\n    real_server 10.0.0.2 3306 {\n    }\n}\n",
	  EXPECT_ERROR, 4, "duplicate real_server 10.0.0.2 3306" },
	{ "vrrp_sync_group", HEAD TAIL "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n}\n",
	  EXPECT_WARNING, 8, "accepted but its instances run independently" },
	{ "same VIP in two instances", HEAD TAIL "vrrp_instance VI_2 {\n    interface eth0\n"
	  "    virtual_router_id 52\n    virtual_ipaddress {\n        10.0.0.1\n    }\n}\n",
	  EXPECT_ERROR, 12, "virtual_ipaddress 10.0.0.1 is already held by vrrp_instance 'VI_1'" },
	{ "lone open brace", "{\n}\n" HEAD TAIL, EXPECT_ERROR, 1, "'{' without a keyword" },
	{ "vrrp_instance without a name", "vrrp_instance {\n}\n", EXPECT_ERROR, 1,
	  "missing argument for 'vrrp_instance': it needs a name" },
	{ "vrrp_version 4", "global_defs {\n    vrrp_version 4\n}\n", EXPECT_ERROR, 2,
	  "vrrp_version 4 is out of range (2..3)" },
	{ "VRRPv3 ignores authentication", "global_defs {\n    vrrp_version 3\n}\n" HEAD
	  "    authentication {\n        auth_type PASS\n        auth_pass x\n    }\n" TAIL,
	  EXPECT_WARNING, 7, "VRRPv3 has no authentication" },
	{ "advert_int past 32-bit milliseconds", HEAD "    advert_int 4294968.296\n" TAIL,
	  EXPECT_ERROR, 4, "advert_int 4294968.296 is out of range (0.01..255 s)" },
	{ "duration in ms past 32 bits", VS_HEAD "        TCP_CHECK {\n"
	  "            connect_timeout 4294967297ms\n        }\n    }\n}\n", EXPECT_ERROR, 4,
	  "connect_timeout 4294967297ms is out of range (0.001..3600 s)" },
	{ "duration with more digits than 64 bits", HEAD
	  "    preempt_delay 99999999999999999999999999\n" TAIL, EXPECT_ERROR, 4,
	  "preempt_delay 99999999999999999999999999 is out of range (0..1000 s)" },
	{ "control bytes are escaped in messages", HEAD "    priority \x1b[31mred\x07\n" TAIL,
	  EXPECT_ERROR, 4, "priority: '\\x1b[31mred\\x07' is not a number" },
	{ "quoted braces and comment characters are words",
	  HEAD "    notify_master \"/bin/echo {x} #1 !2\"   # a comment { }\n" TAIL, EXPECT_CLEAN, 0,
	  NULL },
};

static bool run_snippet(const char *dir, const struct snippet *sn)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	char *path;
	bool ok = true;

	if (asprintf(&path, "%s/snippet.conf", dir) < 0)
		abort();
	write_file(path, sn->text);
	cfg = config_load(path, &d);

	switch (sn->kind) {
	case EXPECT_CLEAN:
		ok = cfg && d.count == 0;
		break;
	case EXPECT_WARNING:
		ok = cfg && d.errors == 0 &&
		     find_diag(&d, CONFIG_WARNING, "snippet.conf", sn->line, sn->needle);
		break;
	case EXPECT_ERROR:
		ok = !cfg && find_diag(&d, CONFIG_ERROR, "snippet.conf", sn->line, sn->needle);
		break;
	}
	if (!ok) {
		print_error("snippet '%s': expected %s at line %u containing \"%s\"; config %s; got:\n",
			    sn->name,
			    sn->kind == EXPECT_CLEAN ? "no diagnostics" :
			    sn->kind == EXPECT_ERROR ? "an error" : "a warning",
			    sn->line, sn->needle ? sn->needle : "", cfg ? "loaded" : "rejected");
		config_diag_print(&d, stderr);
	}
	config_free(cfg);
	config_diag_free(&d);
	unlink(path);
	free(path);
	return ok;
}

static void test_malformed_snippets(void **state)
{
	char dir[] = "/tmp/xvip-config-test-XXXXXX";
	size_t failed = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(snippets) / sizeof(snippets[0]); i++)
		if (!run_snippet(dir, &snippets[i]))
			failed++;
	rmdir(dir);
	assert_int_equal(failed, 0);
}

/* ---- tokenizer details ------------------------------------------------ */

static void test_tokenizer(void **state)
{
	char dir[] = "/tmp/xvip-config-test-XXXXXX", *path;
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	const struct config_vrrp_instance *vi;

	(void)state;
	assert_non_null(mkdtemp(dir));
	if (asprintf(&path, "%s/t.conf", dir) < 0)
		abort();
	/* braces glued to words, a `{` on its own line, CRLF line ends, a
	 * UTF-8 BOM and comments in both styles, inline and full-line */
	write_file(path, "\xef\xbb\xbf! comment\r\n"
			 "# comment\r\n"
			 "vrrp_instance VI_9{state MASTER # 状态\r\n"
			 "    interface eth0 ! trailing\r\n"
			 "    virtual_router_id 9\r\n"
			 "    virtual_ipaddress\r\n"
			 "    {\r\n"
			 "        10.9.9.9/24\r\n"
			 "    }}\r\n"
			 "vrrp_instance VI_10 { interface eth0\n"
			 "    virtual_router_id 10\n"
			 "    notify_master \"/bin/notify \\\"quoted\\\" a\\\\b\"\n"
			 "    virtual_ipaddress { 10.9.9.10 } }\n");
	cfg = config_load(path, &d);
	if (!cfg || d.count)
		config_diag_print(&d, stderr);
	assert_non_null(cfg);
	assert_int_equal(d.count, 0);
	assert_int_equal(cfg->n_instances, 2);
	vi = &cfg->instances[0];
	assert_string_equal(vi->name, "VI_9");
	assert_int_equal(vi->where.line, 3);
	assert_int_equal(vi->initial_state, CONFIG_STATE_MASTER);
	assert_string_equal(vi->interface, "eth0");
	assert_int_equal(vi->vips[0].prefix_len, 24);
	vi = &cfg->instances[1];
	assert_int_equal(vi->virtual_router_id, 10);
	assert_string_equal(vi->notify_master->text, "/bin/notify \"quoted\" a\\b");
	assert_int_equal(vi->notify_master->argc, 3);
	assert_string_equal(vi->notify_master->argv[1], "quoted");
	assert_int_equal(vi->n_vips, 1);
	config_free(cfg);
	config_diag_free(&d);
	unlink(path);
	free(path);
	rmdir(dir);
}

/* ---- checker equality (what a reload compares) ----------------------- */

static void test_checker_equal(void **state)
{
	char dir[] = "/tmp/xvip-config-test-XXXXXX", *path;
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	const struct config_real_server *rs;

	(void)state;
	assert_non_null(mkdtemp(dir));
	if (asprintf(&path, "%s/t.conf", dir) < 0)
		abort();
	/* four real servers: 1 and 2 alike (written differently), 3 with
	 * another interval, 4 with a TCP_CHECK */
	write_file(path, "virtual_server 10.0.0.100 3306 {\n"
			 "  real_server 10.0.0.1 3306 { MYSQL_CHECK { user mon\n password x\n"
			 "    interval 100ms\n fall 3 } }\n"
			 "  real_server 10.0.0.2 3306 { weight 5\n MYSQL_CHECK { fall 3\n"
			 "    password x\n user mon\n interval 0.1 } }\n"
			 "  real_server 10.0.0.3 3306 { MYSQL_CHECK { user mon\n password x\n"
			 "    interval 150ms\n fall 3 } }\n"
			 "  real_server 10.0.0.4 3306 { TCP_CHECK { connect_timeout 1 } }\n"
			 "}\n");
	cfg = config_load(path, &d);
	if (!cfg)
		config_diag_print(&d, stderr);
	assert_non_null(cfg);
	rs = cfg->virtual_servers[0].real_servers;
	assert_true(config_checker_equal(&rs[0].checkers[0], &rs[1].checkers[0]));
	assert_true(config_checker_equal(&rs[0].checkers[0], &rs[0].checkers[0]));
	assert_false(config_checker_equal(&rs[0].checkers[0], &rs[2].checkers[0]));
	assert_false(config_checker_equal(&rs[0].checkers[0], &rs[3].checkers[0]));
	config_free(cfg);
	config_diag_free(&d);
	unlink(path);
	free(path);
	rmdir(dir);
}

/* ---- fast liveness keywords ------------------------------------------- */

static struct xvip_config *load_text(const char *text, struct config_diag *d, char **pathp)
{
	char dir[] = "/tmp/xvip-config-test-XXXXXX", *path;
	struct xvip_config *cfg;

	assert_non_null(mkdtemp(dir));
	if (asprintf(&path, "%s/t.conf", dir) < 0)
		abort();
	write_file(path, text);
	cfg = config_load(path, d);
	unlink(path);
	rmdir(dir);
	*pathp = path;
	return cfg;
}

#define LIV_HEAD "global_defs {\n vrrp_version 3\n}\n" \
	"vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n advert_int 0.01\n" \
	" virtual_ipaddress {\n 10.0.0.100\n }\n"

/* ---- smtp_alert: keepalived's levels ------------------------------------ */

/* An instance's or virtual server's own smtp_alert wins, then global_defs'
 * smtp_alert_vrrp / smtp_alert_checker, then smtp_alert; off when none is
 * written. The dump writes back only what was written. */
static void test_smtp_alert_levels(void **state)
{
	static const char *const text =
		"global_defs {\n smtp_server 10.0.0.25 2525\n smtp_helo_name node1.example\n"
		" notification_email {\n ops@example.com\n }\n smtp_alert_vrrp\n"
		" smtp_alert off\n}\n"
		"vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
		" virtual_ipaddress {\n 10.0.0.100\n }\n}\n"
		"vrrp_instance B {\n interface eth0\n virtual_router_id 2\n smtp_alert no\n"
		" virtual_ipaddress {\n 10.0.0.101\n }\n}\n"
		"virtual_server 10.0.0.100 3306 {\n lb_algo rr\n"
		" real_server 10.0.0.1 3306 {\n TCP_CHECK {\n }\n }\n}\n"
		"virtual_server 10.0.0.101 3306 {\n lb_algo rr\n smtp_alert\n"
		" real_server 10.0.0.1 3306 {\n TCP_CHECK {\n }\n }\n}\n";
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	char *path, *dump = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	cfg = load_text(text, &d, &path);
	assert_non_null(cfg);
	assert_int_equal(d.errors, 0);
	assert_true(config_smtp_alert_vrrp(cfg, &cfg->instances[0]));   /* smtp_alert_vrrp */
	assert_false(config_smtp_alert_vrrp(cfg, &cfg->instances[1]));  /* its own "no" */
	assert_false(config_smtp_alert_checker(cfg, &cfg->virtual_servers[0]));      /* global off */
	assert_true(config_smtp_alert_checker(cfg, &cfg->virtual_servers[1]));       /* its own */
	assert_string_equal(cfg->global.smtp_helo_name, "node1.example");
	assert_int_equal(cfg->global.smtp_port, 2525);
	f = open_memstream(&dump, &len);
	config_dump(cfg, f);
	fclose(f);
	assert_non_null(strstr(dump, "    smtp_alert off\n    smtp_alert_vrrp on\n"));
	assert_non_null(strstr(dump, "    smtp_helo_name node1.example\n"));
	assert_null(strstr(dump, "smtp_alert_checker")); /* not written: not dumped */
	free(dump);
	config_free(cfg);
	config_diag_free(&d);
	free(path);

	/* nothing written: no mail */
	cfg = load_text(LIV_HEAD "}\n", &d, &path);
	assert_non_null(cfg);
	assert_false(config_smtp_alert_vrrp(cfg, &cfg->instances[0]));
	config_free(cfg);
	config_diag_free(&d);
	free(path);
}

/* TLS: a CA alone means verify_identity, a certificate and key alone
 * required; both dumped back as written (xvipd -t). */
static void test_mysql_tls(void **state)
{
	static const char *const text =
		"virtual_server 10.0.0.100 3306 {\n lb_algo fo\n"
		" real_server 10.0.0.1 3306 {\n MYSQL_CHECK {\n user u\n ssl_ca /etc/passwd\n }\n }\n"
		" real_server 10.0.0.2 3306 {\n MYSQL_CHECK {\n user u\n ssl_cert /etc/passwd\n"
		" ssl_key /etc/hostname\n }\n }\n"
		" real_server 10.0.0.3 3306 {\n MYSQL_CHECK {\n user u\n }\n }\n}\n";
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	const struct config_virtual_server *vs;
	char *path, *dump = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	if (access("/etc/hostname", F_OK))
		skip();
	cfg = load_text(text, &d, &path);
	assert_non_null(cfg);
	assert_int_equal(d.errors, 0);
	vs = &cfg->virtual_servers[0];
	assert_int_equal(vs->real_servers[0].checkers[0].u.mysql.ssl_mode, CONFIG_SSL_VERIFY);
	assert_int_equal(vs->real_servers[1].checkers[0].u.mysql.ssl_mode, CONFIG_SSL_REQUIRED);
	assert_int_equal(vs->real_servers[2].checkers[0].u.mysql.ssl_mode, CONFIG_SSL_OFF);
	f = open_memstream(&dump, &len);
	config_dump(cfg, f);
	fclose(f);
	assert_non_null(strstr(dump, "            ssl_mode verify_identity\n"
				     "            ssl_ca /etc/passwd\n"));
	assert_non_null(strstr(dump, "            ssl_mode required\n"
				     "            ssl_cert /etc/passwd\n"
				     "            ssl_key /etc/hostname\n"));
	free(dump);
	config_free(cfg);
	config_diag_free(&d);
	free(path);
}

static void test_liveness_keywords(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	char *path, *dump;

	(void)state;
	/* absent: off, multiplier 3 */
	cfg = load_text(LIV_HEAD "}\n", &d, &path);
	assert_non_null(cfg);
	assert_int_equal(cfg->instances[0].liveness_interval_ms, 0);
	assert_int_equal(cfg->instances[0].liveness_multiplier, 3);
	dump = dump_to_string(cfg);
	assert_null(strstr(dump, "liveness"));
	free(dump);
	config_free(cfg);
	config_diag_free(&d);
	free(path);

	/* set (line 7, 8); without vrrp_rt_priority a 1 ms interval warns */
	cfg = load_text(LIV_HEAD " liveness_interval 1ms\n liveness_multiplier 4\n}\n", &d, &path);
	assert_non_null(cfg);
	assert_int_equal(cfg->instances[0].liveness_interval_ms, 1);
	assert_int_equal(cfg->instances[0].liveness_multiplier, 4);
	expect_diag(&d, CONFIG_WARNING, "t.conf", 11, "without vrrp_rt_priority");
	dump = dump_to_string(cfg);
	assert_non_null(strstr(dump, "liveness_interval 1ms\n"));
	assert_non_null(strstr(dump, "liveness_multiplier 4\n"));
	free(dump);
	config_free(cfg);
	config_diag_free(&d);
	free(path);

	/* detection not shorter than master_down: warned */
	cfg = load_text(LIV_HEAD " liveness_interval 0.01\n liveness_multiplier 3\n}\n", &d,
			&path);
	assert_non_null(cfg);
	expect_diag(&d, CONFIG_WARNING, "t.conf", 11, "fast liveness adds nothing");
	config_free(cfg);
	config_diag_free(&d);
	free(path);

	/* a multiplier alone: warned, stays off */
	cfg = load_text(LIV_HEAD " liveness_multiplier 5\n}\n", &d, &path);
	assert_non_null(cfg);
	expect_diag(&d, CONFIG_WARNING, "t.conf", 11, "fast liveness stays off");
	config_free(cfg);
	config_diag_free(&d);
	free(path);

	/* out of range: refused with file:line */
	cfg = load_text(LIV_HEAD " liveness_interval 0\n}\n", &d, &path);
	assert_null(cfg);
	expect_diag(&d, CONFIG_ERROR, "t.conf", 11, "liveness_interval");
	config_diag_free(&d);
	free(path);
	cfg = load_text(LIV_HEAD " liveness_interval 500us\n}\n", &d, &path);
	assert_null(cfg);
	expect_diag(&d, CONFIG_ERROR, "t.conf", 11, "is not a duration");
	config_diag_free(&d);
	free(path);
	cfg = load_text(LIV_HEAD " liveness_interval 1ms\n liveness_multiplier 1\n}\n", &d, &path);
	assert_null(cfg);
	expect_diag(&d, CONFIG_ERROR, "t.conf", 12, "liveness_multiplier");
	config_diag_free(&d);
	free(path);
}

/* auth_key_file: read when the file is loaded (so -t and a reload judge
 * it), dumped as its path, never as the key. */
static void test_auth_key_file(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	char dir[] = "/tmp/xvip-key-test-XXXXXX", key[64], text[512];
	struct xvip_config *cfg;
	char *path, *dump;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/vrrp.key", dir);
	write_file(key, "0123456789abcdef0123456789abcdef\n");
	assert_int_equal(chmod(key, 0600), 0);
	snprintf(text, sizeof(text), LIV_HEAD " auth_key_file %s\n}\n", key);
	cfg = load_text(text, &d, &path);
	assert_non_null(cfg);
	assert_string_equal(cfg->instances[0].auth_key_file, key);
	assert_int_equal(cfg->instances[0].auth_key.len, 32);
	assert_memory_equal(cfg->instances[0].auth_key.b, "0123456789abcdef", 16);
	dump = dump_to_string(cfg);
	assert_non_null(strstr(dump, "    auth_key_file "));
	assert_null(strstr(dump, "0123456789abcdef"));
	free(dump);
	config_free(cfg);
	config_diag_free(&d);
	free(path);

	/* a second key file (a rotation): accepted, dumped, judged the same */
	{
		char key2[64];

		snprintf(key2, sizeof(key2), "%s/next.key", dir);
		write_file(key2, "fedcba9876543210fedcba9876543210\n");
		assert_int_equal(chmod(key2, 0600), 0);
		snprintf(text, sizeof(text), LIV_HEAD " auth_key_file %s %s\n}\n", key, key2);
		cfg = load_text(text, &d, &path);
		assert_non_null(cfg);
		assert_string_equal(cfg->instances[0].auth_key_file2, key2);
		assert_int_equal(cfg->instances[0].auth_key2.len, 32);
		dump = dump_to_string(cfg);
		assert_non_null(strstr(dump, "next.key\n"));
		free(dump);
		config_free(cfg);
		config_diag_free(&d);
		free(path);
		assert_int_equal(chmod(key2, 0666), 0);
		cfg = load_text(text, &d, &path);
		assert_null(cfg);
		expect_diag(&d, CONFIG_ERROR, "t.conf", 11, "(the second key)");
		config_diag_free(&d);
		free(path);
		unlink(key2);
	}

	/* with fast liveness: its echoes are keyed too, nothing to warn of */
	snprintf(text, sizeof(text), LIV_HEAD " auth_key_file %s\n liveness_interval 2ms\n}\n", key);
	cfg = load_text(text, &d, &path);
	assert_non_null(cfg);
	assert_null(find_diag(&d, CONFIG_WARNING, "t.conf", 12, "auth"));
	config_free(cfg);
	config_diag_free(&d);
	free(path);
	snprintf(text, sizeof(text), LIV_HEAD " auth_key_file %s\n}\n", key);

	/* others may read it: refused, with file:line */
	assert_int_equal(chmod(key, 0644), 0);
	cfg = load_text(text, &d, &path);
	assert_null(cfg);
	expect_diag(&d, CONFIG_ERROR, "t.conf", 11, "accessible by others");
	config_diag_free(&d);
	free(path);
	unlink(key);
	cfg = load_text(text, &d, &path);
	assert_null(cfg);
	expect_diag(&d, CONFIG_ERROR, "t.conf", 11, "No such file");
	config_diag_free(&d);
	free(path);
	cfg = load_text(LIV_HEAD " auth_key_file vrrp.key\n}\n", &d, &path);
	assert_null(cfg);
	expect_diag(&d, CONFIG_ERROR, "t.conf", 11, "an absolute path");
	config_diag_free(&d);
	free(path);
	cfg = load_text(LIV_HEAD " auth_key_file\n}\n", &d, &path);
	assert_null(cfg);
	expect_diag(&d, CONFIG_ERROR, "t.conf", 11, "auth_key_file");
	config_diag_free(&d);
	free(path);
	rmdir(dir);
}

/* ---- bad input: a reload must never kill the daemon ------------------ */

/* A scratch directory; scratch_free() removes it with all it holds. */
static char *scratch(void)
{
	char *dir = strdup("/tmp/xvip-config-test-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void scratch_free(char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static char *path_in(const char *dir, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	return path;
}

/* prefix, then `unit` n times, then suffix: the big inputs, made here */
static char *repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	size_t lp = strlen(prefix), lu = strlen(unit), ls = strlen(suffix);
	char *s = malloc(lp + lu * n + ls + 1), *o = s;

	assert_non_null(s);
	memcpy(o, prefix, lp);
	o += lp;
	for (size_t i = 0; i < n; i++, o += lu)
		memcpy(o, unit, lu);
	memcpy(o, suffix, ls + 1);
	return s;
}

static void write_repeat(const char *path, const char *prefix, const char *unit, size_t n,
			 const char *suffix)
{
	char *text = repeat(prefix, unit, n, suffix);

	write_file(path, text);
	free(text);
}

/* Loads path with lim (NULL: the defaults) and expects it refused with an
 * error at file (suffix) / line containing needle. */
static void expect_refused(const char *path, const struct config_limits *lim,
			   const char *file_suffix, unsigned line, const char *needle)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg = config_load_limited(path, &d, lim ? lim : &config_default_limits);

	assert_null(cfg);
	expect_diag(&d, CONFIG_ERROR, file_suffix, line, needle);
	config_diag_free(&d);
}

/* A 1 MB line of `{` made skip_block() recurse 785k frames deep (SIGSEGV):
 * lines are capped, nesting is capped, and blocks are skipped without
 * recursion. */
static void test_deep_braces(void **state)
{
	char *dir = scratch(), *path = path_in(dir, "x.conf");
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;

	(void)state;
	write_repeat(path, "", "{", 1000000, "\n");
	expect_refused(path, NULL, "x.conf", 1, "line is longer than 64 KiB; not read");

	/* the same braces one per line: refused where they pass 32 levels */
	write_repeat(path, "", "{\n", 1000000, "");
	expect_refused(path, NULL, "x.conf", 33,
		       "blocks nested more than 32 deep; the rest of this file is not read");

	/* 31 nested unknown blocks are skipped, and what follows is parsed */
	{
		char *open = repeat("", "foo {\n", 31, ""), *close = repeat("", "}\n", 31, "");
		char *text;

		if (asprintf(&text, "%s%s" HEAD TAIL, open, close) < 0)
			abort();
		write_file(path, text);
		free(text);
		free(open);
		free(close);
	}
	cfg = config_load(path, &d);
	if (!cfg)
		config_diag_print(&d, stderr);
	assert_non_null(cfg);
	assert_int_equal(d.warnings, 1); /* the outermost foo; its body is skipped */
	expect_diag(&d, CONFIG_WARNING, "x.conf", 1, "unknown keyword 'foo' at top level");
	assert_int_equal(cfg->n_instances, 1);
	assert_int_equal(cfg->instances[0].where.line, 63);
	config_free(cfg);
	config_diag_free(&d);
	free(path);
	scratch_free(dir);
}

/* 1 MB of words in notify_master, or 200k "" on one line, took memory per
 * word in proportion to the rest of the line (out of memory, abort): lines
 * and words are capped, and each word costs its own length. */
static void test_long_lines(void **state)
{
	char *dir = scratch(), *path = path_in(dir, "x.conf");
	struct config_limits big = config_default_limits;
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;

	(void)state;
	write_repeat(path, HEAD "    notify_master /bin/notify", " a", 500000, "\n" TAIL);
	expect_refused(path, NULL, "x.conf", 4, "line is longer than 64 KiB; not read");
	write_repeat(path, "global_defs {\n    router_id ", "\"\"", 200000, "\n}\n");
	expect_refused(path, NULL, "x.conf", 2, "line is longer than 64 KiB; not read");
	write_repeat(path, HEAD "    notify_master /bin/notify", " a", 4096, "\n" TAIL);
	expect_refused(path, NULL, "x.conf", 4,
		       "more than 4096 words on one line; the line is not read");

	/* at the caps: a 64 KiB comment line, 4096 words */
	write_repeat(path, "!", "x", 64 * 1024 - 1, "\n" HEAD TAIL);
	cfg = config_load(path, &d);
	assert_non_null(cfg);
	config_free(cfg);
	config_diag_free(&d);
	write_repeat(path, HEAD "    notify_master /bin/notify", " a", 4094, "\n" TAIL);
	cfg = config_load(path, &d);
	assert_non_null(cfg);
	assert_int_equal(cfg->instances[0].notify_master->argc, 4095);
	config_free(cfg);
	config_diag_free(&d);

	/* with the caps lifted, the same lines load in linear time and memory */
	big.line_bytes = 2 * 1024 * 1024;
	big.line_words = big.load_words = 1000000;
	alarm(60);
	write_repeat(path, HEAD "    notify_master /bin/notify", " a", 500000, "\n" TAIL);
	cfg = config_load_limited(path, &d, &big);
	assert_non_null(cfg);
	assert_int_equal(cfg->instances[0].notify_master->argc, 500001);
	assert_string_equal(cfg->instances[0].notify_master->argv[500000], "a");
	config_free(cfg);
	config_diag_free(&d);
	write_repeat(path, "global_defs {\n    router_id ", "\"\"", 200000, "\n}\n");
	cfg = config_load_limited(path, &d, &big);
	assert_non_null(cfg);
	assert_string_equal(cfg->global.router_id, "");
	expect_diag(&d, CONFIG_WARNING, "x.conf", 2, "extra argument");
	config_free(cfg);
	config_diag_free(&d);
	alarm(0);
	free(path);
	scratch_free(dir);
}

/* 9 files that each include all 9 hung: the loop guard covered only the
 * include chain, so they were read 9! times. Each file is read once. */
/* Writes text to the file `name` in dir. */
static void write_in(const char *dir, const char *name, const char *text)
{
	char *path = path_in(dir, name);

	write_file(path, text);
	free(path);
}

static void test_include_fan_out(void **state)
{
	char *dir = scratch(), *path = path_in(dir, "main.conf"), *sub = path_in(dir, "d");
	struct config_diag d = CONFIG_DIAG_INIT;

	(void)state;
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(path, "include d/*.conf\n");
	for (int i = 0; i < 9; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d/%d.conf", i);
		write_in(dir, name, "include *.conf\n");
	}
	alarm(10);
	assert_null(config_load(path, &d));
	alarm(0);
	expect_diag(&d, CONFIG_ERROR, "d/0.conf", 1, "include loop: ");
	expect_diag(&d, CONFIG_ERROR, "main.conf", 1, "d/8.conf' is already included (at ");
	config_diag_free(&d);

	/* two files that include a third: the second include is an error */
	write_file(path, "include a.conf\ninclude b.conf\n");
	write_in(dir, "a.conf", "include common.conf\n");
	write_in(dir, "b.conf", "! b\ninclude common.conf\n");
	write_in(dir, "common.conf", HEAD TAIL);
	assert_null(config_load(path, &d));
	assert_int_equal(d.errors, 1);
	expect_diag(&d, CONFIG_ERROR, "b.conf", 2, "common.conf' is already included (at ");
	assert_non_null(strstr(d.entries[0].message, "a.conf:1); a file is read once per load"));
	config_diag_free(&d);
	free(sub);
	free(path);
	scratch_free(dir);
}

/* `include /dev/zero` was read for 7 s and accepted: only regular files are
 * read, and a FIFO does not block the load. */
static void test_not_regular_files(void **state)
{
	char *dir = scratch(), *path = path_in(dir, "x.conf"), *fifo = path_in(dir, "fifo");
	struct config_diag d = CONFIG_DIAG_INIT;

	(void)state;
	alarm(10);
	write_file(path, "include /dev/zero\n");
	expect_refused(path, NULL, "x.conf", 1, "include '/dev/zero': not a regular file; not read");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	write_file(path, "! a FIFO nobody writes to\ninclude fifo\n");
	expect_refused(path, NULL, "x.conf", 2, "fifo': not a regular file; not read");
	write_file(path, "include /tmp\n");
	expect_refused(path, NULL, "x.conf", 1, "include '/tmp': not a regular file");

	assert_null(config_load("/dev/zero", &d));
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.entries[0].file, "/dev/zero");
	assert_int_equal(d.entries[0].line, 0);
	assert_string_equal(d.entries[0].message, "not a regular file; not read");
	config_diag_free(&d);
	alarm(0);
	free(fifo);
	free(path);
	scratch_free(dir);
}

/* A NUL byte silently cut its line short. */
static void test_nul_byte(void **state)
{
	static const char text[] = "global_defs {\n    router_id ab\0cd\n}\n" HEAD TAIL;
	char *dir = scratch(), *path = path_in(dir, "x.conf");
	FILE *f = fopen(path, "w");

	(void)state;
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	expect_refused(path, NULL, "x.conf", 2, "NUL byte at column 17; the line is not read");
	free(path);
	scratch_free(dir);
}

/* Control bytes from the file were echoed into the terminal and the log. */
static void test_diagnostics_escaped(void **state)
{
	char *dir = scratch(), *path = path_in(dir, "x.conf"), *text = NULL;
	struct config_diag d = CONFIG_DIAG_INIT;
	size_t len = 0;
	FILE *f;

	(void)state;
	write_file(path, HEAD "    priority \x1b]0;owned\x07\n"
			 "    state \xe7\x8a\xb6\xe6\x80\x81\n"   /* UTF-8: kept as it is */
			 "    version \xff\xc2\x9b\xed\xa0\x80\n" /* not UTF-8, C1, surrogate */
			 "    vip_mode \"a\tb\r\"\n" TAIL);
	assert_null(config_load(path, &d));
	expect_diag(&d, CONFIG_ERROR, "x.conf", 4, "priority: '\\x1b]0;owned\\x07' is not a number");
	expect_diag(&d, CONFIG_ERROR, "x.conf", 5, "state: '\xe7\x8a\xb6\xe6\x80\x81' is neither");
	expect_diag(&d, CONFIG_ERROR, "x.conf", 6, "'\\xff\\xc2\\x9b\\xed\\xa0\\x80' is not a number");
	expect_diag(&d, CONFIG_ERROR, "x.conf", 7, "vip_mode: 'a\\x09b\\x0d' is neither");
	f = open_memstream(&text, &len);
	assert_non_null(f);
	config_diag_print(&d, f);
	fclose(f);
	for (size_t i = 0; i < len; i++)
		assert_true(text[i] == '\n' || ((unsigned char)text[i] >= 0x20 && text[i] != 0x7f));
	free(text);
	config_diag_free(&d);
	free(path);
	scratch_free(dir);
}

/* The other caps, each an error at its file:line. */
static void test_limits(void **state)
{
	char *dir = scratch(), *path = path_in(dir, "x.conf"), *big = path_in(dir, "big.conf");
	char *sub = path_in(dir, "d");
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	FILE *f;

	(void)state;
	/* 16 MiB for the main file and its includes together */
	f = fopen(big, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 16 * 1024 * 1024 + 1), 0);
	fclose(f);
	expect_refused(big, NULL, "big.conf", 0,
		       "the configuration would be larger than 16 MiB (the main file and its includes together); not read");
	write_file(path, "include big.conf\n");
	expect_refused(path, NULL, "x.conf", 1, "big.conf': the configuration would be larger");

	/* 262144 words in all */
	write_repeat(path, "", "a\n", 256 * 1024 + 1, "");
	expect_refused(path, NULL, "x.conf", 256 * 1024 + 1,
		       "more than 262144 words in the configuration; the rest is not read");

	/* 256 included files */
	assert_int_equal(mkdir(sub, 0755), 0);
	for (int i = 0; i < 257; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d/%03d.conf", i);
		write_in(dir, name, "! empty\n");
	}
	write_file(path, "include d/*.conf\n");
	expect_refused(path, NULL, "x.conf", 1,
		       "include 'd/*.conf': more than 256 files included in one load; '");
	assert_null(config_load(path, &d));
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.entries[0].message, "d/256.conf' and what follows not read"));
	config_diag_free(&d);

	/* 32 files deep */
	for (int i = 0; i < 40; i++) {
		char name[32], line[32];

		snprintf(name, sizeof(name), "n%d.conf", i);
		snprintf(line, sizeof(line), "include n%d.conf\n", i + 1);
		write_in(dir, name, line);
	}
	free(path);
	path = path_in(dir, "n0.conf");
	expect_refused(path, NULL, "n31.conf", 1, "include '");
	assert_null(config_load(path, &d));
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.entries[0].message, "n32.conf': more than 32 nested includes"));
	config_diag_free(&d);

	/* 1000 diagnostics kept, the rest counted */
	free(path);
	path = path_in(dir, "x.conf");
	write_repeat(path, "", "foo\n", 1500, "");
	cfg = config_load(path, &d);
	assert_non_null(cfg);
	config_free(cfg);
	assert_int_equal(d.warnings, 1500);
	assert_int_equal(d.count, 1001);
	assert_string_equal(d.entries[1000].message,
			    "500 more diagnostics not shown (0 errors, 500 warnings): only the first 1000 are kept");
	config_diag_free(&d);
	free(sub);
	free(big);
	free(path);
	scratch_free(dir);
}

/* Checking each name against every one before it made a load quadratic:
 * minutes for 100k VIPs. */
static void test_many_objects_load_fast(void **state)
{
	char *dir = scratch(), *path = path_in(dir, "x.conf");
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	FILE *f;

	(void)state;
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 1\n"
	      "    virtual_ipaddress {\n", f);
	for (unsigned i = 0; i < 100000; i++)
		fprintf(f, "        10.%u.%u.%u\n", i >> 16, (i >> 8) & 255, i & 255);
	fputs("        10.0.0.7\n    }\n}\n", f);
	/* 12000 instances, 5 lines each, VRID 1 on e0..e999 over and over */
	for (unsigned i = 0; i < 12000; i++)
		fprintf(f, "vrrp_instance v%u {\n interface e%u\n virtual_router_id 1\n"
			" virtual_ipaddress { 172.16.%u.%u }\n}\n", i, i % 1000, i >> 8, i & 255);
	fclose(f);
	alarm(30);
	cfg = config_load(path, &d);
	alarm(0);
	assert_null(cfg);
	expect_diag(&d, CONFIG_ERROR, "x.conf", 100005,
		    "virtual_ipaddress 10.0.0.7 is already held by vrrp_instance 'VI_1' (");
	expect_diag(&d, CONFIG_ERROR, "x.conf", 100008 + 5 * 1000 + 2,
		    "virtual_router_id 1 on e0 is already used by vrrp_instance 'v0'");
	assert_int_equal(d.errors, 1 + 11000);
	config_diag_free(&d);
	free(path);
	scratch_free(dir);
}

/* An allocation failure anywhere in a load (a reload on a host short of
 * memory) aborted the daemon. Now every allocation is made to fail in turn:
 * each load fails with an error saying why, and leaks nothing (LSan). */
static void test_out_of_memory(void **state)
{
	static const struct {
		const char *name;
		bool loads;
	} files[] = {
		{ "full.conf", true },
		{ "include-main.conf", true },
		{ "many-errors.conf", false },
	};

	(void)state;
	for (size_t n = 0; n < sizeof(files) / sizeof(files[0]); n++) {
		struct config_limits lim = config_default_limits;
		char *path = fixture(files[n].name);
		size_t i;

		for (i = 1;; i++) {
			struct config_diag d = CONFIG_DIAG_INIT;
			struct xvip_config *cfg;

			lim.fail_alloc = i;
			cfg = config_load_limited(path, &d, &lim);
			if (!find_diag(&d, CONFIG_ERROR, files[n].name, 0,
				       "out of memory while reading the configuration; it is not used")) {
				/* past the last allocation: the load as it is */
				assert_true(files[n].loads ? cfg != NULL : cfg == NULL);
				config_free(cfg);
				config_diag_free(&d);
				break;
			}
			if (cfg) {
				print_error("%s: allocation %zu failed, yet the load succeeded\n",
					    files[n].name, i);
				fail();
			}
			config_diag_free(&d);
		}
		assert_true(i > 100); /* it did fail many different allocations */
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_master1),
		cmocka_unit_test(test_seed_master2),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_dump_format),
		cmocka_unit_test(test_command_split_once),
		cmocka_unit_test(test_dump_redacted),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_loop),
		cmocka_unit_test(test_include_missing),
		cmocka_unit_test(test_main_file_missing),
		cmocka_unit_test(test_many_errors_one_run),
		cmocka_unit_test(test_diag_print_format),
		cmocka_unit_test(test_malformed_snippets),
		cmocka_unit_test(test_tokenizer),
		cmocka_unit_test(test_checker_equal),
		cmocka_unit_test(test_liveness_keywords),
		cmocka_unit_test(test_auth_key_file),
		cmocka_unit_test(test_deep_braces),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_include_fan_out),
		cmocka_unit_test(test_not_regular_files),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_diagnostics_escaped),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_many_objects_load_fast),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_smtp_alert_levels),
		cmocka_unit_test(test_mysql_tls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
