/* External programs (check scripts, notify scripts) run without blocking the
 * loop. The config splits a script line once (keepalived's rules: blanks,
 * '...' and "..." grouping, no escapes; config_args.c) and the argv it
 * stored is what runs, exec'd directly as keepalived does: no sh -c, so no
 * globbing, variables or redirections; a bare name was looked up in PATH
 * when the config was loaded (script_sec.c). The child runs as the
 * script's user, in its own process group with stdin from
 * /dev/null, stdout/stderr inherited, default signal dispositions and an
 * empty signal mask, and no other file descriptor. Its exit is watched
 * through a pidfd in the loop.
 *
 * The daemon must not set SIGCHLD to SIG_IGN (children would be reaped
 * behind our back). */
#ifndef XVIP_SCRIPTS_H
#define XVIP_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"

/* What to run, decided once per configuration load (script_sec.c): the
 * argv the config split (config_args.c, the only splitter), the absolute
 * path execve() runs, and the user it runs as. */
struct script_cmd {
	char **argv;      /* NULL-terminated; argv[0] as configured */
	char *path;       /* absolute: what is exec'd */
	char *text;       /* the configured line, for messages */
	bool as_user;     /* drop to uid/gid and the user's groups */
	uid_t uid;
	gid_t gid;
	gid_t *groups;    /* supplementary groups (as_user) */
	size_t n_groups;
	char *user;       /* "name:group" for messages ("root" when !as_user) */
};

/* A copy of argv[0..argc) with path, text and credentials (groups copied;
 * user may be NULL for "root"). NULL when out of memory. */
struct script_cmd *script_cmd_new(char *const *argv, size_t argc, const char *path,
				  const char *text, bool as_user, uid_t uid, gid_t gid,
				  const gid_t *groups, size_t n_groups, const char *user);
struct script_cmd *script_cmd_dup(const struct script_cmd *c);
void script_cmd_free(struct script_cmd *c);

/* status: the exit status (0..255), or -signal if the script was killed
 * by a signal; 127 if the program could not be exec'd (missing, not
 * executable). timed_out: the timeout fired and the whole process group
 * was killed with SIGKILL (status is then -SIGKILL, or the exit status if
 * the script exited on its own at the same moment). */
typedef void (*script_done_cb)(void *arg, int status, bool timed_out);

/* Starts cmd with extra_args (NULL-terminated, may be NULL) appended, as
 * cmd's user (setgroups, setgid, setuid in the child, before execve of
 * cmd->path: no PATH lookup, no shell). timeout_us: relative, 0 for none.
 * done runs from the loop once the script has been reaped; with done ==
 * NULL a non-zero exit or a timeout is logged instead. *pid_out (may be
 * NULL) gets the pid, which is also the process group id. Returns 0 or
 * -errno (fork failure ...); done is only ever called after a 0 return. */
int script_run(struct loop *l, const struct script_cmd *cmd, const char *const *extra_args,
	       uint64_t timeout_us, script_done_cb done, void *arg, pid_t *pid_out, char *err,
	       size_t errlen);

#define SCRIPT_NOTIFY_TIMEOUT_US (30ull * 1000000)
/* At shutdown, how long notify scripts (notify_stop among them) may take. */
#define SCRIPT_STOP_WAIT_US (5ull * 1000000)

/* Fire and forget (notify_master/backup/fault/stop, and `notify` with
 * extra_args "INSTANCE", name, state, priority): SCRIPT_NOTIFY_TIMEOUT_US,
 * non-zero exit or timeout logged. */
int script_notify(struct loop *l, const struct script_cmd *cmd, const char *const *extra_args,
		  char *err, size_t errlen);

/* The owner of a running script goes away (a check freed): its done
 * callback is forgotten (never called), its end not logged; it is still
 * reaped. */
void script_detach(pid_t pid);

/* Scripts started and not reaped yet. */
int scripts_running(void);

/* Shutdown: check scripts (those with a done callback) are killed at once,
 * their callbacks not called; notify scripts get up to wait_us to end on
 * their own (their exit logged as usual), then their process groups are
 * killed too, each named in a warning. Returns how many notify scripts had
 * to be killed. */
int scripts_finish(uint64_t wait_us);

/* scripts_finish(0): everything killed at once. */
void scripts_kill_all(void);

#endif
