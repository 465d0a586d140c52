// SPDX-License-Identifier: GPL-2.0
/*
 * The LVS side of the configuration: virtual_server, real_server and the
 * checkers (TCP_CHECK, MISC_CHECK, MYSQL_CHECK). Keywords that only set a
 * field are KEY_SET_* entries of the tables; the others have a handler
 * here. Inherited defaults (delay_loop, connect_port, ...) are filled in by
 * config_check.c once the whole file is read.
 */
#include "config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- checkers --------------------------------------------------------- */

static void kw_tcp_connect_port(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;

	if (want_args(p, st, 1, 1) &&
	    parse_port_tok(p, st, kw(st), st->tok[1].text, &c->u.tcp.connect_port))
		c->connect_port_set = true;
}

static void kw_tcp_connect_ip(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;

	if (arg_ipv4(p, st, &c->u.tcp.connect_ip))
		c->connect_ip_set = true;
}

static void kw_tcp_retry(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 0, 1000, &((struct config_checker *)ctx)->u.tcp.retry);
}

static void kw_tcp_nb_get_retry(struct parser *p, const struct stmt *st, void *ctx)
{
	warn_at(p, st, "'nb_get_retry' is deprecated, treated as 'retry'; write 'retry %s' instead",
		st->ntok > 1 ? st->tok[1].text : "N");
	kw_tcp_retry(p, st, ctx);
}

/* delay_loop inside a checker overrides the virtual server's. */
static void kw_checker_delay_loop(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;
	uint32_t *dst = c->type == CONFIG_CHECK_TCP ? &c->u.tcp.delay_loop_ms
						    : &c->u.misc.delay_loop_ms;

	if (arg_duration(p, st, 10, DAY_MS, dst))
		c->delay_loop_set = true;
}

static const struct keyword tcp_check_keywords[] = {
	KEY_SET_DURATION("connect_timeout", struct config_tcp_check, connect_timeout_ms, 1,
			 3600 * SEC),
	KEY("connect_port", kw_tcp_connect_port),
	KEY("connect_ip", kw_tcp_connect_ip),
	KEY("retry", kw_tcp_retry),
	KEY("nb_get_retry", kw_tcp_nb_get_retry),
	KEY_SET_DURATION("delay_before_retry", struct config_tcp_check, delay_before_retry_ms, 0,
			 3600 * SEC),
	KEY("delay_loop", kw_checker_delay_loop),
	KEY_END,
};

static const char *const checker_unsupported[] = {
	"bindto", "bind_port", "bind_if", "fwmark", "warmup", "alpha", "log_all_failures",
	NULL,
};

static void *tcp_target(void *ctx)
{
	return &((struct config_checker *)ctx)->u.tcp;
}

static const struct block_def tcp_check_block = { "TCP_CHECK", tcp_check_keywords,
						   checker_unsupported, tcp_target };

static void kw_misc_path(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;
	struct config_command *cmd = arg_command(p, st);

	if (!cmd)
		return;
	free_command_fields(&c->u.misc.misc_path);
	c->u.misc.misc_path = *cmd;
	free(cmd);
}

static void kw_misc_timeout(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;

	if (arg_duration(p, st, 1, DAY_MS, &c->u.misc.misc_timeout_ms))
		c->misc_timeout_set = true;
}

static void kw_misc_user(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;

	set_user_group(p, st, &c->u.misc.user, &c->u.misc.group);
}

static const struct keyword misc_check_keywords[] = {
	KEY("misc_path", kw_misc_path),
	KEY("misc_timeout", kw_misc_timeout),
	KEY_SET_FLAG("misc_dynamic", struct config_misc_check, misc_dynamic),
	KEY("user", kw_misc_user),
	KEY("delay_loop", kw_checker_delay_loop),
	KEY_END,
};

static void *misc_target(void *ctx)
{
	return &((struct config_checker *)ctx)->u.misc;
}

static const struct block_def misc_check_block = { "MISC_CHECK", misc_check_keywords,
						    checker_unsupported, misc_target };

#define MYSQL(ctx) (&((struct config_checker *)(ctx))->u.mysql)

static void kw_mysql_query(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_mysql_check *m = MYSQL(ctx);

	/* an unquoted query is its words joined by single spaces */
	if (!want_args(p, st, 1, SIZE_MAX))
		return;
	if (st->ntok == 2) {
		free(m->query);
		m->query = cfg_strdup(p->ld, st->tok[1].text);
		return;
	}
	{
		size_t len = 0;
		char *o;

		for (size_t i = 1; i < st->ntok; i++)
			len += strlen(st->tok[i].text) + 1;
		free(m->query);
		m->query = o = cfg_alloc(p->ld, len + 1, 1);
		for (size_t i = 1; o && i < st->ntok; i++) {
			size_t n = strlen(st->tok[i].text);

			if (i > 1)
				*o++ = ' ';
			memcpy(o, st->tok[i].text, n);
			o += n;
		}
	}
}

static void kw_mysql_manage_read_only(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;

	if (arg_bool(p, st, &c->u.mysql.manage_read_only))
		c->manage_read_only_set = true;
}

static void kw_mysql_ssl_mode(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;
	const char *v;

	if (!want_args(p, st, 1, 1))
		return;
	v = st->tok[1].text;
	if (!strcmp(v, "off") || !strcmp(v, "disabled")) {
		c->u.mysql.ssl_mode = CONFIG_SSL_OFF;
	} else if (!strcmp(v, "required")) {
		c->u.mysql.ssl_mode = CONFIG_SSL_REQUIRED;
	} else if (!strcmp(v, "verify_ca")) {
		c->u.mysql.ssl_mode = CONFIG_SSL_VERIFY_CA;
	} else if (!strcmp(v, "verify_identity")) {
		c->u.mysql.ssl_mode = CONFIG_SSL_VERIFY;
	} else {
		error_at(p, st, "ssl_mode: unknown mode '%s' (off, required, verify_ca, "
			 "verify_identity)", v);
		return;
	}
	c->ssl_mode_set = true;
}

#define M struct config_mysql_check
static const struct keyword mysql_check_keywords[] = {
	KEY_SET_STRING("user", M, user),
	KEY_SET_STRING("password", M, password),
	KEY_SET_STRING("password_file", M, password_file),
	KEY_SET_DURATION("connect_timeout", M, connect_timeout_ms, 1, 3600 * SEC),
	KEY_SET_DURATION("read_timeout", M, read_timeout_ms, 1, 3600 * SEC),
	KEY_SET_DURATION("interval", M, interval_ms, 10, DAY_MS),
	KEY_SET_UINT("rise", M, rise, 1, 1000),
	KEY_SET_UINT("fall", M, fall, 1, 1000),
	KEY("query", kw_mysql_query),
	KEY_SET_BOOL("check_read_only", M, check_read_only),
	KEY_SET_BOOL("check_replication", M, check_replication),
	KEY_SET_DURATION("max_lag", M, max_lag_ms, 0, DAY_MS),
	KEY("manage_read_only", kw_mysql_manage_read_only),
	KEY("ssl_mode", kw_mysql_ssl_mode),
	KEY_SET_STRING("ssl_ca", M, ssl_ca),
	KEY_SET_STRING("ssl_cert", M, ssl_cert),
	KEY_SET_STRING("ssl_key", M, ssl_key),
	KEY_END,
};
#undef M

static void *mysql_target(void *ctx)
{
	return MYSQL(ctx);
}

static const struct block_def mysql_check_block = { "MYSQL_CHECK", mysql_check_keywords, NULL,
						     mysql_target };

/* ---- virtual_server / real_server ------------------------------------- */

static struct config_checker *new_checker(struct parser *p, const struct stmt *st,
					  struct config_real_server *rs,
					  enum config_checker_type type)
{
	struct config_checker *c = PUSH(p->ld, rs->checkers, rs->n_checkers);

	want_args(p, st, 0, 0);
	if (!c)
		return NULL;
	c->type = type;
	c->where = where_of(st);
	return c;
}

static void kw_tcp_check(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = new_checker(p, st, ctx, CONFIG_CHECK_TCP);

	if (!c)
		return;
	c->u.tcp.connect_timeout_ms = 5 * SEC;
	c->u.tcp.retry = 1;
	c->u.tcp.delay_before_retry_ms = 1 * SEC;
	parse_block(p, &tcp_check_block, c, st);
}

static void kw_misc_check(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = new_checker(p, st, ctx, CONFIG_CHECK_MISC);

	if (c)
		parse_block(p, &misc_check_block, c, st);
}

static void kw_mysql_check(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = new_checker(p, st, ctx, CONFIG_CHECK_MYSQL);
	struct config_mysql_check *m;

	if (!c)
		return;
	m = &c->u.mysql;
	/* defaults sized for "a hung mysqld is seen within 3 x 100 ms" */
	m->connect_timeout_ms = 100;
	m->read_timeout_ms = 100;
	m->interval_ms = 100;
	m->rise = 3;
	m->fall = 3;
	m->query = cfg_strdup(p->ld, "SELECT 1");
	parse_block(p, &mysql_check_block, c, st);
}

static const struct keyword real_server_keywords[] = {
	KEY_SET_UINT("weight", struct config_real_server, weight, 0, 65535),
	KEY_SET_COMMAND("notify_up", struct config_real_server, notify_up),
	KEY_SET_COMMAND("notify_down", struct config_real_server, notify_down),
	KEY_SET_FLAG("inhibit_on_failure", struct config_real_server, inhibit_on_failure),
	KEY_BLOCK("TCP_CHECK", kw_tcp_check),
	KEY_BLOCK("MISC_CHECK", kw_misc_check),
	KEY_BLOCK("MYSQL_CHECK", kw_mysql_check),
	KEY_END,
};

static const char *const real_server_unsupported[] = {
	"HTTP_GET", "SSL_GET", "SMTP_CHECK", "DNS_CHECK", "BFD_CHECK", "FILE_CHECK",
	"PING_CHECK", "UDP_CHECK", "uthreshold", "lthreshold", NULL,
};

static const struct block_def real_server_block = { "real_server", real_server_keywords,
						     real_server_unsupported, NULL };

/* IP PORT for virtual_server and real_server. */
static bool parse_ip_port(struct parser *p, const struct stmt *st, struct in_addr *addr,
			  uint16_t *port)
{
	if (st->ntok < 3) {
		error_at(p, st, "missing argument for '%s': it needs an IPv4 address and a port",
			 kw(st));
		return false;
	}
	if (st->ntok > 3)
		warn_at(p, st, "extra argument '%s' after '%s %s %s' ignored", st->tok[3].text,
			kw(st), st->tok[1].text, st->tok[2].text);
	if (!parse_ipv4_tok(p, st, kw(st), st->tok[1].text, addr))
		return false;
	return parse_port_tok(p, st, "port", st->tok[2].text, port);
}

/* A virtual_server being parsed, and the real servers it has so far. */
struct vs_ctx {
	struct config_virtual_server *vs;
	struct name_map real_servers; /* "address port" -> index */
};

static void kw_vs_smtp_alert(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_alert(p, st, &((struct vs_ctx *)ctx)->vs->smtp_alert);
}

static void kw_real_server(struct parser *p, const struct stmt *st, void *ctx)
{
	struct vs_ctx *vc = ctx;
	struct config_virtual_server *vs = vc->vs;
	struct config_real_server *rs;
	struct in_addr addr;
	uint16_t port;
	char key[32];
	size_t first;

	if (!parse_ip_port(p, st, &addr, &port)) {
		skip_block(p, st);
		return;
	}
	snprintf(key, sizeof(key), "%08x %u", (unsigned)addr.s_addr, port);
	first = name_map_first(p->ld, &vc->real_servers, key, vs->n_real_servers);
	if (first != vs->n_real_servers)
		error_at(p, st, "duplicate real_server %s %u (first at line %u)",
			 st->tok[1].text, port, vs->real_servers[first].where.line);
	rs = PUSH(p->ld, vs->real_servers, vs->n_real_servers);
	if (!rs)
		return;
	rs->addr = addr;
	rs->port = port;
	rs->where = where_of(st);
	rs->weight = 1;
	parse_block(p, &real_server_block, rs, st);
}

static void kw_vs_lb_algo(struct parser *p, const struct stmt *st, void *ctx)
{
	static const char *const like_wrr[] = { "wlc", "lc", "lblc", "lblcr", "dh", "sh",
						"sed", "nq", "mh", "ovf", "twos", NULL };
	struct config_virtual_server *vs = ((struct vs_ctx *)ctx)->vs;
	const char *v;

	if (!want_args(p, st, 1, 1))
		return;
	v = st->tok[1].text;
	if (!strcmp(v, "wrr")) {
		vs->lb_algo = CONFIG_LB_WRR;
	} else if (!strcmp(v, "rr")) {
		vs->lb_algo = CONFIG_LB_RR;
	} else if (!strcmp(v, "fo")) {
		vs->lb_algo = CONFIG_LB_FO;
	} else {
		for (size_t i = 0; like_wrr[i]; i++) {
			if (!strcmp(v, like_wrr[i])) {
				warn_at(p, st, "lb_algo %s is not implemented by xvipd; treated as wrr",
					v);
				vs->lb_algo = CONFIG_LB_WRR;
				return;
			}
		}
		error_at(p, st, "lb_algo: unknown scheduler '%s' (xvipd has wrr, rr and fo)", v);
	}
}

static void kw_vs_lb_kind(struct parser *p, const struct stmt *st, void *ctx)
{
	(void)ctx;
	if (!want_args(p, st, 1, 1))
		return;
	if (!strcasecmp(st->tok[1].text, "DR"))
		return;
	if (!strcasecmp(st->tok[1].text, "NAT") || !strcasecmp(st->tok[1].text, "TUN"))
		error_at(p, st, "lb_kind %s is not supported: xvipd forwards in DR mode only",
			 st->tok[1].text);
	else
		error_at(p, st, "lb_kind: '%s' is not DR, NAT or TUN", st->tok[1].text);
}

static void kw_vs_standby_loss_policy(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_virtual_server *vs = ((struct vs_ctx *)ctx)->vs;

	if (!want_args(p, st, 1, 1))
		return;
	if (!strcasecmp(st->tok[1].text, "block"))
		vs->standby_loss_async = false;
	else if (!strcasecmp(st->tok[1].text, "async"))
		vs->standby_loss_async = true;
	else
		error_at(p, st, "standby_loss_policy: '%s' is neither block nor async",
			 st->tok[1].text);
}

static void kw_vs_protocol(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_virtual_server *vs = ((struct vs_ctx *)ctx)->vs;

	if (!want_args(p, st, 1, 1))
		return;
	if (!strcasecmp(st->tok[1].text, "TCP"))
		vs->protocol = CONFIG_PROTO_TCP;
	else if (!strcasecmp(st->tok[1].text, "UDP"))
		vs->protocol = CONFIG_PROTO_UDP;
	else
		error_at(p, st, "protocol: '%s' is neither TCP nor UDP", st->tok[1].text);
}

#define VS struct config_virtual_server
static const struct keyword virtual_server_keywords[] = {
	KEY_SET_DURATION("delay_loop", VS, delay_loop_ms, 10, DAY_MS),
	KEY("lb_algo", kw_vs_lb_algo),
	KEY("lvs_sched", kw_vs_lb_algo),
	KEY("lb_kind", kw_vs_lb_kind),
	KEY("lvs_method", kw_vs_lb_kind),
	KEY_SET_UINT("persistence_timeout", VS, persistence_timeout_s, 0, 86400 * 31),
	KEY("protocol", kw_vs_protocol),
	KEY_SET_BOOL("manage_read_only", VS, manage_read_only),
	KEY_SET_DURATION("promote_timeout", VS, promote_timeout_ms, 1, DAY_MS),
	KEY_SET_DURATION("standby_loss_timeout", VS, standby_loss_timeout_ms, 0, DAY_MS),
	KEY("standby_loss_policy", kw_vs_standby_loss_policy),
	KEY_SET_COMMAND("notify_writer", VS, notify_writer),
	KEY("smtp_alert", kw_vs_smtp_alert),
	KEY_BLOCK("real_server", kw_real_server),
	KEY_END,
};
#undef VS

static const char *const virtual_server_unsupported[] = {
	"ha_suspend", "virtualhost", "sorry_server", "sorry_server_inhibit", "alpha", "omega",
	"quorum", "hysteresis", "quorum_up", "quorum_down", "persistence_granularity", "ops",
	"persistence_engine", "retry", "delay_before_retry", "warmup", NULL,
};

static void *vs_target(void *ctx)
{
	return ((struct vs_ctx *)ctx)->vs;
}

static const struct block_def virtual_server_block = { "virtual_server", virtual_server_keywords,
							virtual_server_unsupported, vs_target };

void kw_virtual_server(struct parser *p, const struct stmt *st, void *ctx)
{
	struct top_ctx *top = ctx;
	struct xvip_config *cfg = top->cfg;
	struct config_virtual_server *vs;
	struct vs_ctx vc = { 0 };
	struct in_addr addr;
	uint16_t port;

	if (!parse_ip_port(p, st, &addr, &port)) {
		skip_block(p, st);
		return;
	}
	vs = PUSH(p->ld, cfg->virtual_servers, cfg->n_virtual_servers);
	if (!vs)
		return;
	vs->addr = addr;
	vs->port = port;
	vs->where = where_of(st);
	vs->delay_loop_ms = 60 * SEC;
	vs->promote_timeout_ms = 2 * SEC;
	vs->standby_loss_timeout_ms = 10 * SEC;
	vc.vs = vs;
	parse_block(p, &virtual_server_block, &vc, st);
	name_map_free(&vc.real_servers);
}
