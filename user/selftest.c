/* xvipctl selftest. See selftest.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "arp_pkt.h"
#include "dataplane.h"
#include "fmt.h"
#include "netlink.h"
#include "sbuf.h"
#include "selftest.h"
#include "xdp_mode.h"

#define MAX_XDP_STATS 64

/* The counters that tell where frames went. */
struct devstats {
	uint64_t tx_packets, tx_dropped, tx_errors;
	size_t n;                               /* driver counters with "xdp" in the name */
	char name[MAX_XDP_STATS][ETH_GSTRING_LEN];
	uint64_t val[MAX_XDP_STATS];
};

static uint64_t sysfs_stat(const char *ifname, const char *what)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, what);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* ethtool -S, the counters whose name says xdp (veth: rx_queue_0_xdp_tx,
 * rx_queue_0_xdp_tx_errors, ...). Nothing when the driver has none. */
static void ethtool_xdp_stats(int fd, const char *ifname, struct devstats *st)
{
	struct {
		struct ethtool_sset_info hdr;
		uint32_t len;
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS } };
	struct ethtool_gstrings *names = NULL;
	struct ethtool_stats *vals = NULL;
	struct ifreq ifr = { 0 };
	uint32_t n;

	memcpy(ifr.ifr_name, ifname, strnlen(ifname, sizeof(ifr.ifr_name) - 1));
	ifr.ifr_data = (void *)&sset;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 || !sset.hdr.sset_mask)
		return;
	n = sset.len;
	if (!n || n > 4096)
		return;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	vals = calloc(1, sizeof(*vals) + (size_t)n * sizeof(uint64_t));
	if (!names || !vals)
		goto out;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	ifr.ifr_data = (void *)names;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		goto out;
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = n;
	ifr.ifr_data = (void *)vals;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		goto out;
	for (uint32_t i = 0; i < n && st->n < MAX_XDP_STATS; i++) {
		const char *s = (const char *)names->data + (size_t)i * ETH_GSTRING_LEN;

		if (!memmem(s, strnlen(s, ETH_GSTRING_LEN), "xdp", 3))
			continue;
		memcpy(st->name[st->n], s, ETH_GSTRING_LEN);
		st->name[st->n][ETH_GSTRING_LEN - 1] = 0;
		st->val[st->n++] = vals->data[i];
	}
out:
	free(names);
	free(vals);
}

static void read_stats(int fd, const char *ifname, struct devstats *st)
{
	memset(st, 0, sizeof(*st));
	st->tx_packets = sysfs_stat(ifname, "tx_packets");
	st->tx_dropped = sysfs_stat(ifname, "tx_dropped");
	st->tx_errors = sysfs_stat(ifname, "tx_errors");
	ethtool_xdp_stats(fd, ifname, st);
}

/* Transmit side only: a receive-side drop (rx_queue_N_xdp_drops) is a
 * verdict of the program, not a reply lost. */
static bool is_xmit_counter(const char *name)
{
	return strstr(name, "xdp_tx") || strstr(name, "xmit");
}

static bool is_error_counter(const char *name)
{
	return is_xmit_counter(name) && (strstr(name, "err") || strstr(name, "drop"));
}

static bool is_tx_counter(const char *name)
{
	return is_xmit_counter(name) && !is_error_counter(name);
}

/* b - a, 0 if the counter went back (the device was re-created) */
static uint64_t grew(uint64_t a, uint64_t b)
{
	return b > a ? b - a : 0;
}

/* What moved between a and b. */
struct delta {
	uint64_t dropped, tx_packets, xdp_sent;
	char detail[512];
};

static void diff_stats(const struct devstats *a, const struct devstats *b, struct delta *d)
{
	size_t len;

	memset(d, 0, sizeof(*d));
	d->tx_packets = grew(a->tx_packets, b->tx_packets);
	d->dropped = grew(a->tx_dropped, b->tx_dropped) + grew(a->tx_errors, b->tx_errors);
	len = (size_t)snprintf(d->detail, sizeof(d->detail), "tx_packets +%" PRIu64
			       ", tx_dropped +%" PRIu64 ", tx_errors +%" PRIu64,
			       d->tx_packets, grew(a->tx_dropped, b->tx_dropped),
			       grew(a->tx_errors, b->tx_errors));
	for (size_t i = 0; i < b->n && i < a->n; i++) {
		uint64_t v = grew(a->val[i], b->val[i]);

		if (!v || strcmp(a->name[i], b->name[i]))
			continue;
		if (is_error_counter(b->name[i]))
			d->dropped += v;
		else if (is_tx_counter(b->name[i]))
			d->xdp_sent += v;
		else
			continue;
		if (len < sizeof(d->detail))
			len += (size_t)snprintf(d->detail + len, sizeof(d->detail) - len,
						", %s +%" PRIu64, b->name[i], v);
	}
}

/* The arp_reply verdicts so far; false when they cannot be read. */
static bool arp_replies_verdicts(const struct xvip_maps *m, uint64_t *n)
{
	uint64_t r[XVIP_R_MAX];

	if (dp_reason_counters(m, r) < 0)
		return false;
	*n = r[XVIP_R_ARP_REPLY];
	return true;
}

/* A veth in native mode whose peer has no XDP program drops XDP_TX frames
 * (for live test frames even before any counter moves). */
static bool veth_without_peer_program(const char *ifname, int *peer, bool *other_ns)
{
	struct xdp_facts f = { 0 };
	char err[256];

	if (nl_xdp_facts(ifname, &f, err, sizeof(err)) < 0 || strcmp(f.kind, "veth") ||
	    !f.peer_known || f.peer_xdp)
		return false;
	*peer = f.peer_ifindex;
	*other_ns = f.peer_netnsid >= 0;
	return true;
}

static void veth_hint(const char *ifname, int peer, bool other_ns, struct sbuf *out)
{
	sb_printf(out, "       %s is a veth whose peer (ifindex %d%s) has no XDP program in native mode: a veth "
		  "drops native XDP_TX frames then. Start xvipd without --native (it picks "
		  "generic mode here), or attach an XDP program to the peer.\n",
		  ifname, peer, other_ns ? ", another namespace" : "");
}

/* Sends the reply frame out of ifindex as generic XDP would: straight to
 * the driver, past the qdisc. */
static int send_generic(int ifindex, const uint8_t *frame, size_t len, unsigned n)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
	int one = 1, fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	memcpy(sll.sll_addr, frame, 6);
	for (unsigned i = 0; i < n && rc == 0; i++)
		if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
			rc = -errno;
	close(fd);
	return rc;
}

/* One VIP on one interface. */
static enum selftest_verdict test_one(const struct xvip_maps *m, uint32_t vip,
				      const struct vip_entry *v, int ifindex, unsigned frames,
				      int ioc_fd, struct sbuf *out)
{
	char ifname[IF_NAMESIZE] = "?", a[INET_ADDRSTRLEN], me[INET_ADDRSTRLEN], err[256];
	uint8_t req[ARP_FRAME_MIN_LEN], reply[256];
	struct iface_info ii;
	struct devstats before, after;
	struct delta d;
	struct arp_info ai;
	struct xdp_md md = { .data_end = sizeof(req), .ingress_ifindex = (__u32)ifindex };
	uint64_t now = mono_ns(), replies0;
	bool owned = dp_vip_fresh(m, v, now), generic = false, other_ns = false;
	int prog, rc, peer = 0;

	if_indextoname((unsigned)ifindex, ifname);
	ip4_str(vip, a);
	if (nl_iface_info(ifname, &ii, err, sizeof(err)) < 0) {
		sb_printf(out, "  FAIL %s\n", err);
		return SELFTEST_FAIL;
	}
	prog = dp_xvip_prog_fd(ifindex, &generic);
	ip4_str(ii.addr_be, me);
	sb_printf(out, "%s, %s mode, VIP %s: %s\n", ifname, prog < 0 ? "no xvip program" :
		  generic ? "generic" : "native", a,
		  owned ? "owned here" : v->owner ? "owned, but its lease ran out" :
		  "owned by another node");
	if (prog < 0) {
		sb_printf(out, "  FAIL no xvip XDP program is attached to %s: nothing answers ARP "
			  "for %s here\n", ifname, a);
		return SELFTEST_FAIL;
	}
	arp_build_request(req, sizeof(req), ii.mac, ii.addr_be, vip);

	/* 1: what the program decides, nothing sent */
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = req, .data_size_in = sizeof(req),
		    .data_out = reply, .data_size_out = sizeof(reply), .ctx_in = &md,
		    .ctx_size_in = sizeof(md));
	rc = bpf_prog_test_run_opts(prog, &t);
	if (rc < 0) {
		sb_printf(out, "  FAIL cannot run the program on a test frame: %s\n", strerror(errno));
		close(prog);
		return SELFTEST_FAIL;
	}
	if (!owned && v->owner) {
		close(prog);
		sb_printf(out, "  FAIL %s is owned here but its lease ran out: nothing answers ARP "
			  "for it (is xvipd running, and advertising?)\n", a);
		return SELFTEST_FAIL;
	}
	if (!owned) {
		close(prog);
		if (t.retval == XDP_DROP) {
			sb_printf(out, "  ok   ARP for %s is dropped here (not the owner): the owner "
				  "answers\n", a);
			return SELFTEST_PASS;
		}
		sb_printf(out, "  FAIL ARP for %s gets verdict %u here, not XDP_DROP\n", a, t.retval);
		return SELFTEST_FAIL;
	}
	if (t.retval != XDP_TX || arp_parse(reply, t.data_size_out, &ai) != ARP_OK ||
	    ai.op != ARP_OP_REPLY || ai.spa != vip || memcmp(ai.sha, v->mac, 6) ||
	    memcmp(ai.eth_dst, ii.mac, 6)) {
		sb_printf(out, "  FAIL the program does not answer a request for %s (verdict %u)\n", a,
			  t.retval);
		close(prog);
		return SELFTEST_FAIL;
	}
	sb_printf(out, "  ok   the program answers \"who has %s? tell %s\" with XDP_TX\n", a, me);

	/* 2: send it as this mode does, and watch the counters */
	if (!arp_replies_verdicts(m, &replies0)) {
		sb_printf(out, "  ??   cannot read the verdict counters\n");
		close(prog);
		return SELFTEST_UNKNOWN;
	}
	read_stats(ioc_fd, ifname, &before);
	if (generic) {
		rc = send_generic(ifindex, reply, t.data_size_out, frames);
	} else {
		LIBBPF_OPTS(bpf_test_run_opts, live, .data_in = req, .data_size_in = sizeof(req),
			    .ctx_in = &md, .ctx_size_in = sizeof(md), .repeat = frames,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
		rc = bpf_prog_test_run_opts(prog, &live) < 0 ? -errno : 0;
	}
	close(prog);
	if (rc < 0) {
		sb_printf(out, "  FAIL cannot send test frames on %s: %s\n", ifname, strerror(-rc));
		return SELFTEST_FAIL;
	}
	/* A veth counts as it hands the frames over (the window stays a few
	 * microseconds wide: little else is sent in it); a NIC's driver may
	 * count XDP transmissions at completion. */
	if (!generic)
		usleep(20000);
	read_stats(ioc_fd, ifname, &after);
	diff_stats(&before, &after, &d);
	uint64_t replies1 = replies0;

	if (!generic && arp_replies_verdicts(m, &replies1) && grew(replies0, replies1) < frames) {
		sb_printf(out, "  FAIL the program answered only %" PRIu64 " of %u live frames\n",
			  grew(replies0, replies1), frames);
		return SELFTEST_FAIL;
	}
	bool bad_veth = !generic && veth_without_peer_program(ifname, &peer, &other_ns);

	if (d.dropped) {
		sb_printf(out, "  FAIL %s dropped %" PRIu64 " of %u replies: they do not leave the "
			  "host (%s)\n", ifname, d.dropped, frames, d.detail);
		if (bad_veth)
			veth_hint(ifname, peer, other_ns, out);
		return SELFTEST_FAIL;
	}
	if (bad_veth) {
		sb_printf(out, "  FAIL none of %u replies left %s (%s)\n", frames, ifname, d.detail);
		veth_hint(ifname, peer, other_ns, out);
		return SELFTEST_FAIL;
	}
	/* Native: only the driver's XDP transmit counters tell (tx_packets
	 * counts whatever else the host sent meanwhile). Generic: the replies
	 * took the driver's transmit path, as generic XDP's XDP_TX does. */
	if (d.xdp_sent >= frames || (generic && d.tx_packets >= frames)) {
		sb_printf(out, "  ok   %u of %u replies left %s (%s)\n", frames, frames, ifname,
			  d.detail);
		return SELFTEST_PASS;
	}
	sb_printf(out, "  ??   the program answers, but %s's counters do not show the replies "
		  "leave (%s): its driver does not count XDP transmissions. Check from another "
		  "host: arping -I <interface> %s\n", ifname, d.detail, a);
	return SELFTEST_UNKNOWN;
}

enum selftest_verdict selftest_run(const char *pin_root, const char *ifname, unsigned frames,
				   struct sbuf *out)
{
	enum selftest_verdict worst = SELFTEST_PASS;
	struct xvip_maps m;
	struct vip_key k, next;
	struct if_nameindex *ifs;
	char err[512];
	bool have = false;
	unsigned tested = 0;
	int ioc_fd, only = 0;

	if (ifname && !(only = (int)if_nametoindex(ifname))) {
		sb_printf(out, "FAIL: no interface %s\n", ifname);
		return SELFTEST_FAIL;
	}
	if (maps_open_pinned(&m, pin_root, err, sizeof(err)) < 0) {
		sb_printf(out, "FAIL: %s\n", err);
		return SELFTEST_FAIL;
	}
	ifs = if_nameindex();
	ioc_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	while (bpf_map_get_next_key(m.vips, have ? &k : NULL, &next) == 0) {
		struct vip_entry v;

		k = next;
		have = true;
		if (dp_vip_get(&m, k.addr, &v) < 0)
			continue;
		/* a VIP bound to one interface is tested there; one for any
		 * interface (set by hand) on every interface with xvip */
		for (struct if_nameindex *p = ifs; p && p->if_index; p++) {
			bool g;
			int fd, idx = (int)p->if_index;
			enum selftest_verdict r;

			if ((v.ifindex && (int)v.ifindex != idx) || (only && only != idx))
				continue;
			if (!v.ifindex) {
				fd = dp_xvip_prog_fd(idx, &g);
				if (fd < 0)
					continue;
				close(fd);
			}
			r = test_one(&m, k.addr, &v, idx, frames, ioc_fd, out);
			tested++;
			if (r == SELFTEST_FAIL || (r == SELFTEST_UNKNOWN && worst == SELFTEST_PASS))
				worst = r;
		}
	}
	if (ioc_fd >= 0)
		close(ioc_fd);
	if (ifs)
		if_freenameindex(ifs);
	maps_close(&m);
	if (!tested) {
		sb_printf(out, "FAIL: no VIP to test under %s%s%s (is xvipd running with this "
			  "--pin-root?)\n", pin_root, ifname ? " on " : "", ifname ? ifname : "");
		return SELFTEST_FAIL;
	}
	sb_printf(out, "%s\n", worst == SELFTEST_PASS ? "PASS: every owned VIP's ARP replies leave "
		  "the host" : worst == SELFTEST_FAIL ? "FAIL: see above" :
		  "UNKNOWN: the program answers; the driver does not show whether the replies left");
	return worst;
}
