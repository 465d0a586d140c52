/* xvipctl: look at and drive the xvip data plane from its pinned maps.
 *
 *   xvipctl [--pin-root DIR] status [--json]
 *   xvipctl [--pin-root DIR] attach IFACE [--generic|--native]   load, pin, attach
 *   xvipctl [--pin-root DIR] detach IFACE
 *   xvipctl [--pin-root DIR] vip set VIP mac MAC [vrid N] [owner 0|1] [lease-ms N]
 *   xvipctl [--pin-root DIR] vip del VIP
 *   xvipctl [--pin-root DIR] service set VIP:PORT [tcp|udp] [sched wrr|rr|fo]
 *                            [persistence SEC] backend IP,MAC,WEIGHT[,local][,down] ...
 *   xvipctl [--pin-root DIR] service del VIP:PORT [tcp|udp]
 *   xvipctl [--pin-root DIR] unpin
 *   xvipctl [--pin-root DIR] promote ADDR | handover     move the MySQL writer
 *   xvipctl [--pin-root DIR] check-mysql [-f CONF]        preflight of the pair
 *   xvipctl [--pin-root DIR] selftest [IFACE]             do ARP replies leave the host?
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "check.h"
#include "config.h"
#include "dataplane.h"
#include "fmt.h"
#include "loop.h"
#include "preflight.h"
#include "sbuf.h"
#include "status_maps.h"
#include "selftest.h"
#include "control_client.h"

static const char *pin_root = XVIP_PIN_ROOT_DEFAULT;
static char err[512];

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xvipctl [--pin-root DIR] COMMAND\n"
		"  status [--json]                 VIPs, VRRP adverts, services, counters\n"
		"  metrics                         the same as Prometheus text (xvipd's and the maps')\n"
		"  attach IFACE [--generic|--native]  load the data plane, pin its maps, attach\n"
		"                                  (default: native where its frames can leave)\n"
		"  detach IFACE                    detach xvip's XDP program\n"
		"  vip set VIP mac MAC [vrid N] [owner 0|1] [lease-ms N]\n"
		"  vip del VIP\n"
		"  service set VIP:PORT [tcp|udp] [sched wrr|rr|fo] [persistence SEC]\n"
		"              backend IP,MAC,WEIGHT[,local][,down] ...\n"
		"  service del VIP:PORT [tcp|udp]\n"
		"  unpin                           remove the pinned maps\n"
		"  promote ADDR                    make ADDR the MySQL writer (safely, on the VIP owner)\n"
		"  handover                        make the other healthy node the writer\n"
		"  check-mysql [-f CONF]           preflight: auto-increment, server ids, replication,\n"
		"                                  read_only, semi-sync (asks xvipd, or probes itself)\n"
		"  selftest [IFACE]                prove on the live interface that ARP replies for an\n"
		"                                  owned VIP leave the host (exit 0 yes, 1 no, 2 unknown)\n");
}

static int die(const char *what)
{
	fprintf(stderr, "xvipctl: %s\n", what);
	return 1;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_ip(const char *s, uint32_t *addr_be)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr_be = a.s_addr;
	return 0;
}

static const char *sched_name(uint8_t s)
{
	return s == XVIP_SCHED_FO ? "fo" : s == XVIP_SCHED_RR ? "rr" : "wrr";
}

/* By hand nobody has said which services will follow: assume a DR service
 * may steer to another node (the stricter choice on a veth). */
static int cmd_attach(int argc, char **argv)
{
	struct xvip_attach att;
	struct xvip_dp dp;
	enum xdp_pref pref = XDP_PREF_AUTO;

	if (argc < 2 || argc > 3)
		return usage(stderr), 2;
	if (argc == 3 && strcmp(argv[2], "--generic") == 0)
		pref = XDP_PREF_GENERIC;
	else if (argc == 3 && strcmp(argv[2], "--native") == 0)
		pref = XDP_PREF_NATIVE;
	else if (argc == 3)
		return usage(stderr), 2;
	if (dp_open(&dp, pin_root, err, sizeof(err)) < 0)
		return die(err);
	if (dp_attach(&dp, argv[1], pref, true, &att, err, sizeof(err)) < 0) {
		dp_close(&dp);
		return die(err);
	}
	printf("attached to %s in %s mode (%s), maps pinned under %s\n", argv[1],
	       dp_attach_mode(&att), att.why, pin_root);
	if (att.warning[0])
		printf("warning: %s\n", att.warning);
	dp_close(&dp);
	return 0;
}

static int cmd_selftest(int argc, char **argv)
{
	struct sbuf b = { 0 };
	enum selftest_verdict v;

	if (argc > 2)
		return usage(stderr), 2;
	v = selftest_run(pin_root, argc == 2 ? argv[1] : NULL, 3, &b);
	fputs(b.s ? b.s : "", stdout);
	free(b.s);
	return (int)v;
}

static int cmd_detach(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr), 2;
	if (dp_detach_ifname(argv[1], err, sizeof(err)) < 0)
		return die(err);
	return 0;
}

static int cmd_vip(struct xvip_maps *m, int argc, char **argv)
{
	struct vip_entry v = {};
	uint32_t addr, n;

	if (argc < 3)
		return usage(stderr), 2;
	if (parse_ip(argv[2], &addr) < 0)
		return fprintf(stderr, "xvipctl: bad VIP '%s'\n", argv[2]), 2;
	if (strcmp(argv[1], "del") == 0)
		return dp_vip_del(m, addr) < 0 ? die(strerror(errno)) : 0;
	if (strcmp(argv[1], "set") != 0)
		return usage(stderr), 2;
	dp_vip_get(m, addr, &v); /* keep what is not given */
	for (int i = 3; i + 1 < argc; i += 2) {
		const char *k = argv[i], *val = argv[i + 1];

		if (strcmp(k, "mac") == 0 && parse_mac(val, v.mac) == 0)
			continue;
		if (strcmp(k, "vrid") == 0 && parse_u32(val, 255, &n) == 0) {
			v.vrid = (uint8_t)n;
			continue;
		}
		if (strcmp(k, "owner") == 0 && parse_u32(val, 1, &n) == 0) {
			v.owner = (uint8_t)n;
			continue;
		}
		if (strcmp(k, "lease-ms") == 0 && parse_u32(val, UINT32_MAX, &n) == 0) {
			v.lease_expires_ns = mono_ns() + (uint64_t)n * 1000000ull;
			continue;
		}
		fprintf(stderr, "xvipctl: bad 'vip set' argument: %s %s\n", k, val);
		return 2;
	}
	if ((argc - 3) % 2)
		return fprintf(stderr, "xvipctl: '%s' needs a value\n", argv[argc - 1]), 2;
	if (dp_vip_put(m, addr, &v) < 0)
		return die(strerror(errno));
	return 0;
}

static int parse_svc(int argc, char **argv, int *i, struct svc_key *k)
{
	char buf[64], *colon;
	uint32_t port;

	memset(k, 0, sizeof(*k));
	snprintf(buf, sizeof(buf), "%s", argv[*i]);
	colon = strrchr(buf, ':');
	if (!colon)
		return -1;
	*colon = 0;
	if (parse_ip(buf, &k->vip) < 0 || parse_u32(colon + 1, 65535, &port) < 0 || !port)
		return -1;
	k->port = htons((uint16_t)port);
	k->proto = IPPROTO_TCP;
	(*i)++;
	if (*i < argc && (strcmp(argv[*i], "tcp") == 0 || strcmp(argv[*i], "udp") == 0)) {
		k->proto = argv[*i][0] == 'u' ? IPPROTO_UDP : IPPROTO_TCP;
		(*i)++;
	}
	return 0;
}

static int parse_backend(const char *s, struct backend *b)
{
	char buf[128], *save = NULL, *tok;
	uint32_t w;
	int field = 0;

	memset(b, 0, sizeof(*b));
	b->healthy = 1;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), field++) {
		if (field == 0 && parse_ip(tok, &b->addr) == 0)
			continue;
		if (field == 1 && parse_mac(tok, b->mac) == 0)
			continue;
		if (field == 2 && parse_u32(tok, 65535, &w) == 0) {
			b->weight = w;
			continue;
		}
		if (field > 2 && strcmp(tok, "local") == 0) {
			b->local = 1;
			continue;
		}
		if (field > 2 && strcmp(tok, "down") == 0) {
			b->healthy = 0;
			continue;
		}
		return -1;
	}
	return field >= 3 ? 0 : -1;
}

static int cmd_service(struct xvip_maps *m, int argc, char **argv)
{
	struct backend b[XVIP_MAX_BACKENDS];
	struct svc_key k;
	uint32_t persistence = 0, id;
	uint8_t sched = XVIP_SCHED_WRR;
	int i = 2, n = 0;

	if (argc < 3 || parse_svc(argc, argv, &i, &k) < 0)
		return fprintf(stderr, "xvipctl: expected VIP:PORT\n"), 2;
	if (strcmp(argv[1], "del") == 0)
		return dp_service_del(m, &k) < 0 ? die(strerror(errno)) : 0;
	if (strcmp(argv[1], "set") != 0)
		return usage(stderr), 2;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "sched") == 0 && i + 1 < argc) {
			const char *s = argv[++i];

			if (strcmp(s, "wrr") == 0)
				sched = XVIP_SCHED_WRR;
			else if (strcmp(s, "rr") == 0)
				sched = XVIP_SCHED_RR;
			else if (strcmp(s, "fo") == 0)
				sched = XVIP_SCHED_FO;
			else
				return fprintf(stderr, "xvipctl: unknown scheduler '%s'\n", s), 2;
		} else if (strcmp(argv[i], "persistence") == 0 && i + 1 < argc) {
			if (parse_u32(argv[++i], 86400 * 365, &persistence) < 0)
				return fprintf(stderr, "xvipctl: bad persistence '%s'\n", argv[i]), 2;
		} else if (strcmp(argv[i], "backend") == 0 && i + 1 < argc) {
			if (n == XVIP_MAX_BACKENDS)
				return fprintf(stderr, "xvipctl: too many backends\n"), 2;
			if (parse_backend(argv[++i], &b[n]) < 0)
				return fprintf(stderr,
					       "xvipctl: bad backend '%s' (IP,MAC,WEIGHT[,local][,down])\n",
					       argv[i]),
				       2;
			n++;
		} else {
			return fprintf(stderr, "xvipctl: unexpected '%s'\n", argv[i]), 2;
		}
	}
	if (dp_service_put(m, &k, sched, persistence, b, n, &id, err, sizeof(err)) < 0)
		return die(err);
	return 0;
}


/* text */

static void text_section(int which)
{
	static const char *const head[] = { "VIPs:", "VRRP adverts seen (per VRID):", "Services:",
					    "Data plane verdicts:" };

	if (which == SEC_BEGIN)
		printf("pin root: %s\n", pin_root);
	if (which <= SEC_REASONS)
		printf("%s\n", head[which]);
}

static void text_vip(const struct vip_row *r, bool first)
{
	char a[INET_ADDRSTRLEN], mac[18];

	(void)first;
	printf("  %-15s vrid %-3u %s lease %lld" " ms mac %s  arp replies %llu"
	       " not-owner drops %llu" " expired drops %llu" " conflicts %llu" "\n",
	       ip4_str(r->addr, a), r->v.vrid,
	       r->v.owner && r->left_ms > 0 ? "OWNER  " : r->v.owner ? "EXPIRED" : "standby",
	       r->left_ms, mac_str(r->v.mac, mac), r->c.arp_replies, r->c.arp_drop_not_owner,
	       r->c.arp_drop_expired, r->c.conflicts);
}

static void text_vrrp(int vrid, const struct vrrp_stats *s, __u64 ago_ms, bool first)
{
	char a[INET_ADDRSTRLEN];

	(void)first;
	printf("  vrid %-3d adverts %llu" " last from %s prio %u v%u int %u, %llu"
	       " ms ago; prio0 %llu" "; rejected: version %llu" " type %llu" " length %llu"
	       " ttl %llu" " checksum %llu" "\n",
	       vrid, s->adverts, ip4_str(s->last_sender, a), s->last_priority, s->last_version,
	       s->last_adver_int, ago_ms, s->prio_zero, s->bad_version, s->bad_type,
	       s->bad_length, s->bad_ttl, s->bad_checksum);
}

static void text_svc(const struct svc_row *r, bool first)
{
	char a[INET_ADDRSTRLEN], mac[18];

	(void)first;
	printf("  %s:%u/%s id %u sched %s persistence %us gen %u  packets %llu"
	       " new flows %llu" " local %llu" " remote %llu" " no-backend %llu" "\n",
	       ip4_str(r->k.vip, a), ntohs(r->k.port), proto_name(r->k.proto), r->e.id,
	       sched_name(r->e.sched), r->e.persistence_s, r->e.generation, r->c.packets,
	       r->c.new_flows, r->c.to_local, r->c.to_remote, r->c.no_backend);
	for (uint32_t i = 0; i < r->e.nbackends && i < XVIP_MAX_BACKENDS; i++)
		if (r->have[i])
			printf("    backend %u %-15s mac %s weight %u %s%s\n", i,
			       ip4_str(r->b[i].addr, a), mac_str(r->b[i].mac, mac), r->b[i].weight,
			       r->b[i].healthy ? "up" : "DOWN", r->b[i].local ? " local" : "");
}

static void text_reason(const char *name, unsigned long long n, bool first)
{
	(void)first;
	if (n)
		printf("  %-24s %llu" "\n", name, n);
}

static const struct status_printer text_printer = {
	text_vip, text_vrrp, text_svc, text_section, text_reason,
};

/* JSON */

static void json_section(int which)
{
	static const char *const sep[] = { "", "],\"vrrp\":[", "],\"services\":[",
					   "],\"counters\":{", "}}" };

	if (which == SEC_BEGIN)
		printf("{\"pin_root\":\"%s\",\"vips\":[", pin_root);
	else
		printf("%s", sep[which]);
}

static void json_vip(const struct vip_row *r, bool first)
{
	char a[INET_ADDRSTRLEN], mac[18];

	printf("%s{\"vip\":\"%s\",\"vrid\":%u,\"owner\":%s,\"lease_left_ms\":%lld"
	       ",\"answering\":%s,\"mac\":\"%s\",\"arp_replies\":%llu"
	       ",\"arp_drop_not_owner\":%llu" ",\"arp_drop_expired\":%llu" ",\"conflicts\":%llu"
	       "}",
	       first ? "" : ",", ip4_str(r->addr, a), r->v.vrid, r->v.owner ? "true" : "false",
	       r->left_ms, r->v.owner && r->left_ms ? "true" : "false", mac_str(r->v.mac, mac),
	       r->c.arp_replies, r->c.arp_drop_not_owner, r->c.arp_drop_expired, r->c.conflicts);
}

static void json_vrrp(int vrid, const struct vrrp_stats *s, __u64 ago_ms, bool first)
{
	char a[INET_ADDRSTRLEN];

	printf("%s{\"vrid\":%d,\"adverts\":%llu" ",\"last_sender\":\"%s\","
	       "\"last_priority\":%u,\"last_version\":%u,\"last_adver_int\":%u,"
	       "\"last_seen_ms_ago\":%llu" ",\"prio_zero\":%llu" ",\"bad_version\":%llu"
	       ",\"bad_type\":%llu" ",\"bad_length\":%llu" ",\"bad_ttl\":%llu"
	       ",\"bad_checksum\":%llu" "}",
	       first ? "" : ",", vrid, s->adverts, ip4_str(s->last_sender, a), s->last_priority,
	       s->last_version, s->last_adver_int, ago_ms, s->prio_zero, s->bad_version,
	       s->bad_type, s->bad_length, s->bad_ttl, s->bad_checksum);
}

static void json_svc(const struct svc_row *r, bool first)
{
	char a[INET_ADDRSTRLEN], mac[18];
	bool bfirst = true;

	printf("%s{\"vip\":\"%s\",\"port\":%u,\"proto\":\"%s\",\"id\":%u,\"sched\":\"%s\","
	       "\"persistence_s\":%u,\"generation\":%u,\"packets\":%llu" ",\"new_flows\":%llu"
	       ",\"to_local\":%llu" ",\"to_remote\":%llu" ",\"no_backend\":%llu"
	       ",\"backends\":[",
	       first ? "" : ",", ip4_str(r->k.vip, a), ntohs(r->k.port), proto_name(r->k.proto),
	       r->e.id, sched_name(r->e.sched), r->e.persistence_s, r->e.generation, r->c.packets,
	       r->c.new_flows, r->c.to_local, r->c.to_remote, r->c.no_backend);
	for (uint32_t i = 0; i < r->e.nbackends && i < XVIP_MAX_BACKENDS; i++) {
		if (!r->have[i])
			continue;
		printf("%s{\"addr\":\"%s\",\"mac\":\"%s\",\"weight\":%u,\"healthy\":%s,"
		       "\"local\":%s}",
		       bfirst ? "" : ",", ip4_str(r->b[i].addr, a), mac_str(r->b[i].mac, mac),
		       r->b[i].weight, r->b[i].healthy ? "true" : "false",
		       r->b[i].local ? "true" : "false");
		bfirst = false;
	}
	printf("]}");
}

static void json_reason(const char *name, unsigned long long n, bool first)
{
	printf("%s\"%s\":%llu", first ? "" : ",", name, n);
}

static const struct status_printer json_printer = {
	json_vip, json_vrrp, json_svc, json_section, json_reason,
};


/* promote/handover: the daemon on the VIP owner does the work; wait until
 * the writer has moved or the daemon says why it did not. */
static int cmd_promote(const char *target)
{
	char req[128];
	char *reply, *st;
	int rc = 1;

	snprintf(req, sizeof(req), target ? "promote %s" : "handover", target);
	reply = control_request(pin_root, req, 2000);
	if (!reply)
		return die("xvipd is not running here (no answer on its control socket)");
	fputs(reply, stdout);
	if (strncmp(reply, "error", 5) == 0 || strstr(reply, "already the writer")) {
		rc = strncmp(reply, "error", 5) == 0;
		free(reply);
		return rc;
	}
	free(reply);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 100 * 1000000 };

		nanosleep(&ts, NULL);
		st = control_request(pin_root, "status-json", 1000);
		if (!st)
			continue;
		bool idle = strstr(st, "\"promotion\":\"idle\"") != NULL;
		bool refused = !strstr(st, "\"refused\":\"\"");
		char want[64];

		snprintf(want, sizeof(want), "\"writer\":\"%s:", target ? target : "");
		if (idle && target && strstr(st, want)) {
			printf("done: %s is the writer\n", target);
			rc = 0;
		} else if (idle && refused) {
			char *r = strstr(st, "\"refused\":\"");

			printf("refused: %.*s\n", r ? (int)strcspn(r + 11, "\"") : 0, r ? r + 11 : "");
			rc = 1;
		} else if (idle && !target) {
			printf("done\n");
			rc = 0;
		} else {
			free(st);
			continue;
		}
		free(st);
		return rc;
	}
	return die("the promotion did not finish within 10 s; see xvipctl status");
}

struct pf_probe {
	struct check *c;
	const char *name;
	bool done;
};

static void pf_change(void *arg, struct check *c, bool up, const char *why)
{
	(void)arg;
	(void)c;
	(void)up;
	(void)why;
}

static void pf_probed(void *arg, struct check *c)
{
	(void)c;
	((struct pf_probe *)arg)->done = true;
}

static void pf_timeout(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	loop_stop(l);
}

static void pf_poll(struct loop *l, uint64_t id, void *arg)
{
	struct pf_probe *p = arg;
	bool all = true;

	(void)id;
	for (; p->name; p++)
		all &= p->done;
	if (all)
		loop_stop(l);
	else
		loop_add_timer(l, now_us() + 20000, pf_poll, arg);
}

/* Without a daemon: probe every MYSQL_CHECK of the config once, with the
 * daemon's own check engine, and judge the facts the same way. */
static int check_mysql_local(const char *conf)
{
	struct config_diag diag = CONFIG_DIAG_INIT;
	struct xvip_config *cfg = config_load(conf, &diag);
	struct pf_probe probes[XVIP_MAX_BACKENDS + 1];
	struct pf_node nodes[XVIP_MAX_BACKENDS];
	struct pf_finding f[32];
	char names[XVIP_MAX_BACKENDS][32];
	struct loop *l;
	int worst = 0;

	if (!cfg) {
		config_diag_print(&diag, stderr);
		config_diag_free(&diag);
		return 1;
	}
	config_diag_free(&diag);
	l = loop_new();
	for (size_t v = 0; v < cfg->n_virtual_servers; v++) {
		const struct config_virtual_server *vs = &cfg->virtual_servers[v];
		size_t n = 0;
		bool semi;

		for (size_t r = 0; r < vs->n_real_servers && n < XVIP_MAX_BACKENDS; r++) {
			const struct config_real_server *rs = &vs->real_servers[r];

			for (size_t k = 0; k < rs->n_checkers; k++) {
				char a[INET_ADDRSTRLEN];

				if (rs->checkers[k].type != CONFIG_CHECK_MYSQL)
					continue;
				snprintf(names[n], sizeof(names[n]), "%s:%u",
					 inet_ntop(AF_INET, &rs->addr, a, sizeof(a)), rs->port);
				probes[n].name = names[n];
				probes[n].done = false;
				probes[n].c = check_new(l, &rs->checkers[k], rs->addr, rs->port, pf_change, NULL);
				if (probes[n].c) {
					check_set_probe_cb(probes[n].c, pf_probed, &probes[n]);
					check_start(probes[n].c);
				} else {
					probes[n].done = true;
				}
				n++;
				break;
			}
		}
		if (!n)
			continue;
		probes[n].name = NULL;
		loop_add_timer(l, now_us() + 5000000, pf_timeout, NULL);
		loop_add_timer(l, now_us() + 20000, pf_poll, probes);
		loop_run(l);
		for (size_t i = 0; i < n; i++) {
			nodes[i].name = names[i];
			nodes[i].f = probes[i].c ? check_mysql_facts(probes[i].c) : NULL;
			nodes[i].unreachable_why = probes[i].c ? check_last_error(probes[i].c) : "";
		}
		size_t nf = preflight_mysql(nodes, n, vs->manage_read_only, -1, f, 32, &semi);
		char a[INET_ADDRSTRLEN];

		for (size_t k = 0; k < nf; k++) {
			printf("[%s:%u] %s: %s\n", inet_ntop(AF_INET, &vs->addr, a, sizeof(a)), vs->port,
			       pf_level_str(f[k].level), f[k].text);
			if ((int)f[k].level > worst)
				worst = (int)f[k].level;
		}
		for (size_t i = 0; i < n; i++)
			if (probes[i].c)
				check_free(probes[i].c);
	}
	loop_free(l);
	config_free(cfg);
	return worst == PF_ERROR ? 1 : 0;
}

static int cmd_check_mysql(int argc, char **argv)
{
	const char *conf = "/etc/xvip/xvipd.conf";
	char *reply;
	int rc;

	if (argc > 2 && strcmp(argv[1], "-f") == 0)
		conf = argv[2];
	else if ((reply = control_request(pin_root, "check-mysql", 3000)) != NULL) {
		fputs(reply, stdout);
		rc = strstr(reply, "] ERROR: ") != NULL;
		free(reply);
		return rc;
	}
	return check_mysql_local(conf);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-root", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct xvip_maps m;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pin_root = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage(stderr), 2;
	if (strcmp(argv[0], "attach") == 0)
		return cmd_attach(argc, argv);
	if (strcmp(argv[0], "selftest") == 0)
		return cmd_selftest(argc, argv);
	if (strcmp(argv[0], "detach") == 0)
		return cmd_detach(argc, argv);
	if (strcmp(argv[0], "promote") == 0)
		return argc < 2 ? (usage(stderr), 2) : cmd_promote(argv[1]);
	if (strcmp(argv[0], "handover") == 0)
		return cmd_promote(NULL);
	if (strcmp(argv[0], "check-mysql") == 0)
		return cmd_check_mysql(argc, argv);
	if (strcmp(argv[0], "unpin") == 0)
		return maps_unpin(pin_root, err, sizeof(err)) < 0 ? die(err) : 0;
	if (strcmp(argv[0], "status") != 0 && strcmp(argv[0], "vip") != 0 &&
	    strcmp(argv[0], "metrics") != 0 &&
	    strcmp(argv[0], "service") != 0) {
		fprintf(stderr, "xvipctl: unknown command '%s'\n", argv[0]);
		usage(stderr);
		return 2;
	}
	if (maps_open_pinned(&m, pin_root, err, sizeof(err)) < 0)
		return die(err);
	if (strcmp(argv[0], "status") == 0) {
		bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
		char *daemon = control_request(pin_root, json ? "status-json" : "status", 1000);

		/* The daemon's view first (elections, transitions), then the maps,
		 * which answer even when the daemon is not running. */
		if (json) {
			printf("{\"daemon\":%s,\"dataplane\":", daemon ? strtok(daemon, "\n") : "null");
			status_walk(&m, &json_printer);
			printf("}\n");
		} else {
			if (daemon)
				fputs(daemon, stdout);
			else
				printf("xvipd: not running (no answer on its control socket); "
				       "data plane state from the pinned maps:\n");
			status_walk(&m, &text_printer);
		}
		free(daemon);
		rc = 0;
	} else if (strcmp(argv[0], "metrics") == 0) {
		char *daemon = control_request(pin_root, "metrics", 1000);

		/* xvipd's own families (when it answers), then the maps' */
		printf("# HELP xvipd_up 1 when xvipd answered on its control socket.\n"
		       "# TYPE xvipd_up gauge\nxvipd_up %d\n", daemon != NULL);
		if (daemon)
			fputs(daemon, stdout);
		free(daemon);
		struct sbuf mb = { 0 };

		metrics_maps(&mb, &m);
		fputs(mb.s ? mb.s : "", stdout);
		free(mb.s);
		rc = 0;
	} else if (strcmp(argv[0], "vip") == 0) {
		rc = cmd_vip(&m, argc, argv);
	} else {
		rc = cmd_service(&m, argc, argv);
	}
	maps_close(&m);
	return rc;
}
