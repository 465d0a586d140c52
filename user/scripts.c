#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "log.h"
#include "scripts.h"

struct job {
	struct job *next;
	struct loop *l;
	pid_t pid;
	int pidfd;
	uint64_t timer;
	bool timed_out;
	bool quiet;     /* detached by its owner: its end is not logged */
	script_done_cb done;
	void *arg;
	char *cmd; /* the script line, for messages */
};

extern char **environ;

static struct job *jobs;

/* ---- what to run ---- */

void script_cmd_free(struct script_cmd *c)
{
	if (!c)
		return;
	if (c->argv)
		for (char **p = c->argv; *p; p++)
			free(*p);
	free(c->argv);
	free(c->path);
	free(c->text);
	free(c->groups);
	free(c->user);
	free(c);
}

struct script_cmd *script_cmd_new(char *const *argv, size_t argc, const char *path,
				  const char *text, bool as_user, uid_t uid, gid_t gid,
				  const gid_t *groups, size_t n_groups, const char *user)
{
	struct script_cmd *c = calloc(1, sizeof(*c));
	bool fail = !c || !argc;

	if (fail)
		goto out;
	c->argv = calloc(argc + 1, sizeof(*c->argv));
	fail = !c->argv;
	for (size_t i = 0; !fail && i < argc; i++)
		fail = !(c->argv[i] = strdup(argv[i]));
	c->path = fail ? NULL : strdup(path ? path : argv[0]);
	c->text = c->path ? strdup(text ? text : argv[0]) : NULL;
	c->user = c->text ? strdup(user ? user : "root") : NULL;
	fail = !c->user;
	c->as_user = as_user;
	c->uid = uid;
	c->gid = gid;
	if (!fail && n_groups) {
		c->groups = calloc(n_groups, sizeof(*groups));
		fail = !c->groups;
		if (!fail)
			memcpy(c->groups, groups, n_groups * sizeof(*groups));
		c->n_groups = n_groups;
	}
out:
	if (fail) {
		script_cmd_free(c);
		return NULL;
	}
	return c;
}

struct script_cmd *script_cmd_dup(const struct script_cmd *c)
{
	size_t argc = 0;

	if (!c)
		return NULL;
	while (c->argv[argc])
		argc++;
	return script_cmd_new(c->argv, argc, c->path, c->text, c->as_user, c->uid, c->gid,
			      c->groups, c->n_groups, c->user);
}

/* ---- running ---- */

static void job_unlink(struct job *j)
{
	for (struct job **p = &jobs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			return;
		}
	}
}

static void job_free(struct job *j)
{
	if (j->timer)
		loop_cancel_timer(j->l, j->timer);
	if (j->pidfd >= 0) {
		loop_del_fd(j->l, j->pidfd);
		close(j->pidfd);
	}
	free(j->cmd);
	free(j);
}

static void kill_group(struct job *j)
{
	/* The group first (the script and whatever it started), then the
	 * leader itself through its pidfd in case it left the group. */
	kill(-j->pid, SIGKILL);
	syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL, NULL, 0);
}

static void on_exit_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct job *j = arg;
	siginfo_t si;
	int status, rc;

	(void)l;
	(void)events;
	memset(&si, 0, sizeof(si));
	do
		rc = waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG);
	while (rc < 0 && errno == EINTR);
	if (rc == 0 && si.si_pid == 0)
		return; /* not waitable yet */
	if (rc < 0) {
		xlog(LOG_ERR, "script '%s' (pid %d): waitid: %s", j->cmd, (int)j->pid,
		     strerror(errno));
		status = 255;
	} else if (si.si_code == CLD_EXITED) {
		status = si.si_status;
	} else {
		status = -si.si_status; /* CLD_KILLED, CLD_DUMPED */
	}
	job_unlink(j);
	if (j->done) {
		script_done_cb done = j->done;
		void *darg = j->arg;
		bool to = j->timed_out;

		job_free(j);
		done(darg, status, to);
		return;
	}
	if (j->quiet)
		; /* its owner went away */
	else if (j->timed_out)
		xlog(LOG_WARNING, "script '%s' (pid %d) timed out and was killed", j->cmd,
		     (int)j->pid);
	else if (status > 0)
		xlog(LOG_WARNING, "script '%s' (pid %d) exited with status %d", j->cmd,
		     (int)j->pid, status);
	else if (status < 0)
		xlog(LOG_WARNING, "script '%s' (pid %d) killed by signal %d", j->cmd, (int)j->pid,
		     -status);
	job_free(j);
}

static void on_timeout(struct loop *l, uint64_t id, void *arg)
{
	struct job *j = arg;

	(void)l;
	(void)id;
	j->timer = 0;
	j->timed_out = true;
	kill_group(j);
	/* Reaped when the pidfd turns readable: a SIGKILLed process can still
	 * take a moment (or hang in the kernel); the loop must not wait. */
}

/* In the child of vfork(), before execve: async-signal-safe calls only,
 * and raw system calls for the credentials (glibc's setuid() would signal
 * the parent's other threads, whose memory this child shares). */
static void __attribute__((noreturn)) child_exec(const struct script_cmd *cmd, char **argv)
{
	struct sigaction sa;
	sigset_t none;
	const char *what = "exec";
	int fd, e;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL); /* SIG_IGN would survive exec */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDONLY);
	if (fd > 0) {
		dup2(fd, 0);
		close(fd);
	}
	if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (int i = 3; i < (max > 0 ? max : 65536); i++)
			close(i);
	}
	if (cmd->as_user) {
		if (syscall(SYS_setgroups, cmd->n_groups, cmd->groups) < 0)
			what = "setgroups";
		else if (syscall(SYS_setresgid, cmd->gid, cmd->gid, cmd->gid) < 0)
			what = "setresgid";
		else if (syscall(SYS_setresuid, cmd->uid, cmd->uid, cmd->uid) < 0)
			what = "setresuid";
		if (strcmp(what, "exec"))
			goto fail;
	}
	execve(cmd->path, argv, environ);
fail:
	e = errno;
	if (write(2, "xvipd: cannot ", 14) < 0 || write(2, what, strlen(what)) < 0 ||
	    write(2, " for script ", 12) < 0 || write(2, cmd->path, strlen(cmd->path)) < 0 ||
	    write(2, ": ", 2) < 0 || write(2, strerror(e), strlen(strerror(e))) < 0 ||
	    write(2, "\n", 1) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

/* A script that runs as another user: vfork (no copy of the daemon's page
 * tables) and the child's own set-up. */
static pid_t spawn_as_user(const struct script_cmd *cmd, char **argv)
{
	pid_t pid = vfork();

	if (pid == 0)
		child_exec(cmd, argv);
	return pid < 0 ? -errno : pid;
}

/* As root: posix_spawn (vfork semantics: no copy of the daemon's page
 * tables, which costs tens of ms in a big or sanitized process, while the
 * VRRP adverts wait). Same child set-up as child_exec(). Returns the pid,
 * or -errno when the spawn failed (then the caller falls back to
 * child_exec, which reports an exec failure as status 127, like a shell). */
static pid_t spawn_fast(const char *path, char **argv)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid;
	int rc;

	if (posix_spawnattr_init(&at))
		return -ENOMEM;
	if (posix_spawn_file_actions_init(&fa)) {
		posix_spawnattr_destroy(&at);
		return -ENOMEM;
	}
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETSIGDEF);
	rc = rc ?: posix_spawnattr_setpgroup(&at, 0);
	rc = rc ?: posix_spawnattr_setsigmask(&at, &none);
	rc = rc ?: posix_spawnattr_setsigdefault(&at, &all);
	rc = rc ?: posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc = rc ?: posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	rc = rc ?: posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc ? -rc : pid;
}

int script_run(struct loop *l, const struct script_cmd *cmd, const char *const *extra_args,
	       uint64_t timeout_us, script_done_cb done, void *arg, pid_t *pid_out, char *err,
	       size_t errlen)
{
	char **argv = NULL;
	struct job *j = NULL;
	int nwords = 0, nextra = 0, rc;
	pid_t pid;

	if (!cmd || !cmd->argv || !cmd->argv[0] || !cmd->path) {
		snprintf(err, errlen, "script: nothing to run");
		return -EINVAL;
	}
	while (cmd->argv[nwords])
		nwords++;
	while (extra_args && extra_args[nextra])
		nextra++;
	argv = calloc((size_t)(nwords + nextra + 1), sizeof(*argv));
	j = calloc(1, sizeof(*j));
	if (!argv || !j || !(j->cmd = strdup(cmd->text))) {
		snprintf(err, errlen, "script '%s': out of memory", cmd->text);
		rc = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < nwords; i++)
		argv[i] = cmd->argv[i];
	for (int i = 0; i < nextra; i++)
		argv[nwords + i] = (char *)extra_args[i];
	j->l = l;
	j->pidfd = -1;
	j->done = done;
	j->arg = arg;

	fflush(stdout);
	fflush(stderr);
	pid = cmd->as_user ? spawn_as_user(cmd, argv) : spawn_fast(cmd->path, argv);
	if (pid < 0 && !cmd->as_user)
		pid = spawn_as_user(cmd, argv); /* its child reports why, and exits 127 */
	if (pid < 0) {
		rc = (int)pid;
		snprintf(err, errlen, "script '%s': vfork: %s", cmd->text, strerror(-rc));
		goto fail;
	}
	setpgid(pid, pid); /* also in the parent, so that a timeout finds the group */
	j->pid = pid;
	j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (j->pidfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "script '%s': pidfd_open(%d): %s", cmd->text, (int)pid,
			 strerror(-rc));
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto fail;
	}
	rc = loop_add_fd(l, j->pidfd, EPOLLIN, on_exit_fd, j);
	if (rc < 0) {
		snprintf(err, errlen, "script '%s': watch pidfd: %s", cmd->text, strerror(-rc));
		kill_group(j);
		waitid(P_PIDFD, (id_t)j->pidfd, &(siginfo_t){ 0 }, WEXITED);
		close(j->pidfd);
		j->pidfd = -1;
		goto fail;
	}
	if (timeout_us) {
		j->timer = loop_add_timer(l, now_us() + timeout_us, on_timeout, j);
		if (!j->timer) {
			snprintf(err, errlen, "script '%s': cannot arm its timeout", cmd->text);
			kill_group(j);
			waitid(P_PIDFD, (id_t)j->pidfd, &(siginfo_t){ 0 }, WEXITED);
			rc = -ENOMEM;
			goto fail;
		}
	}
	j->next = jobs;
	jobs = j;
	if (pid_out)
		*pid_out = pid;
	free(argv);
	return 0;
fail:
	if (j)
		job_free(j);
	free(argv);
	return rc;
}

int script_notify(struct loop *l, const struct script_cmd *cmd, const char *const *extra_args,
		  char *err, size_t errlen)
{
	return script_run(l, cmd, extra_args, SCRIPT_NOTIFY_TIMEOUT_US, NULL, NULL, NULL, err,
			  errlen);
}

int scripts_running(void)
{
	int n = 0;

	for (struct job *j = jobs; j; j = j->next)
		n++;
	return n;
}

static void reap_killed(struct job *j)
{
	siginfo_t si;

	kill_group(j);
	while (waitid(P_PIDFD, (id_t)j->pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	job_unlink(j);
	job_free(j);
}

int scripts_finish(uint64_t wait_us)
{
	uint64_t end = now_us() + wait_us;
	int killed = 0;

	/* the checks' results no longer matter */
	for (struct job *j = jobs, *next; j; j = next) {
		next = j->next;
		if (j->done)
			reap_killed(j);
	}
	/* the notify scripts (notify_stop) may finish */
	while (jobs) {
		struct pollfd pfd[64];
		struct job *by[64];
		nfds_t n = 0;
		uint64_t now = now_us();
		int rc;

		if (now >= end)
			break;
		for (struct job *j = jobs; j && n < 64; j = j->next, n++) {
			pfd[n] = (struct pollfd){ .fd = j->pidfd, .events = POLLIN };
			by[n] = j;
		}
		rc = poll(pfd, n, (int)((end - now + 999) / 1000));
		if (rc < 0 && errno != EINTR)
			break;
		for (nfds_t i = 0; rc > 0 && i < n; i++)
			if (pfd[i].revents)
				on_exit_fd(by[i]->l, by[i]->pidfd, pfd[i].revents, by[i]);
	}
	while (jobs) {
		struct job *j = jobs;

		if (wait_us)
			xlog(LOG_WARNING, "script '%s' (pid %d) still runs %llu ms after the stop began: "
			     "killed", j->cmd, (int)j->pid, (unsigned long long)(wait_us / 1000));
		killed++;
		reap_killed(j);
	}
	return killed;
}

void script_detach(pid_t pid)
{
	for (struct job *j = jobs; j; j = j->next)
		if (j->pid == pid) {
			j->done = NULL;
			j->arg = NULL;
			j->quiet = true;
		}
}

void scripts_kill_all(void)
{
	scripts_finish(0);
}
