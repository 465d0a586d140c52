/* Who runs a script and whether it may run: see script_sec.h. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "script_sec.h"
#include "scripts.h"

#define DEFAULT_SCRIPT_USER "keepalived_script"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_GROUPS 256

/* ---- the system's users ------------------------------------------------ */

static int sys_user(void *ctx, const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	(void)ctx;
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

static int sys_group(void *ctx, const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[8192];

	(void)ctx;
	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	*gid = gr.gr_gid;
	return 0;
}

static int sys_groups(void *ctx, const char *name, gid_t gid, gid_t *out, int max)
{
	int n = max;

	(void)ctx;
	if (getgrouplist(name, gid, out, &n) < 0)
		return -E2BIG;
	return n;
}

const struct script_users script_users_system = { sys_user, sys_group, sys_groups, NULL };

/* ---- one path ----------------------------------------------------------- */

/* Could someone other than root change what this entry holds? A symbolic
 * link's own mode means nothing: only its owner counts. */
static bool unsafe_entry(const struct stat *st)
{
	if (st->st_uid != 0)
		return true;
	if (S_ISLNK(st->st_mode))
		return false;
	if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		return false; /* like /tmp: others cannot replace root's entries */
	return (st->st_gid != 0 && (st->st_mode & S_IWGRP)) || (st->st_mode & S_IWOTH);
}

static bool entry_secure(const char *part, char *why, size_t len)
{
	struct stat st;

	if (lstat(part, &st) < 0) {
		snprintf(why, len, "%s: %s", part, strerror(errno));
		return false;
	}
	if (unsafe_entry(&st)) {
		snprintf(why, len, "%s can be modified by a user other than root (owner uid %u, "
			 "group %u, mode %04o)", part, (unsigned)st.st_uid, (unsigned)st.st_gid,
			 (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

/* "/", then every prefix of an absolute path up to each '/', then the
 * path itself, as written (not resolved). */
static bool path_secure(const char *path, char *why, size_t len)
{
	char part[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(part)) {
		snprintf(why, len, "%.64s...: path too long", path);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = i ? i : 1;

		if (path[i] != '/')
			continue;
		memcpy(part, path, k);
		part[k] = 0;
		if (!entry_secure(part, why, len))
			return false;
	}
	return entry_secure(path, why, len);
}

static bool executable_by(const struct stat *st, uid_t uid, gid_t gid)
{
	if (!S_ISREG(st->st_mode))
		return false;
	if (uid == 0)
		return st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH);
	if (st->st_uid == uid)
		return st->st_mode & S_IXUSR;
	if (st->st_gid == gid)
		return st->st_mode & S_IXGRP;
	return st->st_mode & S_IXOTH;
}

enum script_verdict script_path_check(const char *path, uid_t uid, gid_t gid, char *why,
				      size_t len)
{
	char real[PATH_MAX];
	struct stat st;

	if (path[0] != '/') {
		snprintf(why, len, "%s: not an absolute path", path);
		return SCRIPT_NOT_FOUND;
	}
	if (stat(path, &st) < 0 || !realpath(path, real)) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return SCRIPT_NOT_FOUND;
	}
	if (!executable_by(&st, uid, gid)) {
		snprintf(why, len, "%s is %s by uid %u gid %u", path,
			 S_ISREG(st.st_mode) ? "not executable" : "not a regular file, not executable",
			 (unsigned)uid, (unsigned)gid);
		return SCRIPT_NOT_EXEC;
	}
	/* keepalived also protects set-user-ID root programs: who runs them
	 * does not matter */
	if (uid == 0 || gid == 0 || (st.st_uid == 0 && (st.st_mode & S_ISUID)) ||
	    (st.st_gid == 0 && (st.st_mode & S_ISGID))) {
		if (!path_secure(path, why, len))
			return SCRIPT_INSECURE;
		if (strcmp(real, path) && !path_secure(real, why, len))
			return SCRIPT_INSECURE;
	}
	return SCRIPT_OK;
}

int script_path_search(const char *name, const char *path_list, char *out, size_t len)
{
	const char *p = path_list;

	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		struct stat st;

		if (n && p[0] == '/' && (size_t)snprintf(out, len, "%.*s/%s", (int)n, p, name) < len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
		p = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/* ---- the whole configuration -------------------------------------------- */

struct prep {
	const struct script_users *users;
	const char *path_list;
	struct config_diag *diag;
	const struct config_global *g;
	const char *main_file;
	int disabled;
	bool oom;
	bool root_warned;     /* "runs as root": said once */
	bool insecure_seen;
	bool default_tried;   /* keepalived_script looked up */
	bool default_found;
	bool global_bad;      /* script_user does not exist: said once */
};

struct who {
	bool as_user;
	uid_t uid;
	gid_t gid;
	gid_t groups[MAX_GROUPS];
	size_t n_groups;
	char name[128];
};

static bool resolve_user(struct prep *p, const char *user, const char *group, struct who *w,
			 char *why, size_t len)
{
	int n;

	memset(w, 0, sizeof(*w));
	if (p->users->user(p->users->ctx, user, &w->uid, &w->gid) < 0) {
		snprintf(why, len, "user '%s' does not exist", user);
		return false;
	}
	if (group && p->users->group(p->users->ctx, group, &w->gid) < 0) {
		snprintf(why, len, "group '%s' does not exist", group);
		return false;
	}
	n = p->users->groups(p->users->ctx, user, w->gid, w->groups, MAX_GROUPS);
	if (n < 0) {
		snprintf(why, len, "user '%s' is in more than %d groups", user, MAX_GROUPS);
		return false;
	}
	w->n_groups = (size_t)n;
	w->as_user = w->uid != 0 || w->gid != 0;
	snprintf(w->name, sizeof(w->name), "%s%s%s", user, group ? ":" : "", group ? group : "");
	return true;
}

/* The user a script runs as: its own, script_user, keepalived_script, root. */
static bool script_who(struct prep *p, const char *user, const char *group, struct who *w,
		       char *why, size_t len)
{
	if (user)
		return resolve_user(p, user, group, w, why, len);
	if (p->g->script_user) {
		if (resolve_user(p, p->g->script_user, p->g->script_group, w, why, len))
			return true;
		if (!p->global_bad)
			config_diag_add(p->diag, CONFIG_WARNING, p->main_file, 0,
					"global_defs script_user: %s: scripts without a user of their own "
					"are disabled", why);
		p->global_bad = true;
		snprintf(why, len, "script_user %s does not exist", p->g->script_user);
		return false;
	}
	if (!p->default_tried) {
		uid_t uid;
		gid_t gid;

		p->default_tried = true;
		p->default_found = p->users->user(p->users->ctx, DEFAULT_SCRIPT_USER, &uid, &gid) == 0;
	}
	if (p->default_found)
		return resolve_user(p, DEFAULT_SCRIPT_USER, NULL, w, why, len);
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "root");
	if (!p->root_warned)
		config_diag_add(p->diag, CONFIG_WARNING, p->main_file, 0,
				"no script_user in global_defs and no user '%s' on this host: "
				"scripts run as root", DEFAULT_SCRIPT_USER);
	p->root_warned = true;
	return true;
}

/* fatal: disabling it is an error (a vrrp_script, as in keepalived), else
 * a warning (notify scripts, MISC_CHECK) */
static void prepare_one(struct prep *p, struct config_command *c, const char *what,
			const char *user, const char *group, bool fatal)
{
	char why[PATH_MAX + 256], found[PATH_MAX];
	const char *path = c->argv ? c->argv[0] : NULL;
	enum script_verdict v;
	struct who w;

	if (!c || !path || p->oom)
		return;
	script_cmd_free(c->run);
	c->run = NULL;
	if (!script_who(p, user, group, &w, why, sizeof(why)))
		goto disabled;
	if (!strchr(path, '/')) {
		if (script_path_search(path, p->path_list, found, sizeof(found)) < 0) {
			snprintf(why, sizeof(why), "%s: not found in PATH (%s)", path, p->path_list);
			goto disabled;
		}
		path = found;
	} else if (path[0] != '/') {
		snprintf(why, sizeof(why), "%s: a relative path (xvipd runs from /): give it in full",
			 path);
		goto disabled;
	}
	v = script_path_check(path, w.uid, w.gid, why, sizeof(why));
	if (v == SCRIPT_INSECURE) {
		p->insecure_seen = true;
		if (p->g->enable_script_security)
			goto disabled;
		config_diag_add(p->diag, CONFIG_WARNING, c->where.file, c->where.line,
				"%s runs as root and is not safe: %s (with enable_script_security "
				"it would be disabled)", what, why);
	} else if (v != SCRIPT_OK) {
		goto disabled;
	}
	c->run = script_cmd_new(c->argv, c->argc, path, c->text, w.as_user, w.uid, w.gid,
				w.groups, w.n_groups, w.name);
	if (!c->run)
		p->oom = true;
	return;
disabled:
	p->disabled++;
	config_diag_add(p->diag, fatal ? CONFIG_ERROR : CONFIG_WARNING, c->where.file, c->where.line,
			"%s disabled: %s", what, why);
}

int scripts_prepare(struct xvip_config *cfg, const struct script_users *users,
		    const char *path_list, struct config_diag *diag)
{
	struct prep p = {
		.users = users ? users : &script_users_system,
		.path_list = path_list ? path_list : getenv("PATH") ? getenv("PATH") : DEFAULT_PATH,
		.diag = diag,
		.g = &cfg->global,
		.main_file = cfg->n_files ? cfg->files[0] : "(config)",
	};
	char what[192];
	bool any = false;

	for (size_t i = 0; i < cfg->n_scripts; i++) {
		struct config_vrrp_script *s = &cfg->scripts[i];

		snprintf(what, sizeof(what), "vrrp_script %s", s->name);
		prepare_one(&p, &s->script, what, s->user, s->group, true);
		any = true;
	}
	for (size_t i = 0; i < cfg->n_instances; i++) {
		struct config_vrrp_instance *in = &cfg->instances[i];
		struct {
			struct config_command *c;
			const char *kw;
		} n[] = {
			{ in->notify_master, "notify_master" }, { in->notify_backup, "notify_backup" },
			{ in->notify_fault, "notify_fault" },   { in->notify_stop, "notify_stop" },
			{ in->notify, "notify" },
		};

		for (size_t k = 0; k < sizeof(n) / sizeof(n[0]); k++) {
			if (!n[k].c)
				continue;
			snprintf(what, sizeof(what), "(%s) %s", in->name, n[k].kw);
			prepare_one(&p, n[k].c, what, NULL, NULL, false);
			any = true;
		}
	}
	for (size_t i = 0; i < cfg->n_virtual_servers; i++) {
		struct config_virtual_server *vs = &cfg->virtual_servers[i];

		if (vs->notify_writer) {
			snprintf(what, sizeof(what), "virtual_server notify_writer");
			prepare_one(&p, vs->notify_writer, what, NULL, NULL, false);
			any = true;
		}
		for (size_t r = 0; r < vs->n_real_servers; r++) {
			struct config_real_server *rs = &vs->real_servers[r];

			if (rs->notify_up) {
				prepare_one(&p, rs->notify_up, "real_server notify_up", NULL, NULL,
					    false);
				any = true;
			}
			if (rs->notify_down) {
				prepare_one(&p, rs->notify_down, "real_server notify_down", NULL,
					    NULL, false);
				any = true;
			}
			for (size_t k = 0; k < rs->n_checkers; k++) {
				struct config_checker *ck = &rs->checkers[k];

				if (ck->type != CONFIG_CHECK_MISC)
					continue;
				prepare_one(&p, &ck->u.misc.misc_path, "MISC_CHECK misc_path",
					    ck->u.misc.user, ck->u.misc.group, false);
				any = true;
			}
		}
	}
	if (any && !p.oom && !cfg->global.enable_script_security && p.root_warned)
		config_diag_add(diag, CONFIG_WARNING, p.main_file, 0,
				"scripts run as root and enable_script_security is not set%s",
				p.insecure_seen ? "; some are not safe (above)" : "");
	return p.oom ? -ENOMEM : p.disabled;
}
