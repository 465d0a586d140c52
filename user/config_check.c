// SPDX-License-Identifier: GPL-2.0
/*
 * What the configuration can only check once it is all read: required
 * keywords, VRRP version against advert_int and authentication, duplicate
 * VRIDs, VIPs and virtual servers, track_script names; and the defaults a
 * block inherits from its parent (a VIP's dev, a checker's delay_loop,
 * connect_ip/port and manage_read_only, a track weight).
 */
#include "config_int.h"

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

/* ---- whole-file checks and defaults ----------------------------------- */

__attribute__((format(printf, 4, 5)))
static void report_at(struct config_diag *diag, enum config_severity sev,
		      struct config_where w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(diag, sev, w.file, w.line, fmt, ap);
	va_end(ap);
}

static struct config_vrrp_script *find_script(struct xvip_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_scripts; i++)
		if (!strcmp(cfg->scripts[i].name, name))
			return &cfg->scripts[i];
	return NULL;
}

static void validate_instance(struct xvip_config *cfg, struct config_diag *diag, size_t idx,
			      struct instance_src *src)
{
	struct config_vrrp_instance *inst = &cfg->instances[idx];
	char buf[16];

	if (!src->interface.line)
		report_at(diag, CONFIG_ERROR, inst->where, "vrrp_instance '%s' has no interface",
			  inst->name);
	if (!src->virtual_router_id.line) {
		report_at(diag, CONFIG_ERROR, inst->where,
			  "vrrp_instance '%s' has no virtual_router_id", inst->name);
	} else if (inst->interface[0] && inst->virtual_router_id) {
		for (size_t j = 0; j < idx; j++) {
			const struct config_vrrp_instance *o = &cfg->instances[j];

			if (o->virtual_router_id == inst->virtual_router_id &&
			    !strcmp(o->interface, inst->interface)) {
				report_at(diag, CONFIG_ERROR, src->virtual_router_id,
					  "virtual_router_id %u on %s is already used by vrrp_instance '%s' (%s:%u)",
					  inst->virtual_router_id, inst->interface, o->name,
					  o->where.file, o->where.line);
				break;
			}
		}
	}

	if (!src->version.line)
		inst->version = cfg->global.vrrp_version;
	{
		struct config_where w = src->advert_int.line ? src->advert_int : inst->where;

		if (inst->version == 2 && inst->advert_int_ms % SEC) {
			report_at(diag, CONFIG_ERROR, w,
				  "advert_int %s: VRRPv2 advertises in whole seconds; fractional intervals need VRRP version 3 ('vrrp_version 3' in global_defs or 'version 3' in the instance)",
				  fmt_seconds(inst->advert_int_ms, buf));
		} else if (inst->version == 3 && inst->advert_int_ms > 40950) {
			report_at(diag, CONFIG_ERROR, w,
				  "advert_int %s is out of range for VRRPv3 (0.01..40.95 s)",
				  fmt_seconds(inst->advert_int_ms, buf));
		} else if (inst->version == 3 && inst->advert_int_ms % 10) {
			uint32_t rounded = (inst->advert_int_ms + 5) / 10 * 10;

			report_at(diag, CONFIG_WARNING, w,
				  "advert_int %s: VRRPv3 counts in centiseconds; rounded to %s",
				  fmt_seconds(inst->advert_int_ms, buf),
				  fmt_seconds(rounded, (char[16]){ 0 }));
			inst->advert_int_ms = rounded;
		}
	}

	if (src->authentication.line) {
		if (src->auth_pass_set && !src->auth_type_set) {
			report_at(diag, CONFIG_ERROR, src->authentication,
				  "authentication has auth_pass but no 'auth_type PASS'");
		} else if (inst->auth_type == CONFIG_AUTH_PASS && !src->auth_pass_set) {
			report_at(diag, CONFIG_ERROR, src->authentication,
				  "auth_type PASS needs an auth_pass");
		} else if (inst->version == 3 && inst->auth_type != CONFIG_AUTH_NONE) {
			report_at(diag, CONFIG_WARNING, src->authentication,
				  "VRRPv3 has no authentication; the authentication block of vrrp_instance '%s' is ignored",
				  inst->name);
			inst->auth_type = CONFIG_AUTH_NONE;
			memset(inst->auth_pass, 0, sizeof(inst->auth_pass));
		}
	}

	if (!src->virtual_ipaddress.line)
		report_at(diag, CONFIG_WARNING, inst->where,
			  "vrrp_instance '%s' has no virtual_ipaddress block; it will hold no address",
			  inst->name);
	else if (src->vip_items == 0)
		report_at(diag, CONFIG_ERROR, src->virtual_ipaddress,
			  "virtual_ipaddress block of vrrp_instance '%s' is empty", inst->name);
	for (size_t v = 0; v < inst->n_vips; v++) {
		struct config_vip *vip = &inst->vips[v];

		if (!vip->dev[0])
			memcpy(vip->dev, inst->interface, sizeof(vip->dev));
		for (size_t j = 0; j <= idx; j++) {
			const struct config_vrrp_instance *o = &cfg->instances[j];
			size_t end = j == idx ? v : o->n_vips;

			for (size_t k = 0; k < end; k++) {
				if (o->vips[k].addr.s_addr == vip->addr.s_addr) {
					report_at(diag, CONFIG_ERROR, vip->where,
						  "virtual_ipaddress %s is already held by vrrp_instance '%s' (%s:%u)",
						  inet_ntop(AF_INET, &vip->addr, buf, sizeof(buf)),
						  o->name, o->vips[k].where.file, o->vips[k].where.line);
					goto next_vip;
				}
			}
		}
next_vip:;
	}

	for (size_t t = 0; t < inst->n_track_scripts; t++) {
		struct config_track_script *ts = &inst->track_scripts[t];

		ts->script = find_script(cfg, ts->name);
		if (!ts->script) {
			report_at(diag, CONFIG_ERROR, ts->where,
				  "track_script '%s' in vrrp_instance '%s': no vrrp_script of that name is defined",
				  ts->name, inst->name);
		} else if (!ts->weight_set) {
			ts->weight = ts->script->weight;
		}
	}

	inst->initial_state = inst->configured_state;
	if (inst->nopreempt && inst->configured_state == CONFIG_STATE_MASTER) {
		report_at(diag, CONFIG_WARNING, src->nopreempt.line ? src->nopreempt : src->state,
			  "vrrp_instance '%s' has 'state MASTER' and 'nopreempt': xvipd honours nopreempt "
			  "(no automatic fail-back, the safe choice for MySQL) and starts as BACKUP, becoming "
			  "master only when no master is heard for master_down_interval (keepalived would "
			  "instead drop nopreempt here)",
			  inst->name);
		inst->initial_state = CONFIG_STATE_BACKUP;
	}
}

static void validate_virtual_server(struct xvip_config *cfg, struct config_diag *diag,
				    size_t idx)
{
	struct config_virtual_server *vs = &cfg->virtual_servers[idx];
	char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &vs->addr, buf, sizeof(buf));
	for (size_t j = 0; j < idx; j++) {
		const struct config_virtual_server *o = &cfg->virtual_servers[j];

		if (o->addr.s_addr == vs->addr.s_addr && o->port == vs->port &&
		    o->protocol == vs->protocol) {
			report_at(diag, CONFIG_ERROR, vs->where,
				  "duplicate virtual_server %s %u (first defined at %s:%u)", buf,
				  vs->port, o->where.file, o->where.line);
			break;
		}
	}
	if (vs->n_real_servers == 0)
		report_at(diag, CONFIG_WARNING, vs->where,
			  "virtual_server %s %u has no real_server", buf, vs->port);

	for (size_t r = 0; r < vs->n_real_servers; r++) {
		struct config_real_server *rs = &vs->real_servers[r];

		for (size_t c = 0; c < rs->n_checkers; c++) {
			struct config_checker *ck = &rs->checkers[c];

			switch (ck->type) {
			case CONFIG_CHECK_TCP:
				if (!ck->delay_loop_set)
					ck->u.tcp.delay_loop_ms = vs->delay_loop_ms;
				if (!ck->connect_port_set)
					ck->u.tcp.connect_port = rs->port;
				if (!ck->connect_ip_set)
					ck->u.tcp.connect_ip = rs->addr;
				break;
			case CONFIG_CHECK_MISC:
				if (!ck->delay_loop_set)
					ck->u.misc.delay_loop_ms = vs->delay_loop_ms;
				if (!ck->misc_timeout_set)
					ck->u.misc.misc_timeout_ms = ck->u.misc.delay_loop_ms;
				if (!ck->u.misc.misc_path.text)
					report_at(diag, CONFIG_ERROR, ck->where,
						  "MISC_CHECK has no misc_path");
				break;
			case CONFIG_CHECK_MYSQL:
				if (!ck->manage_read_only_set)
					ck->u.mysql.manage_read_only = vs->manage_read_only;
				if (!ck->u.mysql.user)
					report_at(diag, CONFIG_ERROR, ck->where,
						  "MYSQL_CHECK has no user");
				if (ck->u.mysql.password && ck->u.mysql.password_file)
					report_at(diag, CONFIG_ERROR, ck->where,
						  "MYSQL_CHECK has both password and password_file; keep one");
				break;
			}
		}
	}
}

void config_validate(struct xvip_config *cfg, struct config_diag *diag, struct parse_state *ps)
{
	if (!cfg->global.router_id) {
		char host[256] = "localhost";

		if (gethostname(host, sizeof(host) - 1) != 0)
			strcpy(host, "localhost");
		cfg->global.router_id = xstrdup(host);
	}
	for (size_t i = 0; i < cfg->n_scripts; i++) {
		struct config_vrrp_script *s = &cfg->scripts[i];

		if (!s->script.text)
			report_at(diag, CONFIG_ERROR, s->where, "vrrp_script '%s' has no script",
				  s->name);
		if (!s->timeout_ms)
			s->timeout_ms = s->interval_ms;
	}
	for (size_t i = 0; i < cfg->n_instances; i++)
		validate_instance(cfg, diag, i, &ps->instance_src[i]);
	for (size_t g = 0; g < cfg->n_sync_groups; g++) {
		const struct config_sync_group *sg = &cfg->sync_groups[g];

		for (size_t m = 0; m < sg->n_members; m++)
			if (!config_find_instance(cfg, sg->members[m]))
				report_at(diag, CONFIG_WARNING, sg->where,
					  "vrrp_sync_group '%s' names vrrp_instance '%s', which is not defined",
					  sg->name, sg->members[m]);
	}
	for (size_t i = 0; i < cfg->n_virtual_servers; i++)
		validate_virtual_server(cfg, diag, i);
}
