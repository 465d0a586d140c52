/* The data plane's maps as rows (status_walk), and those rows as
 * Prometheus text (metrics_maps): shared by xvipctl (from the pins) and
 * xvipd (its own maps, for metrics_listen). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "clock.h"
#include "fmt.h"
#include "status_maps.h"

void status_walk(struct xvip_maps *m, const struct status_printer *p)
{
	__u64 now = mono_ns();
	uint64_t reasons[XVIP_R_MAX];
	struct vip_key vk, vnext;
	struct svc_key sk, snext;
	bool have = false, first = true;

	p->section(SEC_BEGIN);
	while (bpf_map_get_next_key(m->vips, have ? &vk : NULL, &vnext) == 0) {
		struct vip_row r = { .addr = vnext.addr };

		vk = vnext;
		have = true;
		if (dp_vip_get(m, vk.addr, &r.v) < 0)
			continue;
		dp_vip_counters(m, vk.addr, &r.c);
		/* an entry whose daemon died has no lease left, whatever its time */
		r.left_ms = r.v.lease_expires_ns > now && (!r.v.owner || dp_vip_fresh(m, &r.v, now))
				    ? (long long)((r.v.lease_expires_ns - now) / 1000000) : 0;
		p->vip(&r, first);
		first = false;
	}
	p->section(SEC_VRRP);
	first = true;
	for (int vrid = 0; vrid < 256; vrid++) {
		struct vrrp_stats s;

		if (dp_vrrp_stats(m, (uint8_t)vrid, &s) < 0)
			continue;
		if (!s.adverts && !s.bad_version && !s.bad_type && !s.bad_length && !s.bad_ttl &&
		    !s.bad_checksum)
			continue;
		p->vrrp(vrid, &s,
			s.last_seen_ns && now > s.last_seen_ns ? (now - s.last_seen_ns) / 1000000 : 0,
			first);
		first = false;
	}
	p->section(SEC_SERVICES);
	first = true;
	have = false;
	while (bpf_map_get_next_key(m->services, have ? &sk : NULL, &snext) == 0) {
		struct svc_row r = { .k = snext };

		sk = snext;
		have = true;
		if (bpf_map_lookup_elem(m->services, &sk, &r.e) < 0)
			continue;
		dp_svc_counters(m, r.e.id, &r.c);
		for (uint32_t i = 0; i < r.e.nbackends && i < XVIP_MAX_BACKENDS; i++) {
			uint32_t key = r.e.id * XVIP_MAX_BACKENDS + i;

			r.have[i] = bpf_map_lookup_elem(m->backends, &key, &r.b[i]) == 0;
		}
		p->svc(&r, first);
		first = false;
	}
	p->section(SEC_REASONS);
	dp_reason_counters(m, reasons);
	for (unsigned r = 0; r < XVIP_R_MAX; r++)
		p->reason(dp_reason_name(r), (unsigned long long)reasons[r], r == 0);
	p->section(SEC_END);
}


const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* Prometheus text: every family's samples must stay together, so the rows
 * are gathered first and printed family by family at the end. */

struct vrrp_row {
	int vrid;
	struct vrrp_stats s;
	__u64 ago_ms;
};

static struct {
	struct vip_row *vip;
	size_t nvip;
	struct vrrp_row *vrrp;
	size_t nvrrp;
	struct svc_row *svc;
	size_t nsvc;
	const char *reason[XVIP_R_MAX];
	unsigned long long nreason[XVIP_R_MAX];
	size_t nr;
} M;

static void *grow(void *p, size_t n, size_t size)
{
	void *q = realloc(p, (n + 1) * size);

	if (!q)
		abort(); /* a few hundred bytes: nothing sensible to do */
	return q;
}

static void m_vip(const struct vip_row *r, bool first)
{
	(void)first;
	M.vip = grow(M.vip, M.nvip, sizeof(*M.vip));
	M.vip[M.nvip++] = *r;
}

static void m_vrrp(int vrid, const struct vrrp_stats *s, __u64 ago_ms, bool first)
{
	(void)first;
	M.vrrp = grow(M.vrrp, M.nvrrp, sizeof(*M.vrrp));
	M.vrrp[M.nvrrp++] = (struct vrrp_row){ vrid, *s, ago_ms };
}

static void m_svc(const struct svc_row *r, bool first)
{
	(void)first;
	M.svc = grow(M.svc, M.nsvc, sizeof(*M.svc));
	M.svc[M.nsvc++] = *r;
}

static void m_reason(const char *name, unsigned long long n, bool first)
{
	(void)first;
	if (M.nr < XVIP_R_MAX) {
		M.reason[M.nr] = name;
		M.nreason[M.nr++] = n;
	}
}

static struct sbuf *OUT;

static void family(const char *name, const char *type, const char *help)
{
	sb_printf(OUT, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void m_print(void)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	static const char *const rej[] = { "version", "type", "length", "ttl", "checksum" };

#define VIPS(metric, fmt, expr)                                                                   \
	for (size_t i = 0; i < M.nvip; i++) {                                                    \
		const struct vip_row *r = &M.vip[i];                                             \
		sb_printf(OUT, "%s{vip=\"%s\",vrid=\"%u\"} " fmt "\n", metric, ip4_str(r->addr, a),        \
		       r->v.vrid, expr);                                                         \
	}
	family("xvip_vip_owner", "gauge", "1 where this node's map says it owns the VIP.");
	VIPS("xvip_vip_owner", "%d", r->v.owner ? 1 : 0)
	family("xvip_vip_answering", "gauge",
	       "1 while the data plane answers ARP for the VIP (owner with a fresh lease).");
	VIPS("xvip_vip_answering", "%d", r->v.owner && r->left_ms > 0)
	family("xvip_vip_lease_seconds", "gauge", "Time left on the VIP's lease.");
	VIPS("xvip_vip_lease_seconds", "%.3f", r->left_ms / 1000.0)
	family("xvip_vip_arp_replies_total", "counter", "ARP replies sent by the data plane.");
	VIPS("xvip_vip_arp_replies_total", "%llu", r->c.arp_replies)
	family("xvip_vip_arp_drops_total", "counter",
	       "ARP requests for the VIP dropped: not the owner, or the lease ran out.");
	for (size_t i = 0; i < M.nvip; i++) {
		const struct vip_row *r = &M.vip[i];

		sb_printf(OUT, "xvip_vip_arp_drops_total{vip=\"%s\",vrid=\"%u\",reason=\"not_owner\"} %llu\n"
		       "xvip_vip_arp_drops_total{vip=\"%s\",vrid=\"%u\",reason=\"lease_expired\"} %llu\n",
		       ip4_str(r->addr, a), r->v.vrid, r->c.arp_drop_not_owner, ip4_str(r->addr, b),
		       r->v.vrid, r->c.arp_drop_expired);
	}
	family("xvip_vip_conflicts_total", "counter",
	       "ARP from another MAC claiming a VIP this node owns (split brain seen).");
	VIPS("xvip_vip_conflicts_total", "%llu", r->c.conflicts)
#undef VIPS

#define VRIDS(metric, fmt, expr)                                                                  \
	for (size_t i = 0; i < M.nvrrp; i++) {                                                   \
		const struct vrrp_row *r = &M.vrrp[i];                                           \
		sb_printf(OUT, "%s{vrid=\"%d\"} " fmt "\n", metric, r->vrid, expr);                       \
	}
	family("xvip_vrrp_adverts_total", "counter", "Valid VRRP adverts seen, per router id.");
	VRIDS("xvip_vrrp_adverts_total", "%llu", r->s.adverts)
	family("xvip_vrrp_priority_zero_total", "counter",
	       "Priority-0 adverts seen (a master stepping down).");
	VRIDS("xvip_vrrp_priority_zero_total", "%llu", r->s.prio_zero)
	family("xvip_vrrp_last_priority", "gauge", "Priority in the last valid advert.");
	VRIDS("xvip_vrrp_last_priority", "%u", r->s.last_priority)
	family("xvip_vrrp_last_advert_age_seconds", "gauge", "Time since the last valid advert.");
	VRIDS("xvip_vrrp_last_advert_age_seconds", "%.3f", r->ago_ms / 1000.0)
	family("xvip_vrrp_rejected_total", "counter", "VRRP packets rejected, by reason.");
	for (size_t i = 0; i < M.nvrrp; i++) {
		const struct vrrp_stats *st = &M.vrrp[i].s;
		const unsigned long long n[] = { st->bad_version, st->bad_type, st->bad_length,
						 st->bad_ttl, st->bad_checksum };

		for (size_t k = 0; k < 5; k++)
			sb_printf(OUT, "xvip_vrrp_rejected_total{vrid=\"%d\",reason=\"%s\"} %llu\n",
			       M.vrrp[i].vrid, rej[k], n[k]);
	}
#undef VRIDS

#define SVCS(metric, fmt, expr)                                                                   \
	for (size_t i = 0; i < M.nsvc; i++) {                                                    \
		const struct svc_row *r = &M.svc[i];                                             \
		sb_printf(OUT, "%s{service=\"%s:%u\",proto=\"%s\"} " fmt "\n", metric, ip4_str(r->k.vip, a), \
		       ntohs(r->k.port), proto_name(r->k.proto), expr);                          \
	}
	family("xvip_service_packets_total", "counter", "Packets to the service seen by the owner.");
	SVCS("xvip_service_packets_total", "%llu", r->c.packets)
	family("xvip_service_new_flows_total", "counter", "New flows given a backend.");
	SVCS("xvip_service_new_flows_total", "%llu", r->c.new_flows)
	family("xvip_service_forwarded_total", "counter",
	       "Packets delivered locally (to=local) or sent to a remote backend (to=remote).");
	for (size_t i = 0; i < M.nsvc; i++) {
		const struct svc_row *r = &M.svc[i];

		ip4_str(r->k.vip, a);
		sb_printf(OUT, "xvip_service_forwarded_total{service=\"%s:%u\",proto=\"%s\",to=\"local\"} %llu\n"
		       "xvip_service_forwarded_total{service=\"%s:%u\",proto=\"%s\",to=\"remote\"} %llu\n",
		       a, ntohs(r->k.port), proto_name(r->k.proto), r->c.to_local, a,
		       ntohs(r->k.port), proto_name(r->k.proto), r->c.to_remote);
	}
	family("xvip_service_no_backend_total", "counter",
	       "Packets with no healthy backend (passed to the local stack).");
	SVCS("xvip_service_no_backend_total", "%llu", r->c.no_backend)
#undef SVCS
	family("xvip_backend_healthy", "gauge",
	       "1 where the data plane may send new flows to the backend (fo: the writer).");
	for (size_t i = 0; i < M.nsvc; i++)
		for (uint32_t k = 0; k < M.svc[i].e.nbackends && k < XVIP_MAX_BACKENDS; k++)
			if (M.svc[i].have[k])
				sb_printf(OUT, "xvip_backend_healthy{service=\"%s:%u\",proto=\"%s\",backend=\"%s\"} %d\n",
				       ip4_str(M.svc[i].k.vip, a), ntohs(M.svc[i].k.port),
				       proto_name(M.svc[i].k.proto), ip4_str(M.svc[i].b[k].addr, b),
				       M.svc[i].b[k].healthy ? 1 : 0);
	family("xvip_verdicts_total", "counter", "Data plane verdicts, by reason.");
	for (size_t i = 0; i < M.nr; i++)
		sb_printf(OUT, "xvip_verdicts_total{reason=\"%s\"} %llu\n", M.reason[i], M.nreason[i]);
	free(M.vip);
	free(M.vrrp);
	free(M.svc);
	memset(&M, 0, sizeof(M));
}

static void m_section(int which)
{
	if (which == SEC_END)
		m_print();
}

static const struct status_printer metrics_printer = {
	m_vip, m_vrrp, m_svc, m_section, m_reason,
};

void metrics_maps(struct sbuf *b, struct xvip_maps *maps)
{
	OUT = b;
	status_walk(maps, &metrics_printer);
	OUT = NULL;
}
