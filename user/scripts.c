#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
	script_done_cb done;
	void *arg;
	char *cmd; /* the script line, for messages */
};

extern char **environ;

static struct job *jobs;

/* ---- splitting ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void script_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

static int push_word(char ***argv, int *argc, int *cap, const char *w, size_t n)
{
	char *copy;

	if (*argc + 2 > *cap) {
		int ncap = *cap ? *cap * 2 : 8;
		char **nv = realloc(*argv, (size_t)ncap * sizeof(**argv));

		if (!nv)
			return -ENOMEM;
		*argv = nv;
		*cap = ncap;
	}
	copy = strndup(w, n);
	if (!copy)
		return -ENOMEM;
	(*argv)[(*argc)++] = copy;
	(*argv)[*argc] = NULL;
	return 0;
}

/* POSIX shell word splitting without expansions: blanks separate words;
 * '...' is literal; in "..." a backslash escapes only " \ $ ` and newline;
 * outside quotes a backslash escapes any character; quoted pieces join the
 * word around them ("a"'b'c is abc, "" is an empty word). */
int script_split(const char *cmdline, char ***argv_out)
{
	char **argv = NULL, *buf;
	int argc = 0, cap = 0, rc = 0;
	const char *p = cmdline;
	size_t n = 0;
	bool in_word = false;

	*argv_out = NULL;
	if (!cmdline)
		return -EINVAL;
	buf = malloc(strlen(cmdline) + 1);
	if (!buf)
		return -ENOMEM;
	while (*p) {
		char c = *p;

		if (is_blank(c)) {
			if (in_word) {
				rc = push_word(&argv, &argc, &cap, buf, n);
				if (rc)
					goto fail;
				in_word = false;
				n = 0;
			}
			p++;
		} else if (c == '\'') {
			const char *end = strchr(p + 1, '\'');

			if (!end) {
				rc = -EINVAL;
				goto fail;
			}
			memcpy(buf + n, p + 1, (size_t)(end - p - 1));
			n += (size_t)(end - p - 1);
			in_word = true;
			p = end + 1;
		} else if (c == '"') {
			p++;
			for (;;) {
				if (!*p) {
					rc = -EINVAL;
					goto fail;
				}
				if (*p == '"')
					break;
				if (*p == '\\' && p[1] && strchr("\"\\$`\n", p[1])) {
					if (p[1] != '\n')
						buf[n++] = p[1];
					p += 2;
					continue;
				}
				buf[n++] = *p++;
			}
			in_word = true;
			p++;
		} else if (c == '\\') {
			if (!p[1]) { /* a trailing backslash stays literal */
				buf[n++] = '\\';
				in_word = true;
				p++;
			} else if (p[1] == '\n') { /* line continuation */
				p += 2;
			} else {
				buf[n++] = p[1];
				in_word = true;
				p += 2;
			}
		} else {
			buf[n++] = c;
			in_word = true;
			p++;
		}
	}
	if (in_word) {
		rc = push_word(&argv, &argc, &cap, buf, n);
		if (rc)
			goto fail;
	}
	free(buf);
	if (argc == 0)
		return -EINVAL;
	*argv_out = argv;
	return argc;
fail:
	free(buf);
	script_argv_free(argv);
	return rc;
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
	if (j->timed_out)
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

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn)) child_exec(char **argv)
{
	struct sigaction sa;
	sigset_t none;
	char msg[512];
	int fd, e, n;

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
	execvp(argv[0], argv);
	e = errno;
	n = snprintf(msg, sizeof(msg), "xvipd: cannot exec script '%s': %s\n", argv[0],
		     strerror(e));
	if (n > 0 && write(2, msg, (size_t)n) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

/* The usual way: posix_spawn (vfork semantics: no copy of the daemon's
 * page tables, which costs tens of ms in a big or sanitized process, while
 * the VRRP adverts wait). Same child set-up as child_exec(). Returns the
 * pid, or -errno when the spawn failed (then the caller falls back to fork,
 * whose child reports an exec failure as status 127, like a shell). */
static pid_t spawn_fast(char **argv)
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
	rc = rc ?: posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc ? -rc : pid;
}

int script_run(struct loop *l, const char *cmdline, const char *const *extra_args,
	       uint64_t timeout_us, script_done_cb done, void *arg, pid_t *pid_out, char *err,
	       size_t errlen)
{
	char **words = NULL, **argv = NULL;
	struct job *j = NULL;
	int nwords, nextra = 0, rc;
	pid_t pid;

	nwords = script_split(cmdline, &words);
	if (nwords < 0) {
		snprintf(err, errlen, "script '%s': %s", cmdline ? cmdline : "(null)",
			 nwords == -ENOMEM ? "out of memory" : "empty or unterminated quote");
		return nwords;
	}
	while (extra_args && extra_args[nextra])
		nextra++;
	argv = calloc((size_t)(nwords + nextra + 1), sizeof(*argv));
	j = calloc(1, sizeof(*j));
	if (!argv || !j || !(j->cmd = strdup(cmdline))) {
		snprintf(err, errlen, "script '%s': out of memory", cmdline);
		rc = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < nwords; i++)
		argv[i] = words[i];
	for (int i = 0; i < nextra; i++)
		argv[nwords + i] = (char *)extra_args[i];
	j->l = l;
	j->pidfd = -1;
	j->done = done;
	j->arg = arg;

	fflush(stdout);
	fflush(stderr);
	pid = spawn_fast(argv);
	if (pid < 0)
		pid = fork(); /* e.g. the program cannot be exec'd: the child says 127 */
	if (pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "script '%s': fork: %s", cmdline, strerror(-rc));
		goto fail;
	}
	if (pid == 0)
		child_exec(argv);
	setpgid(pid, pid); /* also in the parent, so that a timeout finds the group */
	j->pid = pid;
	j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (j->pidfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "script '%s': pidfd_open(%d): %s", cmdline, (int)pid,
			 strerror(-rc));
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto fail;
	}
	rc = loop_add_fd(l, j->pidfd, EPOLLIN, on_exit_fd, j);
	if (rc < 0) {
		snprintf(err, errlen, "script '%s': watch pidfd: %s", cmdline, strerror(-rc));
		kill_group(j);
		waitid(P_PIDFD, (id_t)j->pidfd, &(siginfo_t){ 0 }, WEXITED);
		close(j->pidfd);
		j->pidfd = -1;
		goto fail;
	}
	if (timeout_us) {
		j->timer = loop_add_timer(l, now_us() + timeout_us, on_timeout, j);
		if (!j->timer) {
			snprintf(err, errlen, "script '%s': cannot arm its timeout", cmdline);
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
	script_argv_free(words);
	return 0;
fail:
	if (j)
		job_free(j);
	free(argv);
	script_argv_free(words);
	return rc;
}

int script_notify(struct loop *l, const char *cmdline, const char *const *extra_args,
		  char *err, size_t errlen)
{
	return script_run(l, cmdline, extra_args, SCRIPT_NOTIFY_TIMEOUT_US, NULL, NULL, NULL, err,
			  errlen);
}

int scripts_running(void)
{
	int n = 0;

	for (struct job *j = jobs; j; j = j->next)
		n++;
	return n;
}

void scripts_kill_all(void)
{
	while (jobs) {
		struct job *j = jobs;
		siginfo_t si;

		jobs = j->next;
		kill_group(j);
		while (waitid(P_PIDFD, (id_t)j->pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
		job_free(j);
	}
}
