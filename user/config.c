// SPDX-License-Identifier: GPL-2.0
/*
 * The xvipd configuration parser: a keepalived.conf dialect (config.h).
 *
 * config_load() runs the three passes described in config_int.h: lex
 * (config_lex.c), parse from the top-level table below (config_vrrp.c,
 * config_lvs.c), validate (config_check.c); the dump is config_dump.c.
 */
#include "config_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- top level -------------------------------------------------------- */

static const struct keyword top_keywords[] = {
	KEY_BLOCK("global_defs", kw_global_defs),
	KEY_BLOCK("vrrp_script", kw_vrrp_script),
	KEY_BLOCK("vrrp_instance", kw_vrrp_instance),
	KEY_BLOCK("vrrp_sync_group", kw_vrrp_sync_group),
	KEY_BLOCK("virtual_server", kw_virtual_server),
	KEY_END,
};

static const char *const top_unsupported[] = {
	"static_ipaddress", "static_routes", "static_rules", "virtual_server_group",
	"vrrp_track_process", "track_file", "vrrp_track_file", "linkbeat_use_polling",
	"net_namespace", "bfd_instance", NULL,
};

static const struct block_def top_block = { "top level", top_keywords, top_unsupported, NULL };

/* ---- load / free ------------------------------------------------------ */

struct diag_rank {
	size_t file_rank; /* position of the file in cfg->files */
	unsigned line;
	size_t seq;       /* order found: keeps the sort stable */
	struct config_diag_entry entry;
};

static int cmp_diag_rank(const void *a, const void *b)
{
	const struct diag_rank *x = a, *y = b;

	if (x->file_rank != y->file_rank)
		return x->file_rank < y->file_rank ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whole-file checks run after parsing; sorting this load's diagnostics by
 * file (in the order files were read) and line lets the report read top to
 * bottom like the configuration itself. */
static void sort_diagnostics(struct load *ld)
{
	struct config_diag *diag = ld->diag;
	const struct xvip_config *cfg = ld->cfg;
	size_t n = diag->count - ld->first_diag, n_names = 0;
	struct diag_rank *r;
	char **names; /* the files as diagnostics name them (escaped) */

	if (n < 2)
		return;
	r = cfg_alloc(ld, n, sizeof(*r));
	names = r ? cfg_alloc(ld, cfg->n_files, sizeof(*names)) : NULL;
	for (; names && n_names < cfg->n_files; n_names++)
		if (!(names[n_names] = escape_text(ld, cfg->files[n_names])))
			break;
	if (ld->oom)
		goto out;
	for (size_t i = 0; i < n; i++) {
		r[i].entry = diag->entries[ld->first_diag + i];
		r[i].file_rank = SIZE_MAX;
		for (size_t f = 0; f < cfg->n_files; f++)
			if (!strcmp(names[f], r[i].entry.file))
				r[i].file_rank = f;
		r[i].line = r[i].entry.line;
		r[i].seq = i;
	}
	qsort(r, n, sizeof(*r), cmp_diag_rank);
	for (size_t i = 0; i < n; i++)
		diag->entries[ld->first_diag + i] = r[i].entry;
out:
	for (size_t f = 0; names && f < n_names; f++)
		free(names[f]);
	free(names);
	free(r);
}

/* Far above what a configuration needs: one that fills every map of the
 * data plane (256 VIPs, 64 services of 16 real servers, each with a check)
 * is about 0.5 MB and 30000 words, and no keyword takes 4096 words. What
 * they bound is what a hostile or mistaken file can cost a reload: the
 * words, each a few allocations, and the bytes, read whole, keep it under
 * some 50 MB and a tenth of a second. 1000 diagnostics are more than a real
 * file has: past that, a file that is not a configuration (a binary, a log)
 * would only fill memory with them. */
const struct config_limits config_default_limits = {
	.line_bytes = 64 * 1024,
	.line_words = 4096,
	.load_words = 256 * 1024,
	.total_bytes = 16 * 1024 * 1024,
	.includes = 256,
	.diagnostics = 1000,
};

struct xvip_config *config_load(const char *path, struct config_diag *diag)
{
	return config_load_limited(path, diag, &config_default_limits);
}

struct xvip_config *config_load_limited(const char *path, struct config_diag *diag,
					const struct config_limits *lim)
{
	struct config_diag local = CONFIG_DIAG_INIT;
	struct load ld = { .lim = lim };
	struct lexer lx = { .ld = &ld };
	struct parse_state ps = { 0 };
	struct top_ctx top = { .ps = &ps };
	struct parser p = { .ld = &ld };
	struct xvip_config *cfg;
	size_t errors_before;

	ld.diag = diag ? diag : &local;
	ld.first_diag = ld.diag->count;
	errors_before = ld.diag->errors;

	if (!path || !*path) {
		diag_add(&ld, CONFIG_ERROR, "(config)", 0, "no configuration file given");
		config_diag_free(&local);
		return NULL;
	}
	cfg = ld.cfg = top.cfg = cfg_alloc(&ld, 1, sizeof(*cfg));
	if (cfg) {
		cfg->global.smtp_port = 25;
		cfg->global.smtp_connect_timeout_ms = 30 * SEC;
		cfg->global.witness_session_timeout_ms = 1 * SEC;
		cfg->global.vrrp_version = 2;

		lex_main_file(&lx, path);
		p.stmts = lx.stmts;
		p.n_stmts = lx.n_stmts;
		parse_top_level(&p, &top_block, &top);
		lex_free(&lx);

		if (cfg->n_files > 0 && !ld.oom)
			config_validate(&ld, &ps);
		free(ps.instance_src);
		name_map_free(&ps.instance_names);
		name_map_free(&ps.script_names);
		sort_diagnostics(&ld);
	}

	if (ld.oom || ld.diag->errors > errors_before || !cfg || cfg->n_files == 0) {
		config_free(cfg);
		cfg = NULL;
	}
	/* after the free: the memory it gave back lets this message be kept */
	if (ld.oom)
		diag_add(&ld, CONFIG_ERROR, path, 0,
			 "out of memory while reading the configuration; it is not used");
	diag_summary(&ld, path);
	config_diag_free(&local);
	return cfg;
}

static void free_checker(struct config_checker *c)
{
	switch (c->type) {
	case CONFIG_CHECK_TCP:
		break;
	case CONFIG_CHECK_MISC:
		free_command_fields(&c->u.misc.misc_path);
		free(c->u.misc.user);
		free(c->u.misc.group);
		break;
	case CONFIG_CHECK_MYSQL:
		free(c->u.mysql.user);
		free(c->u.mysql.password);
		free(c->u.mysql.password_file);
		free(c->u.mysql.query);
		free(c->u.mysql.ssl_ca);
		free(c->u.mysql.ssl_cert);
		free(c->u.mysql.ssl_key);
		break;
	}
}

static void free_strings(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

void config_free(struct xvip_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->global.router_id);
	free_strings(cfg->global.notification_email, cfg->global.n_notification_email);
	free(cfg->global.notification_email_from);
	free(cfg->global.smtp_server);
	free(cfg->global.smtp_helo_name);
	free(cfg->global.script_user);
	free(cfg->global.script_group);
	free(cfg->global.witness_zookeeper);
	free(cfg->global.witness_root);

	for (size_t i = 0; i < cfg->n_scripts; i++) {
		struct config_vrrp_script *s = &cfg->scripts[i];

		free(s->name);
		free_command_fields(&s->script);
		free(s->user);
		free(s->group);
	}
	free(cfg->scripts);

	for (size_t i = 0; i < cfg->n_instances; i++) {
		struct config_vrrp_instance *inst = &cfg->instances[i];

		free(inst->name);
		for (size_t v = 0; v < inst->n_vips; v++)
			free(inst->vips[v].label);
		free(inst->vips);
		free(inst->unicast_peers);
		free(inst->track_interfaces);
		for (size_t t = 0; t < inst->n_track_scripts; t++)
			free(inst->track_scripts[t].name);
		free(inst->track_scripts);
		free_command(inst->notify_master);
		free_command(inst->notify_backup);
		free_command(inst->notify_fault);
		free_command(inst->notify_stop);
		free_command(inst->notify);
		free(inst->auth_key_file);
		vrrp_auth_key_wipe(&inst->auth_key);
		free(inst->auth_key_file2);
		vrrp_auth_key_wipe(&inst->auth_key2);
	}
	free(cfg->instances);

	for (size_t i = 0; i < cfg->n_sync_groups; i++) {
		free(cfg->sync_groups[i].name);
		free_strings(cfg->sync_groups[i].members, cfg->sync_groups[i].n_members);
	}
	free(cfg->sync_groups);

	for (size_t i = 0; i < cfg->n_virtual_servers; i++) {
		struct config_virtual_server *vs = &cfg->virtual_servers[i];

		for (size_t r = 0; r < vs->n_real_servers; r++) {
			struct config_real_server *rs = &vs->real_servers[r];

			free_command(rs->notify_up);
			free_command(rs->notify_down);
			for (size_t c = 0; c < rs->n_checkers; c++)
				free_checker(&rs->checkers[c]);
			free(rs->checkers);
		}
		free(vs->real_servers);
		free_command(vs->notify_writer);
	}
	free(cfg->virtual_servers);

	free_strings(cfg->files, cfg->n_files);
	free(cfg);
}

const struct config_vrrp_instance *config_find_instance(const struct xvip_config *cfg,
							 const char *name)
{
	for (size_t i = 0; cfg && i < cfg->n_instances; i++)
		if (!strcmp(cfg->instances[i].name, name))
			return &cfg->instances[i];
	return NULL;
}

const struct config_vrrp_script *config_find_script(const struct xvip_config *cfg,
						     const char *name)
{
	for (size_t i = 0; cfg && i < cfg->n_scripts; i++)
		if (!strcmp(cfg->scripts[i].name, name))
			return &cfg->scripts[i];
	return NULL;
}

static bool alert_of(uint8_t own, uint8_t kind_default, uint8_t global_default)
{
	if (own != CONFIG_UNSET)
		return own == CONFIG_ON;
	if (kind_default != CONFIG_UNSET)
		return kind_default == CONFIG_ON;
	return global_default == CONFIG_ON;
}

bool config_smtp_alert_vrrp(const struct xvip_config *cfg, const struct config_vrrp_instance *in)
{
	return alert_of(in->smtp_alert, cfg->global.smtp_alert_vrrp, cfg->global.smtp_alert);
}

bool config_smtp_alert_checker(const struct xvip_config *cfg,
			       const struct config_virtual_server *vs)
{
	return alert_of(vs->smtp_alert, cfg->global.smtp_alert_checker, cfg->global.smtp_alert);
}

bool config_has_mysql_check(const struct xvip_config *cfg)
{
	for (size_t v = 0; v < cfg->n_virtual_servers; v++)
		for (size_t r = 0; r < cfg->virtual_servers[v].n_real_servers; r++) {
			const struct config_real_server *rs = &cfg->virtual_servers[v].real_servers[r];

			for (size_t c = 0; c < rs->n_checkers; c++)
				if (rs->checkers[c].type == CONFIG_CHECK_MYSQL)
					return true;
		}
	return false;
}
