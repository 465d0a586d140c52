/* External programs (check scripts, notify scripts) run without blocking the
 * loop. A script line is split like a shell word list ("..." and '...'
 * quoting, backslash escapes) and exec'd directly, as keepalived does: no
 * sh -c, so no globbing, variables or redirections. A bare name is looked up
 * in PATH. The child runs in its own process group with stdin from
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

/* status: the exit status (0..255), or -signal if the script was killed
 * by a signal; 127 if the program could not be exec'd (missing, not
 * executable). timed_out: the timeout fired and the whole process group
 * was killed with SIGKILL (status is then -SIGKILL, or the exit status if
 * the script exited on its own at the same moment). */
typedef void (*script_done_cb)(void *arg, int status, bool timed_out);

/* Starts cmdline with extra_args (NULL-terminated, may be NULL) appended.
 * timeout_us: relative, 0 for none. done runs from the loop once the
 * script has been reaped; with done == NULL a non-zero exit or a timeout is
 * logged instead. *pid_out (may be NULL) gets the pid, which is also the
 * process group id. Returns 0 or -errno (bad script line, fork failure ...);
 * done is only ever called after a 0 return. */
int script_run(struct loop *l, const char *cmdline, const char *const *extra_args,
	       uint64_t timeout_us, script_done_cb done, void *arg, pid_t *pid_out, char *err,
	       size_t errlen);

#define SCRIPT_NOTIFY_TIMEOUT_US (30ull * 1000000)

/* Fire and forget (notify_master/backup/fault/stop, and `notify` with
 * extra_args "INSTANCE", name, state, priority): SCRIPT_NOTIFY_TIMEOUT_US,
 * non-zero exit or timeout logged. */
int script_notify(struct loop *l, const char *cmdline, const char *const *extra_args,
		  char *err, size_t errlen);

/* Splits a script line into a NULL-terminated argv (each word and the array
 * malloc'd; free with script_argv_free). Returns the number of words (>= 1)
 * or -EINVAL (empty line, unterminated quote), -ENOMEM. */
int script_split(const char *cmdline, char ***argv_out);
void script_argv_free(char **argv);

/* Scripts started and not reaped yet. */
int scripts_running(void);

/* Shutdown: SIGKILLs every running script's process group, reaps them and
 * forgets them without calling their done callbacks. */
void scripts_kill_all(void);

#endif
