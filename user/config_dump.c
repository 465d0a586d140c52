// SPDX-License-Identifier: GPL-2.0
/*
 * The normalized configuration (xvipd -t): keepalived syntax, one keyword
 * per line, every default written out, durations in seconds. It loads again
 * to the same configuration. A reload compares checkers and services by this
 * text, so what prints the same is the same.
 */
#include "config_int.h"
#include "sbuf.h"
#include "scripts.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* ---- dump ------------------------------------------------------------- */

/* Writes a word so that it reads back as the same single token. */
/* config_dump_redacted(): secrets replaced (xvipd -t) */
static bool dump_redact;
#define REDACTED "********"

static void put_word(FILE *out, const char *s)
{
	bool quote = !*s || s[0] == '!' || s[0] == '#' || strpbrk(s, " \t\"{}\\");

	if (!quote) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void put_kv(FILE *out, int indent, const char *key, const char *value)
{
	fprintf(out, "%*s%s ", indent, "", key);
	put_word(out, value);
	fputc('\n', out);
}

static void put_uint(FILE *out, int indent, const char *key, unsigned long v)
{
	fprintf(out, "%*s%s %lu\n", indent, "", key, v);
}

static void put_secs(FILE *out, int indent, const char *key, uint32_t ms)
{
	char buf[16];

	fprintf(out, "%*s%s %s\n", indent, "", key, fmt_seconds(ms, buf));
}

static void put_ip(FILE *out, int indent, const char *key, struct in_addr a)
{
	char buf[INET_ADDRSTRLEN];

	fprintf(out, "%*s%s %s\n", indent, "", key, inet_ntop(AF_INET, &a, buf, sizeof(buf)));
}

static void put_onoff(FILE *out, int indent, const char *key, bool on)
{
	fprintf(out, "%*s%s %s\n", indent, "", key, on ? "on" : "off");
}

/* enum config_tristate: nothing when not written */
static void put_alert(FILE *out, int indent, const char *key, uint8_t v)
{
	if (v != CONFIG_UNSET)
		put_onoff(out, indent, key, v == CONFIG_ON);
}

/* One argument as split_command (config_args.c) reads it back: bare when
 * it can be, else in '...' pieces, a ' itself in "...". */
static void put_arg(struct sbuf *b, const char *a)
{
	bool plain = *a && !strpbrk(a, " \t'\"");

	if (plain) {
		sb_printf(b, "%s", a);
		return;
	}
	if (!*a)
		sb_printf(b, "''");
	while (*a) {
		size_t n = strcspn(a, "'");

		if (n) {
			sb_printf(b, "'%.*s'", (int)n, a);
			a += n;
		}
		for (; *a == '\''; a++)
			sb_printf(b, "\"'\"");
	}
}

/* The argv the config split (what runs), as one line that loads back to
 * the same argv; then what runs it, once the scripts are prepared. */
static void put_command(FILE *out, int indent, const char *key, const struct config_command *c)
{
	struct sbuf b = { 0 };

	if (!c || !c->argc)
		return;
	for (size_t i = 0; i < c->argc; i++) {
		if (i)
			sb_printf(&b, " ");
		put_arg(&b, c->argv[i]);
	}
	put_kv(out, indent, key, b.s ? b.s : "");
	free(b.s);
	if (c->run)
		fprintf(out, "%*s! runs %s as %s\n", indent, "", c->run->path, c->run->user);
}

static void dump_instance(const struct config_vrrp_instance *inst, FILE *out)
{
	char buf[INET_ADDRSTRLEN];

	fputs("\nvrrp_instance ", out);
	put_word(out, inst->name);
	fputs(" {\n", out);
	if (inst->configured_state != inst->initial_state)
		fputs("    ! configured as MASTER; starts as BACKUP because of nopreempt\n", out);
	put_kv(out, 4, "state", inst->initial_state == CONFIG_STATE_MASTER ? "MASTER" : "BACKUP");
	put_kv(out, 4, "interface", inst->interface);
	put_uint(out, 4, "virtual_router_id", inst->virtual_router_id);
	put_uint(out, 4, "priority", inst->priority);
	put_uint(out, 4, "version", inst->version);
	put_secs(out, 4, "advert_int", inst->advert_int_ms);
	fputs(inst->nopreempt ? "    nopreempt\n" : "    preempt\n", out);
	put_alert(out, 4, "smtp_alert", inst->smtp_alert);
	put_secs(out, 4, "preempt_delay", inst->preempt_delay_ms);
	if (inst->auth_type == CONFIG_AUTH_PASS) {
		fputs("    authentication {\n", out);
		put_kv(out, 8, "auth_type", "PASS");
		put_kv(out, 8, "auth_pass", dump_redact ? REDACTED : inst->auth_pass);
		fputs("    }\n", out);
	}
	if (inst->n_vips) {
		fputs("    virtual_ipaddress {\n", out);
		for (size_t i = 0; i < inst->n_vips; i++) {
			const struct config_vip *v = &inst->vips[i];

			fprintf(out, "        %s/%u dev %s",
				inet_ntop(AF_INET, &v->addr, buf, sizeof(buf)), v->prefix_len, v->dev);
			if (v->label) {
				fputs(" label ", out);
				put_word(out, v->label);
			}
			fputc('\n', out);
		}
		fputs("    }\n", out);
	}
	put_kv(out, 4, "vip_mode", inst->vip_mode == CONFIG_VIP_MODE_LO ? "lo" : "interface");
	if (inst->unicast_src_set)
		put_ip(out, 4, "unicast_src_ip", inst->unicast_src_ip);
	if (inst->n_unicast_peers) {
		fputs("    unicast_peer {\n", out);
		for (size_t i = 0; i < inst->n_unicast_peers; i++)
			fprintf(out, "        %s\n",
				inet_ntop(AF_INET, &inst->unicast_peers[i], buf, sizeof(buf)));
		fputs("    }\n", out);
		put_uint(out, 4, "unicast_ttl", inst->unicast_ttl);
	}
	if (inst->n_track_interfaces) {
		fputs("    track_interface {\n", out);
		for (size_t i = 0; i < inst->n_track_interfaces; i++)
			fprintf(out, "        %s weight %d\n", inst->track_interfaces[i].name,
				inst->track_interfaces[i].weight);
		fputs("    }\n", out);
	}
	if (inst->n_track_scripts) {
		fputs("    track_script {\n", out);
		for (size_t i = 0; i < inst->n_track_scripts; i++) {
			fputs("        ", out);
			put_word(out, inst->track_scripts[i].name);
			fprintf(out, " weight %d\n", inst->track_scripts[i].weight);
		}
		fputs("    }\n", out);
	}
	put_command(out, 4, "notify_master", inst->notify_master);
	put_command(out, 4, "notify_backup", inst->notify_backup);
	put_command(out, 4, "notify_fault", inst->notify_fault);
	put_command(out, 4, "notify_stop", inst->notify_stop);
	put_command(out, 4, "notify", inst->notify);
	put_secs(out, 4, "garp_master_delay", inst->garp_master_delay_ms);
	put_uint(out, 4, "garp_master_repeat", inst->garp_master_repeat);
	put_secs(out, 4, "garp_master_refresh", inst->garp_master_refresh_ms);
	put_uint(out, 4, "garp_master_refresh_repeat", inst->garp_master_refresh_repeat);
	if (inst->liveness_interval_ms) {
		fprintf(out, "    liveness_interval %ums\n", inst->liveness_interval_ms);
		put_uint(out, 4, "liveness_multiplier", inst->liveness_multiplier);
	}
	if (inst->auth_key_file) {
		fputs("    auth_key_file ", out);
		put_word(out, inst->auth_key_file);
		if (inst->auth_key_file2) {
			fputc(' ', out);
			put_word(out, inst->auth_key_file2);
		}
		fputc('\n', out);
	}
	fputs("}\n", out);
}

static void dump_checker(const struct config_checker *c, FILE *out)
{
	switch (c->type) {
	case CONFIG_CHECK_TCP:
		fputs("        TCP_CHECK {\n", out);
		put_secs(out, 12, "connect_timeout", c->u.tcp.connect_timeout_ms);
		put_ip(out, 12, "connect_ip", c->u.tcp.connect_ip);
		put_uint(out, 12, "connect_port", c->u.tcp.connect_port);
		put_uint(out, 12, "retry", c->u.tcp.retry);
		put_secs(out, 12, "delay_before_retry", c->u.tcp.delay_before_retry_ms);
		put_secs(out, 12, "delay_loop", c->u.tcp.delay_loop_ms);
		break;
	case CONFIG_CHECK_MISC:
		fputs("        MISC_CHECK {\n", out);
		put_command(out, 12, "misc_path", &c->u.misc.misc_path);
		put_secs(out, 12, "misc_timeout", c->u.misc.misc_timeout_ms);
		if (c->u.misc.misc_dynamic)
			fputs("            misc_dynamic\n", out);
		if (c->u.misc.user) {
			fputs("            user ", out);
			put_word(out, c->u.misc.user);
			if (c->u.misc.group) {
				fputc(' ', out);
				put_word(out, c->u.misc.group);
			}
			fputc('\n', out);
		}
		put_secs(out, 12, "delay_loop", c->u.misc.delay_loop_ms);
		break;
	case CONFIG_CHECK_MYSQL: {
		const struct config_mysql_check *m = &c->u.mysql;

		fputs("        MYSQL_CHECK {\n", out);
		if (m->user)
			put_kv(out, 12, "user", m->user);
		if (m->password)
			put_kv(out, 12, "password", dump_redact ? REDACTED : m->password);
		if (m->password_file)
			put_kv(out, 12, "password_file", m->password_file);
		put_secs(out, 12, "connect_timeout", m->connect_timeout_ms);
		put_secs(out, 12, "read_timeout", m->read_timeout_ms);
		put_secs(out, 12, "interval", m->interval_ms);
		put_uint(out, 12, "rise", m->rise);
		put_uint(out, 12, "fall", m->fall);
		put_kv(out, 12, "query", m->query);
		put_onoff(out, 12, "check_read_only", m->check_read_only);
		put_onoff(out, 12, "check_replication", m->check_replication);
		put_secs(out, 12, "max_lag", m->max_lag_ms);
		put_onoff(out, 12, "manage_read_only", m->manage_read_only);
		if (m->ssl_mode != CONFIG_SSL_OFF) {
			put_kv(out, 12, "ssl_mode", m->ssl_mode == CONFIG_SSL_VERIFY ?
			       "verify_identity" : m->ssl_mode == CONFIG_SSL_VERIFY_CA ?
			       "verify_ca" : "required");
			if (m->ssl_ca)
				put_kv(out, 12, "ssl_ca", m->ssl_ca);
			if (m->ssl_cert)
				put_kv(out, 12, "ssl_cert", m->ssl_cert);
			if (m->ssl_key)
				put_kv(out, 12, "ssl_key", m->ssl_key);
		}
		break;
	}
	}
	fputs("        }\n", out);
}

static void dump_virtual_server(const struct config_virtual_server *vs, bool witness, FILE *out)
{
	static const char *const algo[] = { "wrr", "rr", "fo" };
	char buf[INET_ADDRSTRLEN];

	fprintf(out, "\nvirtual_server %s %u {\n", inet_ntop(AF_INET, &vs->addr, buf, sizeof(buf)),
		vs->port);
	put_secs(out, 4, "delay_loop", vs->delay_loop_ms);
	put_kv(out, 4, "lb_algo", algo[vs->lb_algo]);
	put_kv(out, 4, "lb_kind", "DR");
	put_uint(out, 4, "persistence_timeout", vs->persistence_timeout_s);
	put_kv(out, 4, "protocol", vs->protocol == CONFIG_PROTO_TCP ? "TCP" : "UDP");
	put_onoff(out, 4, "manage_read_only", vs->manage_read_only);
	put_alert(out, 4, "smtp_alert", vs->smtp_alert);
	put_secs(out, 4, "promote_timeout", vs->promote_timeout_ms);
	put_secs(out, 4, "standby_loss_timeout", vs->standby_loss_timeout_ms);
	put_kv(out, 4, "standby_loss_policy", vs->standby_loss_async ? "async" : "block");
	if (vs->lb_algo == CONFIG_LB_FO && vs->manage_read_only && witness)
		fputs("    # a writer without its standby: the witness decides (the side that holds the\n"
		      "    # key writes); standby_loss_policy applies only while it cannot be reached\n", out);
	else if (vs->lb_algo == CONFIG_LB_FO && vs->manage_read_only)
		fprintf(out, "    # a writer without its standby and without proof it is stopped: %s\n"
			"    # (no witness is configured; a witness would decide instead)\n",
			vs->standby_loss_async ? "asynchronous after standby_loss_timeout: TWO WRITERS "
						 "POSSIBLE behind a partition"
					       : "commits wait (safe: one writer, no availability)");
	put_command(out, 4, "notify_writer", vs->notify_writer);
	for (size_t r = 0; r < vs->n_real_servers; r++) {
		const struct config_real_server *rs = &vs->real_servers[r];

		fprintf(out, "    real_server %s %u {\n",
			inet_ntop(AF_INET, &rs->addr, buf, sizeof(buf)), rs->port);
		put_uint(out, 8, "weight", rs->weight);
		if (rs->inhibit_on_failure)
			fputs("        inhibit_on_failure\n", out);
		put_command(out, 8, "notify_up", rs->notify_up);
		put_command(out, 8, "notify_down", rs->notify_down);
		for (size_t c = 0; c < rs->n_checkers; c++)
			dump_checker(&rs->checkers[c], out);
		fputs("    }\n", out);
	}
	fputs("}\n", out);
}

/* Two objects print the same normalized text (what -t prints). */
static bool same_dump(void (*dump)(const void *obj, FILE *out), const void *a, const void *b)
{
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;
	FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
	bool eq = false;

	if (fa && fb) {
		dump(a, fa);
		dump(b, fb);
		fclose(fa);
		fclose(fb);
		fa = fb = NULL;
		eq = la == lb && memcmp(ta, tb, la) == 0;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	free(ta);
	free(tb);
	return eq;
}

static void dump_checker_obj(const void *obj, FILE *out)
{
	dump_checker(obj, out);
}

static void dump_services_obj(const void *obj, FILE *out)
{
	const struct xvip_config *cfg = obj;

	for (size_t i = 0; i < cfg->n_virtual_servers; i++)
		dump_virtual_server(&cfg->virtual_servers[i], cfg->global.witness_zookeeper != NULL, out);
}

bool config_checker_equal(const struct config_checker *a, const struct config_checker *b)
{
	return same_dump(dump_checker_obj, a, b);
}

bool config_services_equal(const struct xvip_config *a, const struct xvip_config *b)
{
	return same_dump(dump_services_obj, a, b);
}

void config_dump_redacted(const struct xvip_config *cfg, FILE *out)
{
	dump_redact = true;
	fputs("! auth_pass and password are shown as " REDACTED ": put them back before loading "
	      "this\n", out);
	config_dump(cfg, out);
	dump_redact = false;
}

void config_dump(const struct xvip_config *cfg, FILE *out)
{
	const struct config_global *g;

	if (!cfg)
		return;
	g = &cfg->global;
	fputs("! xvipd effective configuration: every default made explicit\n", out);
	fputs("global_defs {\n", out);
	put_kv(out, 4, "router_id", g->router_id);
	if (g->n_notification_email) {
		fputs("    notification_email {\n", out);
		for (size_t i = 0; i < g->n_notification_email; i++) {
			fputs("        ", out);
			put_word(out, g->notification_email[i]);
			fputc('\n', out);
		}
		fputs("    }\n", out);
	}
	if (g->notification_email_from)
		put_kv(out, 4, "notification_email_from", g->notification_email_from);
	if (g->smtp_server) {
		fputs("    smtp_server ", out);
		put_word(out, g->smtp_server);
		fprintf(out, " %u\n", g->smtp_port);
	}
	put_secs(out, 4, "smtp_connect_timeout", g->smtp_connect_timeout_ms);
	if (g->smtp_helo_name)
		put_kv(out, 4, "smtp_helo_name", g->smtp_helo_name);
	if (g->vip_arp_all_interfaces)
		put_onoff(out, 4, "vip_arp_all_interfaces", true);
	put_alert(out, 4, "smtp_alert", g->smtp_alert);
	put_alert(out, 4, "smtp_alert_vrrp", g->smtp_alert_vrrp);
	put_alert(out, 4, "smtp_alert_checker", g->smtp_alert_checker);
	put_uint(out, 4, "vrrp_version", g->vrrp_version);
	if (g->rt_priority)
		put_uint(out, 4, "vrrp_rt_priority", g->rt_priority);
	if (g->nice)
		fprintf(out, "    vrrp_priority %d\n", g->nice);
	if (g->no_swap)
		fputs("    vrrp_no_swap\n", out);
	if (g->script_user) {
		fputs("    script_user ", out);
		put_word(out, g->script_user);
		if (g->script_group) {
			fputc(' ', out);
			put_word(out, g->script_group);
		}
		fputc('\n', out);
	}
	if (g->enable_script_security)
		fputs("    enable_script_security\n", out);
	if (g->witness_zookeeper) {
		fputs("    witness_zookeeper ", out);
		put_word(out, g->witness_zookeeper);
		fputc('\n', out);
		put_secs(out, 4, "witness_session_timeout", g->witness_session_timeout_ms);
		fputs("    witness_root ", out);
		put_word(out, g->witness_root ? g->witness_root : "/xvip");
		fputc('\n', out);
	}
	if (g->metrics_listen) {
		char a[INET_ADDRSTRLEN];

		fprintf(out, "    metrics_listen %s:%u\n",
			inet_ntop(AF_INET, &g->metrics_addr, a, sizeof(a)), g->metrics_port);
	}
	fputs("}\n", out);

	for (size_t i = 0; i < cfg->n_scripts; i++) {
		const struct config_vrrp_script *s = &cfg->scripts[i];

		fputs("\nvrrp_script ", out);
		put_word(out, s->name);
		fputs(" {\n", out);
		put_command(out, 4, "script", &s->script);
		put_secs(out, 4, "interval", s->interval_ms);
		put_secs(out, 4, "timeout", s->timeout_ms);
		fprintf(out, "    weight %d\n", s->weight);
		put_uint(out, 4, "rise", s->rise);
		put_uint(out, 4, "fall", s->fall);
		if (s->user) {
			fputs("    user ", out);
			put_word(out, s->user);
			if (s->group) {
				fputc(' ', out);
				put_word(out, s->group);
			}
			fputc('\n', out);
		}
		fputs("}\n", out);
	}
	for (size_t i = 0; i < cfg->n_instances; i++)
		dump_instance(&cfg->instances[i], out);
	for (size_t i = 0; i < cfg->n_sync_groups; i++) {
		const struct config_sync_group *sg = &cfg->sync_groups[i];

		fputs("\nvrrp_sync_group ", out);
		put_word(out, sg->name);
		fputs(" {\n    group {\n", out);
		for (size_t m = 0; m < sg->n_members; m++) {
			fputs("        ", out);
			put_word(out, sg->members[m]);
			fputc('\n', out);
		}
		fputs("    }\n}\n", out);
	}
	for (size_t i = 0; i < cfg->n_virtual_servers; i++)
		dump_virtual_server(&cfg->virtual_servers[i], cfg->global.witness_zookeeper != NULL, out);
}
