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
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- names -------------------------------------------------------------- */

static uint64_t hash_key(const char *s)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct name_slot *slot_of(const struct name_map *m, const char *key)
{
	size_t i = (size_t)hash_key(key) & (m->cap - 1);

	while (m->slots[i].key && strcmp(m->slots[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

size_t name_map_find(const struct name_map *m, const char *key)
{
	const struct name_slot *s = m->cap ? slot_of(m, key) : NULL;

	return s && s->key ? s->index : SIZE_MAX;
}

size_t name_map_first(struct load *ld, struct name_map *m, const char *key, size_t index)
{
	struct name_slot *s;

	if (m->cap && (s = slot_of(m, key))->key)
		return s->index;
	if (2 * (m->n + 1) > m->cap) { /* at most half full */
		struct name_map bigger = { .cap = m->cap ? m->cap * 2 : 16, .n = m->n };

		bigger.slots = cfg_alloc(ld, bigger.cap, sizeof(*bigger.slots));
		if (!bigger.slots)
			return index;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].key)
				*slot_of(&bigger, m->slots[i].key) = m->slots[i];
		free(m->slots);
		*m = bigger;
	}
	s = slot_of(m, key);
	s->key = cfg_strdup(ld, key);
	if (s->key) {
		s->index = index;
		m->n++;
	}
	return index;
}

void name_map_free(struct name_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- whole-file checks and defaults ----------------------------------- */

__attribute__((format(printf, 4, 5)))
static void report_at(struct load *ld, enum config_severity sev,
		      struct config_where w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ld, sev, w.file, w.line, fmt, ap);
	va_end(ap);
}

/* A file named by ssl_ca, ssl_cert or ssl_key: there, a regular file
 * (xvipd runs as root: the check is for a typo, not for permissions). */
static void check_tls_file(struct load *ld, const struct config_checker *ck, const char *what,
			   const char *path)
{
	struct stat sb;

	if (!path)
		return;
	if (path[0] != '/')
		report_at(ld, CONFIG_ERROR, ck->where, "MYSQL_CHECK %s '%s': an absolute path, please",
			  what, path);
	else if (stat(path, &sb) < 0)
		report_at(ld, CONFIG_ERROR, ck->where, "MYSQL_CHECK %s '%s': %s", what, path,
			  strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		report_at(ld, CONFIG_ERROR, ck->where, "MYSQL_CHECK %s '%s': not a regular file",
			  what, path);
}

/* TLS settings: a CA, a certificate or a key alone means TLS is wanted
 * (verify_identity with a CA, required without, unless ssl_mode says); a
 * certificate needs its key; checking the server needs a CA. */
static void check_mysql_tls(struct load *ld, struct config_checker *ck)
{
	struct config_mysql_check *m = &ck->u.mysql;

	check_tls_file(ld, ck, "ssl_ca", m->ssl_ca);
	check_tls_file(ld, ck, "ssl_cert", m->ssl_cert);
	check_tls_file(ld, ck, "ssl_key", m->ssl_key);
	if (!m->ssl_cert != !m->ssl_key)
		report_at(ld, CONFIG_ERROR, ck->where, "MYSQL_CHECK has %s without %s",
			  m->ssl_cert ? "ssl_cert" : "ssl_key", m->ssl_cert ? "ssl_key" : "ssl_cert");
	if (!ck->ssl_mode_set && (m->ssl_ca || m->ssl_cert || m->ssl_key))
		m->ssl_mode = m->ssl_ca ? CONFIG_SSL_VERIFY : CONFIG_SSL_REQUIRED;
	if ((m->ssl_mode == CONFIG_SSL_VERIFY || m->ssl_mode == CONFIG_SSL_VERIFY_CA) && !m->ssl_ca)
		report_at(ld, CONFIG_ERROR, ck->where,
			  "MYSQL_CHECK ssl_mode %s needs ssl_ca (the CA to check the server's "
			  "certificate against)", m->ssl_mode == CONFIG_SSL_VERIFY ? "verify_identity" :
			  "verify_ca");
	if (m->ssl_mode == CONFIG_SSL_OFF && (m->ssl_ca || m->ssl_cert || m->ssl_key))
		report_at(ld, CONFIG_WARNING, ck->where,
			  "MYSQL_CHECK ssl_mode off: its ssl_ca/ssl_cert/ssl_key are not used");
	if (m->ssl_mode == CONFIG_SSL_REQUIRED && m->ssl_ca)
		report_at(ld, CONFIG_WARNING, ck->where,
			  "MYSQL_CHECK ssl_mode required does not check the server's certificate: "
			  "its ssl_ca is not used (verify_ca or verify_identity check it)");
}

/* What validate_instance() checks each instance against: the ones before. */
struct vip_ref {
	size_t inst, vip;
};

struct seen {
	struct name_map vrids; /* "VRID interface" -> instance */
	struct name_map vips;  /* address -> position in vip_refs */
	struct vip_ref *vip_refs;
	size_t n_vip_refs;
	struct name_map services; /* "address port protocol" -> virtual server */
};

static void validate_instance(struct load *ld, struct parse_state *ps, struct seen *seen,
			      size_t idx)
{
	struct xvip_config *cfg = ld->cfg;
	struct config_vrrp_instance *inst = &cfg->instances[idx];
	struct instance_src *src = &ps->instance_src[idx];
	char buf[16], key[32];

	if (!src->interface.line)
		report_at(ld, CONFIG_ERROR, inst->where, "vrrp_instance '%s' has no interface",
			  inst->name);
	if (!src->virtual_router_id.line) {
		report_at(ld, CONFIG_ERROR, inst->where,
			  "vrrp_instance '%s' has no virtual_router_id", inst->name);
	} else if (inst->interface[0] && inst->virtual_router_id) {
		size_t j;

		snprintf(key, sizeof(key), "%u %s", inst->virtual_router_id, inst->interface);
		j = name_map_first(ld, &seen->vrids, key, idx);
		if (j != idx) {
			const struct config_vrrp_instance *o = &cfg->instances[j];

			report_at(ld, CONFIG_ERROR, src->virtual_router_id,
				  "virtual_router_id %u on %s is already used by vrrp_instance '%s' (%s:%u)",
				  inst->virtual_router_id, inst->interface, o->name,
				  o->where.file, o->where.line);
		}
	}

	if (!src->version.line)
		inst->version = cfg->global.vrrp_version;
	{
		struct config_where w = src->advert_int.line ? src->advert_int : inst->where;

		if (inst->version == 2 && inst->advert_int_ms % SEC) {
			report_at(ld, CONFIG_ERROR, w,
				  "advert_int %s: VRRPv2 advertises in whole seconds; fractional intervals need VRRP version 3 ('vrrp_version 3' in global_defs or 'version 3' in the instance)",
				  fmt_seconds(inst->advert_int_ms, buf));
		} else if (inst->version == 3 && inst->advert_int_ms > 40950) {
			report_at(ld, CONFIG_ERROR, w,
				  "advert_int %s is out of range for VRRPv3 (0.01..40.95 s)",
				  fmt_seconds(inst->advert_int_ms, buf));
		} else if (inst->version == 3 && inst->advert_int_ms % 10) {
			uint32_t rounded = (inst->advert_int_ms + 5) / 10 * 10;

			report_at(ld, CONFIG_WARNING, w,
				  "advert_int %s: VRRPv3 counts in centiseconds; rounded to %s",
				  fmt_seconds(inst->advert_int_ms, buf),
				  fmt_seconds(rounded, (char[16]){ 0 }));
			inst->advert_int_ms = rounded;
		}
	}

	if (src->liveness_multiplier.line && !inst->liveness_interval_ms)
		report_at(ld, CONFIG_WARNING, src->liveness_multiplier,
			  "liveness_multiplier without liveness_interval: fast liveness stays off");
	if (inst->liveness_interval_ms) {
		uint64_t detect = (uint64_t)inst->liveness_interval_ms * inst->liveness_multiplier;

		if (detect >= 3ull * inst->advert_int_ms)
			report_at(ld, CONFIG_WARNING, src->liveness_interval,
				  "liveness_interval %ums x liveness_multiplier %u = %llu ms is not shorter than VRRP's master_down_interval (3 x advert_int %s s): fast liveness adds nothing",
				  inst->liveness_interval_ms, inst->liveness_multiplier,
				  (unsigned long long)detect, fmt_seconds(inst->advert_int_ms, buf));
		if (!cfg->global.rt_priority && inst->liveness_interval_ms < 10)
			report_at(ld, CONFIG_WARNING, src->liveness_interval,
				  "liveness_interval %ums without vrrp_rt_priority in global_defs: on a busy host the master's daemon can be late to renew its %ums lease, and its backup takes over",
				  inst->liveness_interval_ms, 2 * inst->liveness_interval_ms);
	}

	if (inst->auth_key_file) {
		char why[512];

		if (vrrp_auth_load_key(inst->auth_key_file, &inst->auth_key, why, sizeof(why)) < 0)
			report_at(ld, CONFIG_ERROR, src->auth_key_file, "%s", why);
		if (inst->auth_key_file2 &&
		    vrrp_auth_load_key(inst->auth_key_file2, &inst->auth_key2, why, sizeof(why)) < 0)
			report_at(ld, CONFIG_ERROR, src->auth_key_file, "%s (the second key)", why);
		/* with liveness_interval too, the echoes are keyed by it
		 * (include/xvip.h, struct liv_wire_key) */
	}

	if (src->authentication.line) {
		if (src->auth_pass_set && !src->auth_type_set) {
			report_at(ld, CONFIG_ERROR, src->authentication,
				  "authentication has auth_pass but no 'auth_type PASS'");
		} else if (inst->auth_type == CONFIG_AUTH_PASS && !src->auth_pass_set) {
			report_at(ld, CONFIG_ERROR, src->authentication,
				  "auth_type PASS needs an auth_pass");
		} else if (inst->version == 3 && inst->auth_type != CONFIG_AUTH_NONE) {
			report_at(ld, CONFIG_WARNING, src->authentication,
				  "VRRPv3 has no authentication; the authentication block of vrrp_instance '%s' is ignored",
				  inst->name);
			inst->auth_type = CONFIG_AUTH_NONE;
			memset(inst->auth_pass, 0, sizeof(inst->auth_pass));
		}
	}

	if (!src->virtual_ipaddress.line)
		report_at(ld, CONFIG_WARNING, inst->where,
			  "vrrp_instance '%s' has no virtual_ipaddress block; it will hold no address",
			  inst->name);
	else if (src->vip_items == 0)
		report_at(ld, CONFIG_ERROR, src->virtual_ipaddress,
			  "virtual_ipaddress block of vrrp_instance '%s' is empty", inst->name);
	for (size_t v = 0; v < inst->n_vips; v++) {
		struct config_vip *vip = &inst->vips[v];

		struct vip_ref *ref;
		size_t first;

		if (!vip->dev[0])
			memcpy(vip->dev, inst->interface, sizeof(vip->dev));
		snprintf(key, sizeof(key), "%08x", (unsigned)vip->addr.s_addr);
		first = name_map_first(ld, &seen->vips, key, seen->n_vip_refs);
		if (first == seen->n_vip_refs) {
			ref = PUSH(ld, seen->vip_refs, seen->n_vip_refs);
			if (ref)
				*ref = (struct vip_ref){ .inst = idx, .vip = v };
		} else {
			const struct config_vrrp_instance *o = &cfg->instances[seen->vip_refs[first].inst];
			const struct config_vip *ov = &o->vips[seen->vip_refs[first].vip];

			report_at(ld, CONFIG_ERROR, vip->where,
				  "virtual_ipaddress %s is already held by vrrp_instance '%s' (%s:%u)",
				  inet_ntop(AF_INET, &vip->addr, buf, sizeof(buf)), o->name,
				  ov->where.file, ov->where.line);
		}
	}

	for (size_t t = 0; t < inst->n_track_scripts; t++) {
		struct config_track_script *ts = &inst->track_scripts[t];
		size_t s = name_map_find(&ps->script_names, ts->name);

		ts->script = s == SIZE_MAX ? NULL : &cfg->scripts[s];
		if (!ts->script) {
			report_at(ld, CONFIG_ERROR, ts->where,
				  "track_script '%s' in vrrp_instance '%s': no vrrp_script of that name is defined",
				  ts->name, inst->name);
		} else if (!ts->weight_set) {
			ts->weight = ts->script->weight;
		}
	}

	inst->initial_state = inst->configured_state;
	if (inst->nopreempt && inst->configured_state == CONFIG_STATE_MASTER) {
		report_at(ld, CONFIG_WARNING, src->nopreempt.line ? src->nopreempt : src->state,
			  "vrrp_instance '%s' has 'state MASTER' and 'nopreempt': xvipd honours nopreempt "
			  "(no automatic fail-back, the safe choice for MySQL) and starts as BACKUP, becoming "
			  "master only when no master is heard for master_down_interval (keepalived would "
			  "instead drop nopreempt here)",
			  inst->name);
		inst->initial_state = CONFIG_STATE_BACKUP;
	}
}

static void validate_virtual_server(struct load *ld, struct seen *seen, size_t idx)
{
	struct xvip_config *cfg = ld->cfg;
	struct config_virtual_server *vs = &cfg->virtual_servers[idx];
	char buf[INET_ADDRSTRLEN], key[32];
	size_t j;

	inet_ntop(AF_INET, &vs->addr, buf, sizeof(buf));
	snprintf(key, sizeof(key), "%08x %u %d", (unsigned)vs->addr.s_addr, vs->port,
		 (int)vs->protocol);
	j = name_map_first(ld, &seen->services, key, idx);
	if (j != idx) {
		const struct config_virtual_server *o = &cfg->virtual_servers[j];

		report_at(ld, CONFIG_ERROR, vs->where,
			  "duplicate virtual_server %s %u (first defined at %s:%u)", buf,
			  vs->port, o->where.file, o->where.line);
	}
	if (vs->n_real_servers == 0)
		report_at(ld, CONFIG_WARNING, vs->where,
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
					report_at(ld, CONFIG_ERROR, ck->where,
						  "MISC_CHECK has no misc_path");
				break;
			case CONFIG_CHECK_MYSQL:
				if (!ck->manage_read_only_set)
					ck->u.mysql.manage_read_only = vs->manage_read_only;
				if (!ck->u.mysql.user)
					report_at(ld, CONFIG_ERROR, ck->where,
						  "MYSQL_CHECK has no user");
				if (ck->u.mysql.password && ck->u.mysql.password_file)
					report_at(ld, CONFIG_ERROR, ck->where,
						  "MYSQL_CHECK has both password and password_file; keep one");
				check_mysql_tls(ld, ck);
				break;
			}
		}
	}
}

void config_validate(struct load *ld, struct parse_state *ps)
{
	struct xvip_config *cfg = ld->cfg;
	struct seen seen = { 0 };

	if (!cfg->global.router_id) {
		char host[256] = "localhost";

		if (gethostname(host, sizeof(host) - 1) != 0)
			strcpy(host, "localhost");
		cfg->global.router_id = cfg_strdup(ld, host);
	}
	for (size_t i = 0; i < cfg->n_scripts; i++) {
		struct config_vrrp_script *s = &cfg->scripts[i];

		if (!s->script.text)
			report_at(ld, CONFIG_ERROR, s->where, "vrrp_script '%s' has no script",
				  s->name);
		if (!s->timeout_ms)
			s->timeout_ms = s->interval_ms;
	}
	for (size_t i = 0; i < cfg->n_instances && !ld->oom; i++)
		validate_instance(ld, ps, &seen, i);
	for (size_t g = 0; g < cfg->n_sync_groups; g++) {
		const struct config_sync_group *sg = &cfg->sync_groups[g];

		for (size_t m = 0; m < sg->n_members; m++)
			if (name_map_find(&ps->instance_names, sg->members[m]) == SIZE_MAX)
				report_at(ld, CONFIG_WARNING, sg->where,
					  "vrrp_sync_group '%s' names vrrp_instance '%s', which is not defined",
					  sg->name, sg->members[m]);
	}
	for (size_t i = 0; i < cfg->n_virtual_servers && !ld->oom; i++)
		validate_virtual_server(ld, &seen, i);
	name_map_free(&seen.vrids);
	name_map_free(&seen.vips);
	free(seen.vip_refs);
	name_map_free(&seen.services);
}
