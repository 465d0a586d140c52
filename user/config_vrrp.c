// SPDX-License-Identifier: GPL-2.0
/*
 * The VRRP side of the configuration: global_defs, vrrp_script,
 * vrrp_instance and vrrp_sync_group. Keywords that only set a field are
 * KEY_SET_* entries of the tables; the others have a handler here. What
 * needs the whole file is checked later, in config_check.c.
 */
#include "config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- global_defs ------------------------------------------------------ */

static void email_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_global *g = ctx;

	for (size_t i = 0; i < st->ntok; i++)
		if (!push_string(p->ld, &g->notification_email, &g->n_notification_email,
				 st->tok[i].text))
			return;
}

static void kw_notification_email(struct parser *p, const struct stmt *st, void *ctx)
{
	parse_list(p, st, email_item, ctx);
}

static void kw_smtp_server(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_global *g = ctx;
	uint16_t port = 25;

	if (!want_args(p, st, 1, 2))
		return;
	if (st->ntok > 2 && !parse_port_tok(p, st, "smtp_server port", st->tok[2].text, &port))
		return;
	free(g->smtp_server);
	g->smtp_server = cfg_strdup(p->ld, st->tok[1].text);
	g->smtp_port = port;
}

/* metrics_listen ADDR[:PORT] */
static void kw_metrics_listen(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_global *g = ctx;
	char addr[64];
	const char *colon;
	uint16_t port = 10112;

	if (!want_args(p, st, 1, 1))
		return;
	colon = strchr(st->tok[1].text, ':');
	snprintf(addr, sizeof(addr), "%.*s",
		 colon ? (int)(colon - st->tok[1].text) : (int)strlen(st->tok[1].text),
		 st->tok[1].text);
	if (!parse_ipv4_tok(p, st, "metrics_listen", addr, &g->metrics_addr))
		return;
	if (colon && !parse_port_tok(p, st, "metrics_listen port", colon + 1, &port))
		return;
	g->metrics_port = port;
	g->metrics_listen = true;
}

static void kw_g_smtp_alert(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_alert(p, st, &((struct config_global *)ctx)->smtp_alert);
}

static void kw_g_smtp_alert_vrrp(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_alert(p, st, &((struct config_global *)ctx)->smtp_alert_vrrp);
}

static void kw_g_smtp_alert_checker(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_alert(p, st, &((struct config_global *)ctx)->smtp_alert_checker);
}

static void kw_script_user(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_global *g = ctx;

	set_user_group(p, st, &g->script_user, &g->script_group);
}

static const struct keyword global_keywords[] = {
	KEY_SET_STRING("router_id", struct config_global, router_id),
	KEY_BLOCK("notification_email", kw_notification_email),
	KEY_SET_STRING("notification_email_from", struct config_global, notification_email_from),
	KEY("smtp_server", kw_smtp_server),
	KEY_SET_DURATION("smtp_connect_timeout", struct config_global, smtp_connect_timeout_ms, 1,
			 3600 * SEC),
	KEY_SET_STRING("smtp_helo_name", struct config_global, smtp_helo_name),
	KEY_SET_BOOL("vip_arp_all_interfaces", struct config_global, vip_arp_all_interfaces),
	KEY("smtp_alert", kw_g_smtp_alert),
	KEY("smtp_alert_vrrp", kw_g_smtp_alert_vrrp),
	KEY("smtp_alert_checker", kw_g_smtp_alert_checker),
	KEY_SET_UINT("vrrp_version", struct config_global, vrrp_version, 2, 3),
	KEY_SET_UINT("vrrp_rt_priority", struct config_global, rt_priority, 1, 99),
	KEY_SET_INT("vrrp_priority", struct config_global, nice, -20, 19),
	KEY_SET_FLAG("vrrp_no_swap", struct config_global, no_swap),
	KEY("script_user", kw_script_user),
	KEY_SET_FLAG("enable_script_security", struct config_global, enable_script_security),
	KEY_SET_STRING("witness_zookeeper", struct config_global, witness_zookeeper),
	KEY_SET_DURATION("witness_session_timeout", struct config_global, witness_session_timeout_ms,
			 200, 60 * SEC),
	KEY_SET_STRING("witness_root", struct config_global, witness_root),
	KEY("metrics_listen", kw_metrics_listen),
	KEY_END,
};

static const char *const global_unsupported[] = {
	"lvs_id", "vrrp_strict", "vrrp_skip_check_adv_addr", "vrrp_garp_interval",
	"vrrp_gna_interval", "vrrp_mcast_group4", "vrrp_mcast_group6", "enable_traps",
	"vrrp_iptables", "vrrp_check_unicast_src", "max_auto_priority", "lvs_sync_daemon",
	NULL,
};

static const struct block_def global_block = { "global_defs", global_keywords,
						global_unsupported, NULL };

void kw_global_defs(struct parser *p, const struct stmt *st, void *ctx)
{
	struct xvip_config *cfg = ((struct top_ctx *)ctx)->cfg;

	want_args(p, st, 0, 0);
	parse_block(p, &global_block, &cfg->global, st);
}

/* ---- vrrp_script ------------------------------------------------------ */

static void kw_script_script(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_vrrp_script *s = ctx;
	struct config_command *c = arg_command(p, st);

	if (!c)
		return;
	free_command_fields(&s->script);
	s->script = *c;
	free(c);
}

static void kw_script_weight(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_vrrp_script *s = ctx;

	if (st->ntok > 2 && !strcmp(st->tok[2].text, "reverse")) {
		error_at(p, st, "weight ... reverse is not supported by xvipd");
		return;
	}
	arg_int(p, st, -253, 253, &s->weight);
}

static void kw_script_user_inner(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_vrrp_script *s = ctx;

	set_user_group(p, st, &s->user, &s->group);
}

static const struct keyword script_keywords[] = {
	KEY("script", kw_script_script),
	KEY_SET_DURATION("interval", struct config_vrrp_script, interval_ms, 10, DAY_MS),
	KEY_SET_DURATION("timeout", struct config_vrrp_script, timeout_ms, 10, DAY_MS),
	KEY("weight", kw_script_weight),
	KEY_SET_UINT("rise", struct config_vrrp_script, rise, 1, 1000000),
	KEY_SET_UINT("fall", struct config_vrrp_script, fall, 1, 1000000),
	KEY("user", kw_script_user_inner),
	KEY_END,
};

static const char *const script_unsupported[] = { "init_fail", NULL };

static const struct block_def script_block = { "vrrp_script", script_keywords,
						script_unsupported, NULL };

/* The name of a named block (vrrp_instance NAME {); NULL after an error. */
static const char *block_name(struct parser *p, const struct stmt *st)
{
	if (st->ntok < 2) {
		error_at(p, st, "missing argument for '%s': it needs a name", kw(st));
		return NULL;
	}
	if (st->ntok > 2)
		warn_at(p, st, "extra argument '%s' after '%s %s' ignored", st->tok[2].text, kw(st),
			st->tok[1].text);
	return st->tok[1].text;
}

void kw_vrrp_script(struct parser *p, const struct stmt *st, void *ctx)
{
	struct top_ctx *top = ctx;
	struct xvip_config *cfg = top->cfg;
	const char *name = block_name(p, st);
	struct config_vrrp_script *s;
	size_t first;

	if (!name) {
		skip_block(p, st);
		return;
	}
	first = name_map_first(p->ld, &top->ps->script_names, name, cfg->n_scripts);
	if (first != cfg->n_scripts)
		error_at(p, st, "duplicate vrrp_script '%s' (first defined at %s:%u)", name,
			 cfg->scripts[first].where.file, cfg->scripts[first].where.line);
	s = PUSH(p->ld, cfg->scripts, cfg->n_scripts);
	if (!s)
		return;
	s->name = cfg_strdup(p->ld, name);
	s->where = where_of(st);
	s->interval_ms = 1 * SEC;
	s->rise = 1;
	s->fall = 1;
	parse_block(p, &script_block, s, st);
}

/* ---- vrrp_instance ---------------------------------------------------- */

struct instance_ctx {
	struct config_vrrp_instance *inst;
	struct instance_src *src;
	struct name_map peers;
};

static void kw_state(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (!want_args(p, st, 1, 1))
		return;
	if (!strcasecmp(st->tok[1].text, "MASTER")) {
		ic->inst->configured_state = CONFIG_STATE_MASTER;
	} else if (!strcasecmp(st->tok[1].text, "BACKUP")) {
		ic->inst->configured_state = CONFIG_STATE_BACKUP;
	} else {
		error_at(p, st, "state: '%s' is neither MASTER nor BACKUP", st->tok[1].text);
		return;
	}
	ic->src->state = where_of(st);
}

static void kw_i_smtp_alert(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_alert(p, st, &((struct instance_ctx *)ctx)->inst->smtp_alert);
}

static void kw_interface(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	ic->src->interface = where_of(st);
	if (want_args(p, st, 1, 1))
		parse_ifname_tok(p, st, st->tok[1].text, ic->inst->interface);
}

static void kw_virtual_router_id(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	unsigned v;

	ic->src->virtual_router_id = where_of(st);
	if (arg_uint(p, st, 1, 255, &v))
		ic->inst->virtual_router_id = (uint8_t)v;
}

static void kw_priority(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	unsigned v;

	/* 255 is the address owner's priority; accepted like keepalived does */
	if (arg_uint(p, st, 1, 255, &v))
		ic->inst->priority = (uint8_t)v;
}

static void kw_advert_int(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	/* the limits for the VRRP version in use are checked after parsing,
	 * since `version` may come after advert_int */
	if (arg_duration(p, st, 10, 255 * SEC, &ic->inst->advert_int_ms))
		ic->src->advert_int = where_of(st);
}

static void kw_liveness_interval(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (arg_duration(p, st, 1, SEC, &ic->inst->liveness_interval_ms))
		ic->src->liveness_interval = where_of(st);
}

static void kw_auth_key_file(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	struct config_vrrp_instance *inst = ic->inst;

	if (!want_args(p, st, 1, 2))
		return;
	free(inst->auth_key_file);
	free(inst->auth_key_file2);
	inst->auth_key_file2 = NULL;
	inst->auth_key_file = cfg_strdup(p->ld, st->tok[1].text);
	if (st->ntok > 2)
		inst->auth_key_file2 = cfg_strdup(p->ld, st->tok[2].text);
	if (inst->auth_key_file)
		ic->src->auth_key_file = where_of(st);
}

static void kw_liveness_multiplier(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (arg_uint(p, st, 2, 50, &ic->inst->liveness_multiplier))
		ic->src->liveness_multiplier = where_of(st);
}

static void kw_version(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (arg_uint(p, st, 2, 3, &ic->inst->version))
		ic->src->version = where_of(st);
}

static void kw_nopreempt(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	arg_flag(p, st);
	ic->inst->nopreempt = true;
	ic->src->nopreempt = where_of(st);
}

static void kw_preempt(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	arg_flag(p, st);
	ic->inst->nopreempt = false;
	ic->src->nopreempt = (struct config_where){ 0 };
}

static void kw_auth_type(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (!want_args(p, st, 1, 1))
		return;
	if (!strcasecmp(st->tok[1].text, "PASS")) {
		ic->inst->auth_type = CONFIG_AUTH_PASS;
		ic->src->auth_type_set = true;
	} else if (!strcasecmp(st->tok[1].text, "AH")) {
		error_at(p, st, "auth_type AH is not supported by xvipd (use PASS, or none)");
	} else {
		error_at(p, st, "auth_type: '%s' is neither PASS nor AH", st->tok[1].text);
	}
}

static void kw_auth_pass(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	char *pass = ic->inst->auth_pass;

	if (!want_args(p, st, 1, 1))
		return;
	if (strlen(st->tok[1].text) > 8)
		warn_at(p, st, "auth_pass is longer than 8 characters; only '%.8s' is used "
			"(as keepalived does)", st->tok[1].text);
	snprintf(pass, sizeof(ic->inst->auth_pass), "%.8s", st->tok[1].text);
	ic->src->auth_pass_set = true;
}

static const struct keyword auth_keywords[] = {
	KEY("auth_type", kw_auth_type),
	KEY("auth_pass", kw_auth_pass),
	KEY_END,
};

static const struct block_def auth_block = { "authentication", auth_keywords, NULL, NULL };

static void kw_authentication(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	ic->src->authentication = where_of(st);
	parse_block(p, &auth_block, ctx, st);
}

/* A.B.C.D[/len] [dev IF] [label X] */
static void vip_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	struct config_vip vip = { .prefix_len = 32, .where = where_of(st) };
	char *addr = cfg_strdup(p->ld, st->tok[0].text), *slash;
	struct config_vip *slot;
	bool ok = true;

	ic->src->vip_items++;
	if (!addr)
		return;
	slash = strchr(addr, '/');
	if (slash) {
		unsigned len;

		*slash = '\0';
		if (parse_uint_tok(p, st, "prefix length", slash + 1, 0, 32, &len))
			vip.prefix_len = (uint8_t)len;
		else
			ok = false;
	}
	ok = parse_ipv4_tok(p, st, "virtual_ipaddress", addr, &vip.addr) && ok;
	free(addr);

	for (size_t i = 1; i < st->ntok; i++) {
		const char *opt = st->tok[i].text;

		if (i + 1 >= st->ntok &&
		    (!strcmp(opt, "dev") || !strcmp(opt, "label") || !strcmp(opt, "brd") ||
		     !strcmp(opt, "scope"))) {
			error_at(p, st, "missing argument for '%s' in virtual_ipaddress", opt);
			ok = false;
			break;
		}
		if (!strcmp(opt, "dev")) {
			ok = parse_ifname_tok(p, st, st->tok[++i].text, vip.dev) && ok;
		} else if (!strcmp(opt, "label")) {
			free(vip.label);
			vip.label = cfg_strdup(p->ld, st->tok[++i].text);
		} else if (!strcmp(opt, "brd") || !strcmp(opt, "scope")) {
			warn_at(p, st, "virtual_ipaddress option '%s %s' is not supported by xvipd, ignored",
				opt, st->tok[i + 1].text);
			i++;
		} else {
			warn_at(p, st, "unknown virtual_ipaddress option '%s', ignored", opt);
		}
	}
	slot = ok ? PUSH(p->ld, ic->inst->vips, ic->inst->n_vips) : NULL;
	if (!slot) {
		free(vip.label);
		return;
	}
	*slot = vip;
}

static void kw_virtual_ipaddress(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	want_args(p, st, 0, 0);
	ic->src->virtual_ipaddress = where_of(st);
	parse_list(p, st, vip_item, ctx);
}

static void kw_vip_mode(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (!want_args(p, st, 1, 1))
		return;
	if (!strcmp(st->tok[1].text, "lo"))
		ic->inst->vip_mode = CONFIG_VIP_MODE_LO;
	else if (!strcmp(st->tok[1].text, "interface"))
		ic->inst->vip_mode = CONFIG_VIP_MODE_INTERFACE;
	else
		error_at(p, st, "vip_mode: '%s' is neither lo nor interface", st->tok[1].text);
}

static void kw_unicast_src_ip(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (arg_ipv4(p, st, &ic->inst->unicast_src_ip))
		ic->inst->unicast_src_set = true;
}

static void peer_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	struct in_addr a, *slot;
	char key[16];

	if (!parse_ipv4_tok(p, st, "unicast_peer", st->tok[0].text, &a))
		return;
	if (st->ntok > 1)
		warn_at(p, st, "unicast_peer option '%s' is not supported by xvipd, ignored",
			st->tok[1].text);
	snprintf(key, sizeof(key), "%08x", (unsigned)a.s_addr);
	if (name_map_first(p->ld, &ic->peers, key, ic->inst->n_unicast_peers) !=
	    ic->inst->n_unicast_peers) {
		warn_at(p, st, "unicast_peer %s listed twice", st->tok[0].text);
		return;
	}
	slot = PUSH(p->ld, ic->inst->unicast_peers, ic->inst->n_unicast_peers);
	if (slot)
		*slot = a;
}

static void kw_unicast_peer(struct parser *p, const struct stmt *st, void *ctx)
{
	want_args(p, st, 0, 0);
	parse_list(p, st, peer_item, ctx);
}

/* `NAME [weight N]` for track_interface and track_script items. */
static bool parse_track_weight(struct parser *p, const struct stmt *st, bool *set, int *weight)
{
	if (st->ntok == 1)
		return true;
	if (strcmp(st->tok[1].text, "weight")) {
		error_at(p, st, "%s: expected 'weight N' after '%s', found '%s'", "track item",
			 st->tok[0].text, st->tok[1].text);
		return false;
	}
	if (st->ntok < 3) {
		error_at(p, st, "missing argument for 'weight' after '%s'", st->tok[0].text);
		return false;
	}
	if (st->ntok > 3)
		warn_at(p, st, "extra argument '%s' after 'weight %s' ignored", st->tok[3].text,
			st->tok[2].text);
	if (!parse_int_tok(p, st, "weight", st->tok[2].text, -253, 253, weight))
		return false;
	*set = true;
	return true;
}

static void track_if_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	struct config_track_interface t = { .where = where_of(st) }, *slot;
	bool set = false;

	if (!parse_ifname_tok(p, st, st->tok[0].text, t.name) ||
	    !parse_track_weight(p, st, &set, &t.weight))
		return;
	slot = PUSH(p->ld, ic->inst->track_interfaces, ic->inst->n_track_interfaces);
	if (slot)
		*slot = t;
}

static void kw_track_interface(struct parser *p, const struct stmt *st, void *ctx)
{
	want_args(p, st, 0, 0);
	parse_list(p, st, track_if_item, ctx);
}

static void track_script_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	struct config_track_script t = { .where = where_of(st) }, *slot;

	if (!parse_track_weight(p, st, &t.weight_set, &t.weight))
		return;
	t.name = cfg_strdup(p->ld, st->tok[0].text);
	slot = t.name ? PUSH(p->ld, ic->inst->track_scripts, ic->inst->n_track_scripts) : NULL;
	if (!slot) {
		free(t.name);
		return;
	}
	*slot = t;
}

static void kw_track_script(struct parser *p, const struct stmt *st, void *ctx)
{
	want_args(p, st, 0, 0);
	parse_list(p, st, track_script_item, ctx);
}

#define INST struct config_vrrp_instance
static const struct keyword instance_keywords[] = {
	KEY("state", kw_state),
	KEY("interface", kw_interface),
	KEY("virtual_router_id", kw_virtual_router_id),
	KEY("priority", kw_priority),
	KEY("advert_int", kw_advert_int),
	KEY("version", kw_version),
	KEY("nopreempt", kw_nopreempt),
	KEY("preempt", kw_preempt),
	KEY_SET_DURATION("preempt_delay", INST, preempt_delay_ms, 0, 1000 * SEC),
	KEY_BLOCK("authentication", kw_authentication),
	KEY_BLOCK("virtual_ipaddress", kw_virtual_ipaddress),
	KEY("vip_mode", kw_vip_mode),
	KEY("unicast_src_ip", kw_unicast_src_ip),
	KEY_BLOCK("unicast_peer", kw_unicast_peer),
	KEY_SET_UINT("unicast_ttl", INST, unicast_ttl, 1, 255),
	KEY_BLOCK("track_interface", kw_track_interface),
	KEY_BLOCK("track_script", kw_track_script),
	KEY_SET_COMMAND("notify_master", INST, notify_master),
	KEY_SET_COMMAND("notify_backup", INST, notify_backup),
	KEY_SET_COMMAND("notify_fault", INST, notify_fault),
	KEY_SET_COMMAND("notify_stop", INST, notify_stop),
	KEY_SET_COMMAND("notify", INST, notify),
	KEY_SET_DURATION("garp_master_delay", INST, garp_master_delay_ms, 0, 1000 * SEC),
	KEY_SET_UINT("garp_master_repeat", INST, garp_master_repeat, 1, 255),
	KEY_SET_DURATION("garp_master_refresh", INST, garp_master_refresh_ms, 0, DAY_MS),
	KEY_SET_UINT("garp_master_refresh_repeat", INST, garp_master_refresh_repeat, 1, 255),
	KEY("liveness_interval", kw_liveness_interval),
	KEY("smtp_alert", kw_i_smtp_alert),
	KEY("liveness_multiplier", kw_liveness_multiplier),
	KEY("auth_key_file", kw_auth_key_file),
	KEY_END,
};
#undef INST

static const char *const instance_unsupported[] = {
	"mcast_src_ip", "dont_track_primary", "use_vmac", "vmac_xmit_base",
	"virtual_ipaddress_excluded", "virtual_routes", "virtual_rules", "track_process",
	"track_file", "track_bfd", "accept", "no_accept", "strict_mode", "lvs_sync_daemon_interface",
	"garp_lower_prio_delay", "garp_lower_prio_repeat", "debug", "notify_deleted",
	NULL,
};

static void *instance_target(void *ctx)
{
	return ((struct instance_ctx *)ctx)->inst;
}

static const struct block_def instance_block = { "vrrp_instance", instance_keywords,
						  instance_unsupported, instance_target };

void kw_vrrp_instance(struct parser *p, const struct stmt *st, void *ctx)
{
	struct top_ctx *top = ctx;
	struct xvip_config *cfg = top->cfg;
	const char *name = block_name(p, st);
	struct config_vrrp_instance *inst;
	struct instance_ctx ic = { 0 };
	size_t first;

	if (!name) {
		skip_block(p, st);
		return;
	}
	first = name_map_first(p->ld, &top->ps->instance_names, name, cfg->n_instances);
	if (first != cfg->n_instances)
		error_at(p, st, "duplicate vrrp_instance '%s' (first defined at %s:%u)", name,
			 cfg->instances[first].where.file, cfg->instances[first].where.line);
	/* the sidecar first: an instance without one must not exist */
	ic.src = PUSH(p->ld, top->ps->instance_src, top->ps->n_instance_src);
	inst = ic.src ? PUSH(p->ld, cfg->instances, cfg->n_instances) : NULL;
	if (!inst)
		return;
	ic.inst = inst;
	inst->name = cfg_strdup(p->ld, name);
	inst->where = where_of(st);
	inst->priority = 100;
	inst->advert_int_ms = 1 * SEC;
	inst->garp_master_delay_ms = 5 * SEC;
	inst->garp_master_repeat = 5;
	inst->unicast_ttl = 255;
	inst->liveness_multiplier = 3;
	inst->garp_master_refresh_repeat = 1;
	parse_block(p, &instance_block, &ic, st);
	name_map_free(&ic.peers);
}

/* ---- vrrp_sync_group -------------------------------------------------- */

static void group_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_sync_group *g = ctx;

	for (size_t i = 0; i < st->ntok; i++)
		if (!push_string(p->ld, &g->members, &g->n_members, st->tok[i].text))
			return;
}

static void kw_sync_group_group(struct parser *p, const struct stmt *st, void *ctx)
{
	parse_list(p, st, group_item, ctx);
}

static void kw_sync_group_ignored(struct parser *p, const struct stmt *st, void *ctx)
{
	(void)ctx;
	warn_at(p, st, "'%s' in vrrp_sync_group is ignored: set it on each vrrp_instance",
		kw(st));
}

static const struct keyword sync_group_keywords[] = {
	KEY_BLOCK("group", kw_sync_group_group),
	KEY("notify_master", kw_sync_group_ignored),
	KEY("notify_backup", kw_sync_group_ignored),
	KEY("notify_fault", kw_sync_group_ignored),
	KEY("notify_stop", kw_sync_group_ignored),
	KEY("notify", kw_sync_group_ignored),
	KEY_END,
};

static const struct block_def sync_group_block = { "vrrp_sync_group", sync_group_keywords,
						    NULL, NULL };

void kw_vrrp_sync_group(struct parser *p, const struct stmt *st, void *ctx)
{
	struct top_ctx *top = ctx;
	const char *name = block_name(p, st);
	struct config_sync_group *g;

	if (!name) {
		skip_block(p, st);
		return;
	}
	warn_at(p, st, "vrrp_sync_group '%s' is accepted but its instances run independently "
		"(xvipd does not move them together)", name);
	g = PUSH(p->ld, top->cfg->sync_groups, top->cfg->n_sync_groups);
	if (!g)
		return;
	g->name = cfg_strdup(p->ld, name);
	g->where = where_of(st);
	parse_block(p, &sync_group_block, g, st);
}
