/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xvipd configuration: a keepalived.conf dialect.
 *
 * config_load() reads a file (following `include` directives), reports every
 * problem it finds as a diagnostic with its file and line, and returns the
 * effective configuration with all defaults filled in, or NULL when at least
 * one error was found. The daemon then never has to ask "was this set?": every
 * field holds the value to use. docs/configuration.md lists the keywords.
 *
 * Units: every duration is stored in milliseconds (uint32_t, suffix _ms), so
 * fractional seconds such as `advert_int 0.01` or `delay_loop 0.5` keep their
 * value. IPv4 addresses are struct in_addr (network byte order), ports are
 * host byte order.
 *
 * Lifetime: every string and array hangs off the struct xvip_config and is
 * released by config_free(). A struct config_where's file pointer stays valid
 * as long as the config does.
 */
#ifndef XVIP_CONFIG_H
#define XVIP_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vrrp_auth.h"

/* ---- diagnostics ------------------------------------------------------ */

enum config_severity {
	CONFIG_WARNING,
	CONFIG_ERROR,
};

struct config_diag_entry {
	enum config_severity severity;
	char *file;    /* as named in the config (include paths resolved) */
	unsigned line; /* 1-based; 0 when the problem is with the file itself */
	char *message; /* no trailing newline, no "file:line:" prefix */
};

/* Filled by config_load(); start it zeroed (CONFIG_DIAG_INIT) and release it
 * with config_diag_free(). Entries are in the order they were found. */
struct config_diag {
	struct config_diag_entry *entries;
	size_t count;
	size_t capacity;
	size_t errors;
	size_t warnings;
};

#define CONFIG_DIAG_INIT {0}

/* Prints one line per entry: "file:line: warning: message" or
 * "file:line: error: message" ("file: error: ..." when line is 0). */
void config_diag_print(const struct config_diag *diag, FILE *out);
void config_diag_free(struct config_diag *diag);
/* Adds (and counts) one entry, for checks made after config_load(). */
__attribute__((format(printf, 5, 6)))
void config_diag_add(struct config_diag *diag, enum config_severity severity, const char *file,
		     unsigned line, const char *fmt, ...);

/* ---- configuration ---------------------------------------------------- */

/* Where a block or keyword was written, for the daemon's own messages. */
struct config_where {
	const char *file;
	unsigned line;
};

/* A script to run (notify_*, vrrp_script's script, misc_path). keepalived
 * runs these without a shell: argv[0] is the program, the rest its
 * arguments, split once here (config_args.c) and run as split. `text` is
 * the command as written (for logs). `run` is filled by scripts_prepare()
 * (script_sec.h): the resolved path and the user it runs as; NULL when the
 * script is disabled (not found, not executable, insecure) or the config
 * was not prepared. */
struct script_cmd;
struct config_command {
	char *text;
	char **argv; /* NULL-terminated */
	size_t argc;
	struct config_where where;
	struct script_cmd *run;
};

/* keepalived's `smtp_alert [on|off]`: written or not (the default then
 * comes from an outer level) */
enum config_tristate { CONFIG_UNSET = 0, CONFIG_OFF, CONFIG_ON };

struct config_global {
	char *router_id;                 /* default: the host name */
	char **notification_email;
	size_t n_notification_email;
	char *notification_email_from;   /* NULL: not set */
	char *smtp_server;               /* NULL: no mail */
	uint16_t smtp_port;              /* default 25 */
	uint32_t smtp_connect_timeout_ms; /* default 30 s */
	char *smtp_helo_name;            /* NULL: the host name */
	bool vip_arp_all_interfaces;     /* arp_ignore/arp_announce on conf/all too */
	/* mail on transitions (enum config_tristate): smtp_alert is the
	 * default of both, smtp_alert_vrrp of instances, smtp_alert_checker
	 * of virtual servers (real servers, the writer) */
	uint8_t smtp_alert, smtp_alert_vrrp, smtp_alert_checker;
	unsigned vrrp_version;           /* 2 (default) or 3 */
	char *script_user;               /* NULL: keepalived_script/root rules */
	char *script_group;              /* NULL: the user's primary group */
	bool enable_script_security;
	/* keepalived's knobs for a daemon that must not be starved: */
	unsigned rt_priority; /* vrrp_rt_priority 1..99: SCHED_RR; 0 = off */
	int nice;             /* vrrp_priority -20..19 */
	bool no_swap;         /* vrrp_no_swap: lock memory (mlockall) */
	/* xvip: a witness (ZooKeeper) for the one-writer rule under partition:
	 * "host:port,host:port" (NULL: none), its session timeout (default
	 * 1 s), the znode under which each fo service keeps its key (default
	 * /xvip). */
	char *witness_zookeeper;
	uint32_t witness_session_timeout_ms;
	char *witness_root;
	/* xvip: Prometheus' GET /metrics (metrics_listen ADDR[:PORT]); off
	 * unless set. Read at start. */
	bool metrics_listen;
	struct in_addr metrics_addr;
	uint16_t metrics_port;           /* default 10112 */
};

struct config_vrrp_script {
	char *name;
	struct config_where where;
	struct config_command script; /* required */
	uint32_t interval_ms;         /* default 1 s */
	uint32_t timeout_ms;          /* default: interval */
	int weight;                   /* -253..253, default 0 */
	unsigned rise;                /* default 1 */
	unsigned fall;                /* default 1 */
	char *user;                   /* NULL: global script_user */
	char *group;
};

enum config_vrrp_state {
	CONFIG_STATE_BACKUP,
	CONFIG_STATE_MASTER,
};

enum config_auth_type {
	CONFIG_AUTH_NONE,
	CONFIG_AUTH_PASS,
};

/* Where the VIP lives while this node is master. */
enum config_vip_mode {
	/* xvip default: the VIP sits on lo on every node (the LVS-DR real
	 * server convention) and the XDP program answers ARP for it on the
	 * service interface only while this node is master. */
	CONFIG_VIP_MODE_LO,
	/* keepalived style: the address is added to / removed from `dev`. */
	CONFIG_VIP_MODE_INTERFACE,
};

struct config_vip {
	struct in_addr addr;
	uint8_t prefix_len;     /* default 32 */
	char dev[IF_NAMESIZE];  /* default: the instance's interface */
	char *label;            /* NULL: none */
	struct config_where where;
};

struct config_track_interface {
	char name[IF_NAMESIZE];
	int weight; /* 0: a fault on the interface puts the instance in FAULT */
	struct config_where where;
};

struct config_track_script {
	char *name;
	struct config_vrrp_script *script; /* resolved after parsing */
	bool weight_set;                   /* false: use script->weight */
	int weight;
	struct config_where where;
};

struct config_vrrp_instance {
	char *name;
	struct config_where where;

	/* The state to start in. With nopreempt this is always BACKUP, even
	 * when `state MASTER` was written (configured_state keeps that). */
	enum config_vrrp_state initial_state;
	enum config_vrrp_state configured_state;
	char interface[IF_NAMESIZE];
	uint8_t virtual_router_id;
	uint8_t priority;             /* 1..255, default 100 */
	unsigned version;             /* 2 or 3: instance `version`, else global */
	uint32_t advert_int_ms;       /* default 1 s; v3 in 10 ms steps */
	bool nopreempt;
	uint8_t smtp_alert;              /* enum config_tristate */
	uint32_t preempt_delay_ms;    /* default 0 */

	enum config_auth_type auth_type;
	char auth_pass[9];            /* at most 8 characters, NUL-terminated */

	struct config_vip *vips;
	size_t n_vips;
	enum config_vip_mode vip_mode; /* default lo */

	bool unicast_src_set;          /* false: the interface's address */
	struct in_addr unicast_src_ip;
	struct in_addr *unicast_peers; /* empty: multicast 224.0.0.18 */
	size_t n_unicast_peers;
	unsigned unicast_ttl;          /* 1..255, default 255: below, the peers
					* are routed (sent with it, TTL not
					* checked on receipt) */

	struct config_track_interface *track_interfaces;
	size_t n_track_interfaces;
	struct config_track_script *track_scripts;
	size_t n_track_scripts;

	/* NULL when not configured. */
	struct config_command *notify_master;
	struct config_command *notify_backup;
	struct config_command *notify_fault;
	struct config_command *notify_stop;
	struct config_command *notify;

	uint32_t garp_master_delay_ms;      /* default 5 s */
	unsigned garp_master_repeat;        /* default 5 */
	uint32_t garp_master_refresh_ms;    /* default 0: no refresh */
	unsigned garp_master_refresh_repeat; /* default 1 */

	/* Fast liveness between xvipd peers (docs/configuration.md): 0 = off */
	uint32_t liveness_interval_ms;
	unsigned liveness_multiplier;       /* missed intervals; default 3 */

	/* Authenticated adverts between xvipd peers (docs/security.md):
	 * NULL = off; the key is read when the file is loaded */
	char *auth_key_file;
	struct vrrp_auth_key auth_key;
	/* a second path: its key is accepted too, never used to sign (a key
	 * rotation, docs/configuration.md); NULL when absent */
	char *auth_key_file2;
	struct vrrp_auth_key auth_key2;
};

struct config_sync_group {
	char *name;
	struct config_where where;
	char **members; /* vrrp_instance names */
	size_t n_members;
};

enum config_lb_algo {
	CONFIG_LB_WRR,
	CONFIG_LB_RR,
	CONFIG_LB_FO,
};

enum config_protocol {
	CONFIG_PROTO_TCP,
	CONFIG_PROTO_UDP,
};

enum config_checker_type {
	CONFIG_CHECK_TCP,
	CONFIG_CHECK_MISC,
	CONFIG_CHECK_MYSQL,
};

struct config_tcp_check {
	uint32_t connect_timeout_ms;    /* default 5 s */
	struct in_addr connect_ip;      /* default: the real server's address */
	uint16_t connect_port;          /* default: the real server's port */
	unsigned retry;                 /* default 1 (also `nb_get_retry`) */
	uint32_t delay_before_retry_ms; /* default 1 s */
	uint32_t delay_loop_ms;         /* default: the virtual server's */
};

struct config_misc_check {
	struct config_command misc_path; /* required */
	uint32_t misc_timeout_ms;        /* default: delay_loop */
	bool misc_dynamic;               /* exit status 2..255 sets weight-2 */
	char *user;                      /* NULL: global script_user */
	char *group;
	uint32_t delay_loop_ms;          /* default: the virtual server's */
};

/* xvip extension: a MySQL-aware health check. */
enum config_ssl_mode {
	CONFIG_SSL_OFF = 0,      /* plain TCP (the server may still offer TLS: not used) */
	CONFIG_SSL_REQUIRED,     /* TLS or no connection; the certificate is not checked
				  * (ssl_ca is not used) */
	CONFIG_SSL_VERIFY_CA,    /* TLS, the certificate's chain checked against ssl_ca */
	CONFIG_SSL_VERIFY,       /* verify_identity: the chain, and the server's name or
				  * address against the certificate */
};

struct config_mysql_check {
	char *user;                  /* required */
	char *password;              /* NULL: none or password_file */
	char *password_file;         /* NULL: none; exclusive with password */
	uint32_t connect_timeout_ms; /* default 100 ms */
	uint32_t read_timeout_ms;    /* default 100 ms */
	uint32_t interval_ms;        /* default 100 ms */
	unsigned rise;               /* default 3 */
	unsigned fall;               /* default 3 */
	char *query;                 /* default "SELECT 1" */
	bool check_read_only;        /* default off */
	bool check_replication;      /* default off */
	uint32_t max_lag_ms;         /* default 0: fully caught up */
	bool manage_read_only;       /* default: the virtual server's */
	/* TLS to the server (MariaDB Connector/C's options) */
	enum config_ssl_mode ssl_mode; /* default: off; required once any ssl_* is set */
	char *ssl_ca;                /* CA file: the server's certificate is checked against it */
	char *ssl_cert, *ssl_key;    /* a client certificate and its key (both or neither) */
};

struct config_checker {
	enum config_checker_type type;
	struct config_where where;
	union {
		struct config_tcp_check tcp;
		struct config_misc_check misc;
		struct config_mysql_check mysql;
	} u;
	/* parse-time bookkeeping: which defaults still need filling */
	bool delay_loop_set;
	bool manage_read_only_set;
	bool connect_port_set;
	bool connect_ip_set;
	bool misc_timeout_set;
	bool ssl_mode_set;
};

struct config_real_server {
	struct in_addr addr;
	uint16_t port;
	struct config_where where;
	unsigned weight;                   /* 0..65535, default 1 */
	bool inhibit_on_failure;
	struct config_command *notify_up;  /* NULL: none */
	struct config_command *notify_down;
	struct config_checker *checkers;
	size_t n_checkers;
};

struct config_virtual_server {
	struct in_addr addr;
	uint16_t port;
	struct config_where where;
	uint32_t delay_loop_ms;          /* default 60 s */
	enum config_lb_algo lb_algo;     /* default wrr */
	enum config_protocol protocol;   /* default TCP */
	unsigned persistence_timeout_s;  /* default 0: no persistence */
	bool manage_read_only;           /* default off */
	uint8_t smtp_alert;              /* enum config_tristate */
	/* xvip: how long a promotion may wait for the candidate to apply
	 * what it received before giving up (default 2 s). */
	uint32_t promote_timeout_ms;
	/* xvip: the writer's standby lost without proof that it is not being
	 * promoted (its commits wait): after standby_loss_timeout (default
	 * 10 s) standby_loss_policy block (default) keeps them waiting and
	 * says so again, async switches the writer's semi-sync off. */
	uint32_t standby_loss_timeout_ms;
	bool standby_loss_async;
	/* xvip: run on every writer decision, with the arguments
	 * WRITER <vip:port> <promoted|refused|fenced|lost|blocked|async|errant> <addr|-> <reason>. */
	struct config_command *notify_writer;
	struct config_real_server *real_servers;
	size_t n_real_servers;
};

struct xvip_config {
	struct config_global global;
	struct config_vrrp_script *scripts;
	size_t n_scripts;
	struct config_vrrp_instance *instances;
	size_t n_instances;
	struct config_sync_group *sync_groups;
	size_t n_sync_groups;
	struct config_virtual_server *virtual_servers;
	size_t n_virtual_servers;

	/* Every file read, main file first; config_where.file points here. */
	char **files;
	size_t n_files;
};

/*
 * Parses `path` and everything it includes. Diagnostics are appended to
 * `diag` (may be NULL when the caller does not want them). Returns NULL when
 * any error was found (diag->errors > 0); warnings alone do not fail.
 */
struct xvip_config *config_load(const char *path, struct config_diag *diag);

void config_free(struct xvip_config *cfg);

/* Prints the effective configuration in keepalived syntax, one keyword per
 * line, every default explicit, durations in seconds (up to 3 decimals).
 * The output loads again to the same configuration. */
void config_dump(const struct xvip_config *cfg, FILE *out);
/* The same with auth_pass and password replaced by ******** (xvipd -t). */
void config_dump_redacted(const struct xvip_config *cfg, FILE *out);
/* Two checkers with the same normalized text (what -t prints). */
bool config_checker_equal(const struct config_checker *a, const struct config_checker *b);

/* Whether any real server has a MYSQL_CHECK. */
bool config_has_mysql_check(const struct xvip_config *cfg);
/* The virtual_server blocks of two configs print the same. */
bool config_services_equal(const struct xvip_config *a, const struct xvip_config *b);

/* Lookups for the daemon; NULL when not found. */
const struct config_vrrp_instance *config_find_instance(const struct xvip_config *cfg,
							 const char *name);
const struct config_vrrp_script *config_find_script(const struct xvip_config *cfg,
						     const char *name);

/* Mail for this instance / virtual server: smtp_alert at its level, else
 * global_defs' (smtp_alert_vrrp / smtp_alert_checker, then smtp_alert);
 * off when none is written. Sending also needs smtp_server and
 * notification_email. */
bool config_smtp_alert_vrrp(const struct xvip_config *cfg, const struct config_vrrp_instance *in);
bool config_smtp_alert_checker(const struct xvip_config *cfg,
			       const struct config_virtual_server *vs);

#endif /* XVIP_CONFIG_H */
