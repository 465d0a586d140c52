/* Who runs a script, and whether it may run at all: keepalived's rules.
 *
 *  - The user: a script's own `user USER [GROUP]` (vrrp_script, MISC_CHECK),
 *    else global_defs' `script_user`, else `keepalived_script` when that
 *    user exists, else root (with a warning). A user or group that does not
 *    exist is an error.
 *  - The program: an absolute path, or a bare name looked up in PATH when
 *    the configuration is loaded (what runs is the path found then; nothing
 *    is looked up when it runs). A relative path with a '/' is refused (the
 *    daemon's working directory is /).
 *  - It must exist and be executable by its user; otherwise it is disabled.
 *  - A script that runs as root (uid or gid 0) must not be modifiable by
 *    anyone else: every directory on its path, and the file, owned by root
 *    and writable neither by a non-root group nor by others (a directory
 *    with the sticky bit, like /tmp, may be), for the path as written and
 *    for the file it resolves to. With `enable_script_security` an insecure
 *    script is disabled; without, it runs and the load warns.
 *
 * A disabled script does not run: a vrrp_script is then tracked by no
 * instance, a MISC_CHECK no longer counts for its real server, a notify
 * script is not called (keepalived's behaviour). Each is reported at load
 * with its file:line: a vrrp_script as an error (so `xvipd -t` exits 1, as
 * keepalived -t does), the others as warnings; the daemon starts all the
 * same. */
#ifndef XVIP_SCRIPT_SEC_H
#define XVIP_SCRIPT_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* Looks users and groups up (getpwnam_r and friends; tests pass their own). */
struct script_users {
	/* 0 and *uid, *gid (primary group), or -ENOENT */
	int (*user)(void *ctx, const char *name, uid_t *uid, gid_t *gid);
	int (*group)(void *ctx, const char *name, gid_t *gid);
	/* the user's groups (its primary one included); returns the count, or
	 * -errno; at most max written */
	int (*groups)(void *ctx, const char *name, gid_t gid, gid_t *out, int max);
	void *ctx;
};
extern const struct script_users script_users_system;

/* The checks on one program path for a script run as uid:gid. */
enum script_verdict {
	SCRIPT_OK,
	SCRIPT_INSECURE,  /* runs as root, someone else could modify it */
	SCRIPT_NOT_FOUND, /* missing, or a path part cannot be searched */
	SCRIPT_NOT_EXEC,  /* not a regular file executable by uid:gid */
};
enum script_verdict script_path_check(const char *path, uid_t uid, gid_t gid, char *why,
				      size_t len);

/* A bare name searched in path_list (":"-separated); 0 and the absolute
 * path in out, or -ENOENT. */
int script_path_search(const char *name, const char *path_list, char *out, size_t len);

/* Prepares every script of cfg: fills each config_command's `run`, or
 * leaves it NULL and adds an error or warning (file:line) saying why; warnings for
 * insecure scripts run anyway, and for scripts that run as root for want of
 * a user. path_list: where bare names are looked up (NULL: $PATH, else
 * /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin). Returns
 * the number of disabled scripts; -ENOMEM when memory ran out. */
int scripts_prepare(struct xvip_config *cfg, const struct script_users *users,
		    const char *path_list, struct config_diag *diag);

#endif
