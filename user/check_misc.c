/* MISC_CHECK: runs misc_path through script_run() every delay_loop with
 * misc_timeout. Exit 0 is good, anything else bad; a timeout (the script's
 * process group is SIGKILLed) is bad. With misc_dynamic an exit status of
 * 2..255 is good with weight status - 2 (keepalived), except 127, which is
 * what script_run reports when the program cannot be exec'd: a missing
 * script must not pass for "up, weight 125". */
#define XVIP_CHECK_INTERNAL
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "check.h"
#include "log.h"
#include "scripts.h"

/* One run, freed by its done callback, or by check_misc_fini when the check
 * goes first (the script is killed and detached: its callback never comes,
 * also when a shutdown already killed it without one). */
struct misc_run {
	struct check *c;
	pid_t pid;
};

struct misc_state {
	struct misc_run *run; /* the running script, NULL if none */
};

int check_misc_init(struct check *c)
{
	struct misc_state *m = calloc(1, sizeof(*m));

	if (!m) {
		xlog(LOG_ERR, "%s: out of memory", c->name);
		return -ENOMEM;
	}
	if (!c->cfg.misc.cmd || !*c->cfg.misc.cmd) {
		xlog(LOG_ERR, "%s: MISC_CHECK without misc_path", c->name);
		free(m);
		return -EINVAL;
	}
	snprintf(c->name, sizeof(c->name), "MISC_CHECK %s:%u '%.40s'", c->addr_str, c->port,
		 c->cfg.misc.cmd);
	c->priv = m;
	return 0;
}

void check_misc_fini(struct check *c)
{
	struct misc_state *m = c->priv;

	if (!m)
		return;
	if (m->run) {
		/* the script's done callback is forgotten: its run is freed
		 * here, also when a shutdown already killed and forgot it */
		if (m->run->pid > 0) {
			kill(-m->run->pid, SIGKILL);
			script_detach(m->run->pid);
		}
		free(m->run);
		m->run = NULL;
	}
	free(m);
	c->priv = NULL;
}

static void on_done(void *arg, int status, bool timed_out)
{
	struct misc_run *r = arg;
	struct check *c = r->c;
	struct misc_state *m;
	char why[400];
	bool ok = false;

	free(r);
	if (!c)
		return; /* the check was freed meanwhile */
	m = c->priv;
	m->run = NULL;
	if (timed_out) {
		snprintf(why, sizeof(why), "script '%s' timed out after %u ms and was killed",
			 c->cfg.misc.cmd, c->cfg.misc.timeout_ms);
	} else if (status == 0) {
		ok = true;
		snprintf(why, sizeof(why), "script '%s' exited with status 0", c->cfg.misc.cmd);
		if (c->cfg.misc.dynamic)
			c->weight = -1;
	} else if (status < 0) {
		snprintf(why, sizeof(why), "script '%s' killed by signal %d", c->cfg.misc.cmd,
			 -status);
	} else if (status == 127) {
		snprintf(why, sizeof(why), "script '%s' exited with status 127 (cannot exec?)",
			 c->cfg.misc.cmd);
	} else if (c->cfg.misc.dynamic && status >= 2) {
		ok = true;
		c->weight = status - 2;
		snprintf(why, sizeof(why), "script '%s' exited with status %d: weight %d",
			 c->cfg.misc.cmd, status, c->weight);
	} else {
		snprintf(why, sizeof(why), "script '%s' exited with status %d", c->cfg.misc.cmd,
			 status);
	}
	check_hold(c);
	check_probe_done(c, ok, why);
	check_release(c);
}

void check_misc_probe(struct check *c)
{
	struct misc_state *m = c->priv;
	struct misc_run *r;
	char err[256], why[400];
	int rc;

	if (!c->cfg.misc.run) {
		/* disabled at load (keepalived drops such a checker): it
		 * no longer counts for its real server */
		check_probe_done(c, true, "MISC_CHECK disabled (see the configuration's errors)");
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(why, sizeof(why), "script '%s': out of memory", c->cfg.misc.cmd);
		check_probe_done(c, false, why);
		return;
	}
	r->c = c;
	rc = script_run(c->l, c->cfg.misc.run, NULL, (uint64_t)c->cfg.misc.timeout_ms * 1000,
			on_done, r, &r->pid, err, sizeof(err));
	if (rc < 0) {
		free(r);
		snprintf(why, sizeof(why), "cannot start %s", err);
		check_probe_done(c, false, why);
		return;
	}
	m->run = r;
}
