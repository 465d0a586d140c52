/*
 * test_script_sec.c - who runs a script and whether it may (script_sec.h),
 * with real files and directories under a fresh /tmp directory (root-owned
 * files, modes and owners set by the test, which runs as root) and users
 * from a table the test passes in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"
#include "script_sec.h"
#include "scripts.h"

static char dir[64];

static void mkfile(const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	assert_int_equal(chown(p, uid, gid), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static void mksub(const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(chown(p, uid, gid), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/xvip-test-sec.XXXXXX");
	if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static enum script_verdict check(const char *name, uid_t uid, gid_t gid, char *why)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return script_path_check(p, uid, gid, why, 512);
}

/* Rule: as root, the file and every directory above it owned by root and
 * writable by no one else (group root may write; a sticky directory, like
 * /tmp, may be world-writable). */
static void test_root_needs_a_safe_path(void **state)
{
	char why[512];

	(void)state;
	mkfile("ok.sh", 0755, 0, 0);
	assert_int_equal(check("ok.sh", 0, 0, why), SCRIPT_OK);
	mkfile("grp-root.sh", 0775, 0, 0);
	assert_int_equal(check("grp-root.sh", 0, 0, why), SCRIPT_OK);
	mkfile("grp.sh", 0775, 0, 65534);
	assert_int_equal(check("grp.sh", 0, 0, why), SCRIPT_INSECURE);
	assert_non_null(strstr(why, "grp.sh can be modified by a user other than root"));
	mkfile("world.sh", 0757, 0, 0);
	assert_int_equal(check("world.sh", 0, 0, why), SCRIPT_INSECURE);
	mkfile("owned.sh", 0755, 65534, 0);
	assert_int_equal(check("owned.sh", 0, 0, why), SCRIPT_INSECURE);
	assert_non_null(strstr(why, "owner uid 65534"));
	/* a directory on the way that someone else can write to */
	mksub("opendir", 0777, 0, 0);
	mkfile("opendir/x.sh", 0755, 0, 0);
	assert_int_equal(check("opendir/x.sh", 0, 0, why), SCRIPT_INSECURE);
	assert_non_null(strstr(why, "opendir can be modified"));
	mksub("sticky", 01777, 0, 0);
	mkfile("sticky/x.sh", 0755, 0, 0);
	assert_int_equal(check("sticky/x.sh", 0, 0, why), SCRIPT_OK);
	mksub("theirs", 0755, 65534, 65534);
	mkfile("theirs/x.sh", 0755, 0, 0);
	assert_int_equal(check("theirs/x.sh", 0, 0, why), SCRIPT_INSECURE);
	/* the same files for another user: only executability matters */
	assert_int_equal(check("opendir/x.sh", 65534, 65534, why), SCRIPT_OK);
	assert_int_equal(check("world.sh", 65534, 65534, why), SCRIPT_OK);
}

/* Rule: a symbolic link is judged by what it points to as well. */
static void test_symlink_target_checked(void **state)
{
	char why[512], target[256], link[256];

	(void)state;
	mksub("opendir", 0777, 0, 0);
	mkfile("opendir/real.sh", 0755, 0, 0);
	snprintf(target, sizeof(target), "%s/opendir/real.sh", dir);
	snprintf(link, sizeof(link), "%s/link.sh", dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(check("link.sh", 0, 0, why), SCRIPT_INSECURE);
	assert_non_null(strstr(why, "opendir can be modified"));
}

static void test_missing_and_not_executable(void **state)
{
	char why[512];

	(void)state;
	assert_int_equal(check("nope.sh", 0, 0, why), SCRIPT_NOT_FOUND);
	assert_non_null(strstr(why, "No such file"));
	mkfile("plain.txt", 0644, 0, 0);
	assert_int_equal(check("plain.txt", 0, 0, why), SCRIPT_NOT_EXEC);
	mkfile("owner-only.sh", 0700, 0, 0);
	assert_int_equal(check("owner-only.sh", 65534, 65534, why), SCRIPT_NOT_EXEC);
	assert_non_null(strstr(why, "not executable by uid 65534"));
	assert_int_equal(script_path_check("relative/x.sh", 0, 0, why, sizeof(why)),
			 SCRIPT_NOT_FOUND);
	assert_int_equal(check("", 0, 0, why), SCRIPT_NOT_EXEC); /* the directory */
}

/* ---- the whole configuration, users from a table ---- */

struct fake_user {
	const char *name;
	uid_t uid;
	gid_t gid;
};
static const struct fake_user *fake_users;

static int f_user(void *ctx, const char *name, uid_t *uid, gid_t *gid)
{
	(void)ctx;
	for (const struct fake_user *u = fake_users; u && u->name; u++)
		if (!strcmp(u->name, name)) {
			*uid = u->uid;
			*gid = u->gid;
			return 0;
		}
	return -ENOENT;
}

static int f_group(void *ctx, const char *name, gid_t *gid)
{
	(void)ctx;
	if (!strcmp(name, "xgroup")) {
		*gid = 4242;
		return 0;
	}
	return -ENOENT;
}

static int f_groups(void *ctx, const char *name, gid_t gid, gid_t *out, int max)
{
	(void)ctx;
	(void)name;
	assert_true(max >= 2);
	out[0] = gid;
	out[1] = 7;
	return 2;
}

static const struct script_users FAKE = { f_user, f_group, f_groups, NULL };

static struct xvip_config *load(const char *global, const char *body, struct config_diag *d)
{
	char p[256];
	FILE *f;
	struct xvip_config *cfg;

	snprintf(p, sizeof(p), "%s/xvipd.conf", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "global_defs {\n%s}\n%s", global, body);
	fclose(f);
	cfg = config_load(p, d);
	if (!cfg)
		config_diag_print(d, stderr);
	assert_non_null(cfg);
	return cfg;
}

static bool said_v(const struct config_diag *d, enum config_severity sev, unsigned line,
		   const char *text, bool loud)
{
	for (size_t i = 0; i < d->count; i++)
		if (d->entries[i].severity == sev && (!line || d->entries[i].line == line) &&
		    strstr(d->entries[i].message, text))
			return true;
	if (loud) {
		fprintf(stderr, "not said: line %u: %s; the diagnostics:\n", line, text);
		config_diag_print(d, stderr);
	}
	return false;
}
#define SAID(d, sev, line, text) assert_true(said_v(d, sev, line, text, true))
#define NOT_SAID(d, sev, line, text) assert_false(said_v(d, sev, line, text, false))
/* where load_inst's script and notify_master lines land, after a
 * global_defs block of G lines */
#define SCRIPT_LINE(g) (4u + (g))
#define NOTIFY_LINE(g) (17u + (g))

static const char *INSTANCE =
	"vrrp_script chk {\n"
	"    script \"%s/ok.sh --flag 'a b'\"\n"
	"    %s\n"
	"}\n"
	"vrrp_instance VI_1 {\n"
	"    interface eth0\n"
	"    virtual_router_id 51\n"
	"    priority 100\n"
	"    virtual_ipaddress {\n"
	"        10.0.0.100\n"
	"    }\n"
	"    track_script {\n"
	"        chk\n"
	"    }\n"
	"    notify_master %s\n"
	"}\n";

static struct xvip_config *load_inst(const char *global, const char *script_user_line,
				     const char *notify, struct config_diag *d)
{
	char body[2048];

	snprintf(body, sizeof(body), INSTANCE, dir, script_user_line, notify);
	return load(global, body, d);
}

/* Rule: no script_user and no keepalived_script user: root, said once,
 * with keepalived's "security not enabled" warning. */
static void test_default_root_with_warning(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	char notify[300];

	(void)state;
	mkfile("ok.sh", 0755, 0, 0);
	snprintf(notify, sizeof(notify), "%s/ok.sh", dir);
	fake_users = (const struct fake_user[]){ { NULL, 0, 0 } };
	cfg = load_inst("", "", notify, &d);
	assert_int_equal(scripts_prepare(cfg, &FAKE, "/bin", &d), 0);
	assert_non_null(cfg->scripts[0].script.run);
	assert_false(cfg->scripts[0].script.run->as_user);
	assert_string_equal(cfg->scripts[0].script.run->user, "root");
	/* the config's split is what runs */
	assert_string_equal(cfg->scripts[0].script.run->argv[2], "a b");
	SAID(&d, CONFIG_WARNING, 0, "no user 'keepalived_script' on this host: scripts run as root");
	SAID(&d, CONFIG_WARNING, 0, "enable_script_security is not set");
	assert_int_equal(d.errors, 0);
	config_free(cfg);
	config_diag_free(&d);
}

/* Rule: keepalived_script when it exists; script_user over it; a script's
 * own user over both (with its group, and the user's groups). */
static void test_user_precedence(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	char notify[300];
	const struct script_cmd *r;

	(void)state;
	mkfile("ok.sh", 0755, 0, 0);
	snprintf(notify, sizeof(notify), "%s/ok.sh", dir);
	fake_users = (const struct fake_user[]){ { "keepalived_script", 990, 990 },
						 { "ops", 1001, 1001 },
						 { "chk", 1002, 1002 },
						 { NULL, 0, 0 } };
	cfg = load_inst("", "", notify, &d);
	assert_int_equal(scripts_prepare(cfg, &FAKE, "/bin", &d), 0);
	r = cfg->instances[0].notify_master->run;
	assert_true(r->as_user);
	assert_int_equal(r->uid, 990);
	assert_string_equal(r->user, "keepalived_script");
	assert_int_equal(r->n_groups, 2);
	NOT_SAID(&d, CONFIG_WARNING, 0, "run as root");
	config_free(cfg);
	config_diag_free(&d);

	d = (struct config_diag)CONFIG_DIAG_INIT;
	cfg = load_inst("    script_user ops\n", "user chk xgroup", notify, &d);
	assert_int_equal(scripts_prepare(cfg, &FAKE, "/bin", &d), 0);
	assert_int_equal(cfg->instances[0].notify_master->run->uid, 1001);
	r = cfg->scripts[0].script.run;
	assert_int_equal(r->uid, 1002);
	assert_int_equal(r->gid, 4242);
	assert_string_equal(r->user, "chk:xgroup");
	config_free(cfg);
	config_diag_free(&d);
}

/* Rule: a user or group that does not exist disables the script, with the
 * file:line of the script: an error for a vrrp_script (xvipd -t fails, as
 * keepalived -t does), a warning for the others. */
static void test_unknown_user_disables(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	char notify[300];

	(void)state;
	mkfile("ok.sh", 0755, 0, 0);
	snprintf(notify, sizeof(notify), "%s/ok.sh", dir);
	fake_users = (const struct fake_user[]){ { NULL, 0, 0 } };
	cfg = load_inst("    script_user ghost\n", "user nobody-here", notify, &d);
	assert_int_equal(scripts_prepare(cfg, &FAKE, "/bin", &d), 2);
	assert_null(cfg->scripts[0].script.run);
	assert_null(cfg->instances[0].notify_master->run);
	SAID(&d, CONFIG_ERROR, SCRIPT_LINE(1), "vrrp_script chk disabled: user 'nobody-here' does not exist");
	SAID(&d, CONFIG_WARNING, 0, "global_defs script_user: user 'ghost' does not exist");
	SAID(&d, CONFIG_WARNING, NOTIFY_LINE(1), "(VI_1) notify_master disabled: script_user ghost does not exist");
	config_free(cfg);
	config_diag_free(&d);
}

/* Rule: enable_script_security disables a root script someone else could
 * modify; without it, it runs and the load warns. */
static void test_security_disables_insecure(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	char notify[300];

	(void)state;
	mkfile("ok.sh", 0755, 0, 0);
	mkfile("bad.sh", 0757, 0, 0);
	snprintf(notify, sizeof(notify), "%s/bad.sh", dir);
	fake_users = (const struct fake_user[]){ { NULL, 0, 0 } };
	cfg = load_inst("    enable_script_security\n", "", notify, &d);
	assert_int_equal(scripts_prepare(cfg, &FAKE, "/bin", &d), 1);
	assert_non_null(cfg->scripts[0].script.run);
	assert_null(cfg->instances[0].notify_master->run);
	SAID(&d, CONFIG_WARNING, NOTIFY_LINE(1), "(VI_1) notify_master disabled:");
	SAID(&d, CONFIG_WARNING, NOTIFY_LINE(1), "bad.sh can be modified by a user other than root");
	config_free(cfg);
	config_diag_free(&d);

	d = (struct config_diag)CONFIG_DIAG_INIT;
	cfg = load_inst("", "", notify, &d);
	assert_int_equal(scripts_prepare(cfg, &FAKE, "/bin", &d), 0);
	assert_non_null(cfg->instances[0].notify_master->run);
	SAID(&d, CONFIG_WARNING, NOTIFY_LINE(0), "runs as root and is not safe");
	SAID(&d, CONFIG_WARNING, 0, "some are not safe");
	config_free(cfg);
	config_diag_free(&d);
}

/* Rule: a bare name is looked up once, at load, in PATH; a relative path
 * with a '/' and a name PATH lacks are disabled. */
static void test_bare_names_and_relative_paths(void **state)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	char path_list[128];

	(void)state;
	mkfile("ok.sh", 0755, 0, 0);
	mkfile("found-here", 0755, 0, 0);
	snprintf(path_list, sizeof(path_list), "/nonexistent:%s", dir);
	fake_users = (const struct fake_user[]){ { NULL, 0, 0 } };
	cfg = load_inst("", "", "found-here", &d);
	assert_int_equal(scripts_prepare(cfg, &FAKE, path_list, &d), 0);
	assert_non_null(cfg->instances[0].notify_master->run);
	assert_non_null(strstr(cfg->instances[0].notify_master->run->path, "/found-here"));
	assert_int_equal(cfg->instances[0].notify_master->run->path[0], '/');
	config_free(cfg);
	config_diag_free(&d);

	d = (struct config_diag)CONFIG_DIAG_INIT;
	cfg = load_inst("", "", "not-anywhere", &d);
	assert_int_equal(scripts_prepare(cfg, &FAKE, path_list, &d), 1);
	SAID(&d, CONFIG_WARNING, NOTIFY_LINE(0), "not-anywhere: not found in PATH");
	config_free(cfg);
	config_diag_free(&d);

	d = (struct config_diag)CONFIG_DIAG_INIT;
	cfg = load_inst("", "", "./here.sh", &d);
	assert_int_equal(scripts_prepare(cfg, &FAKE, path_list, &d), 1);
	SAID(&d, CONFIG_WARNING, NOTIFY_LINE(0), "a relative path");
	config_free(cfg);
	config_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_root_needs_a_safe_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_target_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_not_executable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_root_with_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_user_disables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_security_disables_insecure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bare_names_and_relative_paths, setup, teardown),
	};

	if (geteuid() != 0) {
		printf("# skipped: test_script_sec needs root (it sets files' owners)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
