/* Health checks: the part common to every engine (life cycle, rise/fall,
 * reporting). The engines are check_tcp.c, check_misc.c, check_mysql.c. */
#define XVIP_CHECK_INTERNAL
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "log.h"
#include "scripts.h"

static const char *type_name(enum config_checker_type t)
{
	switch (t) {
	case CONFIG_CHECK_TCP:
		return "TCP_CHECK";
	case CONFIG_CHECK_MISC:
		return "MISC_CHECK";
	case CONFIG_CHECK_MYSQL:
		return "MYSQL_CHECK";
	}
	return "CHECK";
}

static void free_cfg(struct check *c)
{
	if (c->type == CONFIG_CHECK_MISC) {
		free(c->cfg.misc.cmd);
		script_cmd_free(c->cfg.misc.run);
	} else if (c->type == CONFIG_CHECK_MYSQL) {
		free(c->cfg.mysql.user);
		free(c->cfg.mysql.password);
		free(c->cfg.mysql.password_file);
		free(c->cfg.mysql.query);
	}
}

static char *dup_or_null(const char *s, bool *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = true;
	return d;
}

struct check *check_new(struct loop *l, const struct config_checker *cfg, struct in_addr rs_addr,
			uint16_t rs_port, check_change_cb on_change, void *arg)
{
	struct check *c = calloc(1, sizeof(*c));
	bool fail = false;
	int rc;

	if (!c) {
		xlog(LOG_ERR, "%s %s:%u: out of memory", type_name(cfg->type), inet_ntoa(rs_addr),
		     rs_port);
		errno = ENOMEM;
		return NULL;
	}
	c->l = l;
	c->type = cfg->type;
	c->addr = rs_addr;
	c->port = rs_port;
	c->on_change = on_change;
	c->arg = arg;
	c->weight = c->reported_weight = -1;
	c->rise = c->fall = 1;
	switch (cfg->type) {
	case CONFIG_CHECK_TCP:
		c->cfg.tcp = cfg->u.tcp;
		if (cfg->u.tcp.connect_ip.s_addr)
			c->addr = cfg->u.tcp.connect_ip;
		if (cfg->u.tcp.connect_port)
			c->port = cfg->u.tcp.connect_port;
		c->up = true; /* keepalived: alive until proven otherwise */
		break;
	case CONFIG_CHECK_MISC:
		c->cfg.misc.cmd = dup_or_null(cfg->u.misc.misc_path.text, &fail);
		if (cfg->u.misc.misc_path.run && !(c->cfg.misc.run = script_cmd_dup(cfg->u.misc.misc_path.run)))
			fail = true;
		c->cfg.misc.timeout_ms = cfg->u.misc.misc_timeout_ms;
		c->cfg.misc.dynamic = cfg->u.misc.misc_dynamic;
		c->cfg.misc.delay_loop_ms = cfg->u.misc.delay_loop_ms;
		c->up = true;
		break;
	case CONFIG_CHECK_MYSQL:
		c->cfg.mysql = cfg->u.mysql;
		c->cfg.mysql.user = dup_or_null(cfg->u.mysql.user, &fail);
		c->cfg.mysql.password = dup_or_null(cfg->u.mysql.password, &fail);
		c->cfg.mysql.password_file = dup_or_null(cfg->u.mysql.password_file, &fail);
		c->cfg.mysql.query = dup_or_null(cfg->u.mysql.query ? cfg->u.mysql.query : "SELECT 1",
						 &fail);
		c->rise = cfg->u.mysql.rise ? cfg->u.mysql.rise : 1;
		c->fall = cfg->u.mysql.fall ? cfg->u.mysql.fall : 1;
		c->up = false; /* proven healthy first */
		break;
	default:
		xlog(LOG_ERR, "check %s:%u: unknown checker type %d", inet_ntoa(rs_addr), rs_port,
		     (int)cfg->type);
		free(c);
		errno = EINVAL;
		return NULL;
	}
	inet_ntop(AF_INET, &c->addr, c->addr_str, sizeof(c->addr_str));
	snprintf(c->name, sizeof(c->name), "%s %s:%u", type_name(c->type), c->addr_str, c->port);
	if (fail) {
		xlog(LOG_ERR, "%s: out of memory", c->name);
		free_cfg(c);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	switch (c->type) {
	case CONFIG_CHECK_TCP:
		rc = check_tcp_init(c);
		break;
	case CONFIG_CHECK_MISC:
		rc = check_misc_init(c);
		break;
	default:
		rc = check_mysql_init(c);
		break;
	}
	if (rc < 0) {
		free_cfg(c);
		free(c);
		errno = -rc;
		return NULL;
	}
	return c;
}

void check_set_probe_cb(struct check *c, check_probe_cb cb, void *arg)
{
	c->on_probe = cb;
	c->probe_arg = arg;
}

void check_rebind(struct check *c, check_change_cb on_change, void *arg)
{
	c->on_change = on_change;
	c->arg = arg;
}

static void destroy(struct check *c)
{
	if (c->timer)
		loop_cancel_timer(c->l, c->timer);
	switch (c->type) {
	case CONFIG_CHECK_TCP:
		check_tcp_fini(c);
		break;
	case CONFIG_CHECK_MISC:
		check_misc_fini(c);
		break;
	default:
		check_mysql_fini(c);
		break;
	}
	free_cfg(c);
	free(c);
}

void check_free(struct check *c)
{
	if (!c)
		return;
	if (c->depth > 0) {
		/* Inside one of its callbacks: the outermost release frees. */
		c->zombie = true;
		if (c->timer) {
			loop_cancel_timer(c->l, c->timer);
			c->timer = 0;
		}
		return;
	}
	destroy(c);
}

void check_hold(struct check *c)
{
	c->depth++;
}

bool check_release(struct check *c)
{
	if (--c->depth == 0 && c->zombie) {
		destroy(c);
		return false;
	}
	return true;
}

static void run_probe(struct check *c)
{
	if (c->probing || c->zombie)
		return;
	c->probing = true;
	c->probe_start_us = now_us();
	switch (c->type) {
	case CONFIG_CHECK_TCP:
		check_tcp_probe(c);
		break;
	case CONFIG_CHECK_MISC:
		check_misc_probe(c);
		break;
	default:
		check_mysql_probe(c);
		break;
	}
}

static void on_timer(struct loop *l, uint64_t id, void *arg)
{
	struct check *c = arg;

	(void)l;
	(void)id;
	c->timer = 0;
	check_hold(c);
	run_probe(c);
	check_release(c);
}

void check_schedule(struct check *c, uint64_t delay_us)
{
	if (c->zombie)
		return;
	if (c->timer)
		loop_cancel_timer(c->l, c->timer);
	c->timer = loop_add_timer(c->l, now_us() + delay_us, on_timer, c);
	if (!c->timer)
		xlog(LOG_ERR, "%s: cannot arm the next probe's timer (out of memory)", c->name);
}

void check_start(struct check *c)
{
	if (c->started)
		return;
	c->started = true;
	check_schedule(c, 0);
}

void check_probe_now(struct check *c)
{
	if (c->probing)
		return;
	check_schedule(c, 0);
}

void check_probe_next_now(struct check *c)
{
	if (c->probing)
		c->probe_again = true;
	else
		check_schedule(c, 0);
}

static uint64_t interval_us(const struct check *c)
{
	uint32_t ms;

	switch (c->type) {
	case CONFIG_CHECK_TCP:
		ms = c->cfg.tcp.delay_loop_ms;
		break;
	case CONFIG_CHECK_MISC:
		ms = c->cfg.misc.delay_loop_ms;
		break;
	default:
		ms = c->cfg.mysql.interval_ms;
		break;
	}
	if (!ms)
		ms = 1000;
	return (uint64_t)ms * 1000;
}

static void report(struct check *c, bool up, const char *why)
{
	bool was = c->up, first = !c->decided;

	c->up = up;
	c->decided = true;
	c->reported_weight = c->weight;
	if (up != was || first)
		xlog(up ? LOG_INFO : LOG_WARNING, "%s: %s: %s", c->name, up ? "UP" : "DOWN", why);
	if (c->on_change && !c->zombie)
		c->on_change(c->arg, c, up, why);
	/* after the decision (the promotion's first statement is on its way) */
	if (!up && was && c->type == CONFIG_CHECK_MYSQL && !c->zombie)
		mw_went_down(c);
}

/* Called with the check held by the engine's loop entry. */
void check_probe_done(struct check *c, bool ok, const char *why)
{
	uint64_t now = now_us();
	bool again = c->probe_again;

	c->probing = false;
	c->probe_again = false;
	c->st.probes++;
	c->st.last_probe_us = now - c->probe_start_us;
	c->st.last_end_us = now;
	if (ok) {
		c->st.ok_run++;
		c->st.bad_run = 0;
		c->st.refused = false;
		c->st.dead = false;
		c->st.timed_out = false;
	} else {
		c->st.failures++;
		c->st.bad_run++;
		c->st.ok_run = 0;
		snprintf(c->last_error, sizeof(c->last_error), "%s", why);
		xlog(LOG_DEBUG, "%s: probe failed: %s", c->name, why);
	}
	/* MYSQL_CHECK: a failed probe of a server that is UP is confirmed at
	 * once, not an interval later: a hung server is DOWN after at most
	 * interval + read_timeout + (fall - 1) x connect_timeout, not fall
	 * intervals more (docs/configuration.md) */
	if ((!ok && c->type == CONFIG_CHECK_MYSQL && c->up && c->decided && c->st.bad_run < c->fall) ||
	    again)
		check_schedule(c, 0);
	else
		check_schedule(c, interval_us(c));
	if (ok && c->st.ok_run >= c->rise && (!c->up || !c->decided))
		report(c, true, why);
	else if (!ok && c->st.bad_run >= c->fall && (c->up || !c->decided))
		report(c, false, why);
	else if (ok && c->up && c->decided && c->weight != c->reported_weight)
		report(c, true, why);
	if (c->on_probe && !c->zombie)
		c->on_probe(c->probe_arg, c);
}

void check_probe_fatal(struct check *c, const char *why)
{
	if (c->fall && c->st.bad_run < c->fall - 1)
		c->st.bad_run = c->fall - 1;
	check_probe_done(c, false, why);
}

void check_force_down(struct check *c, const char *why)
{
	c->st.failures++;
	c->st.ok_run = 0;
	c->st.bad_run = c->fall > c->st.bad_run ? c->fall : c->st.bad_run;
	snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	if (c->up || !c->decided)
		report(c, false, why);
}

bool check_is_up(const struct check *c)
{
	return c->up;
}

bool check_decided(const struct check *c)
{
	return c->decided;
}

const char *check_last_error(const struct check *c)
{
	return c->last_error;
}

const struct check_stats *check_get_stats(const struct check *c)
{
	return &c->st;
}

enum config_checker_type check_type(const struct check *c)
{
	return c->type;
}

int check_weight(const struct check *c)
{
	return c->weight;
}

const char *check_name(const struct check *c)
{
	return c->name;
}
