/* The XDP mode decision. See xdp_mode.h. */
#include <stdio.h>
#include <string.h>

#include "xdp_mode.h"

const char *xdp_pref_name(enum xdp_pref p)
{
	switch (p) {
	case XDP_PREF_NATIVE: return "native";
	case XDP_PREF_GENERIC: return "generic";
	case XDP_PREF_AUTO: break;
	}
	return "auto";
}

/* Software devices the kernel has no native XDP for. */
static bool no_native_xdp(const char *kind)
{
	static const char *const kinds[] = { "vlan", "macvlan", "macvtap", "ipvlan", "vxlan",
					     "geneve", "gre", "gretap", "bridge", "dummy", "team",
					     "vrf", "wireguard" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return false;
}

static void set(struct xdp_plan *p, enum xdp_plan_mode m, const char *why)
{
	p->mode = m;
	snprintf(p->why, sizeof(p->why), "%.*s", (int)sizeof(p->why) - 1, why);
}

static void veth_peer(const struct xdp_facts *f, char *buf, size_t len)
{
	if (f->peer_netnsid >= 0)
		snprintf(buf, len, "ifindex %d in netns id %d", f->peer_ifindex, f->peer_netnsid);
	else
		snprintf(buf, len, "ifindex %d", f->peer_ifindex);
}

static void decide_veth(const struct xdp_facts *f, enum xdp_pref pref, struct xdp_plan *out)
{
	static const char csum[] =
		"veth: native XDP_TX loses the senders' pending checksums (CHECKSUM_PARTIAL): "
		"TCP steered to another node would be dropped there";
	char peer[48], why[XDP_WHY_LEN];

	veth_peer(f, peer, sizeof(peer));
	if (!f->peer_known) {
		snprintf(why, sizeof(why),
			 "veth: its peer could not be queried (%.90s): native XDP_TX delivery cannot "
			 "be proven", f->peer_error[0] ? f->peer_error : "unknown");
		if (pref == XDP_PREF_NATIVE) {
			set(out, XDP_PLAN_NATIVE_ONLY, "--native");
			snprintf(out->warning, sizeof(out->warning), "%.*s", (int)sizeof(out->warning) - 1,
			 why);
		} else {
			set(out, XDP_PLAN_GENERIC, why);
		}
		return;
	}
	if (!f->peer_xdp) {
		snprintf(why, sizeof(why),
			 "veth: native XDP_TX frames would be dropped: its peer (%s) has no XDP "
			 "program in native mode", peer);
		set(out, pref == XDP_PREF_NATIVE ? XDP_PLAN_REFUSE : XDP_PLAN_GENERIC, why);
		return;
	}
	if (f->remote_steering) {
		if (pref == XDP_PREF_NATIVE) {
			snprintf(why, sizeof(why), "--native; veth peer (%s) has an XDP program", peer);
			set(out, XDP_PLAN_NATIVE_ONLY, why);
			snprintf(out->warning, sizeof(out->warning),
				 "%s, unless every sender fills in its checksums (tx offload off)",
				 csum);
		} else {
			set(out, XDP_PLAN_GENERIC, csum);
		}
		return;
	}
	snprintf(why, sizeof(why), "veth peer (%s) has an XDP program: XDP_TX is delivered", peer);
	set(out, pref == XDP_PREF_NATIVE ? XDP_PLAN_NATIVE_ONLY : XDP_PLAN_NATIVE, why);
}

void xdp_plan_decide(const struct xdp_facts *f, enum xdp_pref pref, struct xdp_plan *out)
{
	char why[XDP_WHY_LEN];

	memset(out, 0, sizeof(*out));
	if (pref == XDP_PREF_GENERIC) {
		set(out, XDP_PLAN_GENERIC, "--generic");
		return;
	}
	if (!strcmp(f->kind, "veth")) {
		decide_veth(f, pref, out);
		return;
	}
	if (no_native_xdp(f->kind)) {
		snprintf(why, sizeof(why), "%s devices have no native XDP", f->kind);
		set(out, pref == XDP_PREF_NATIVE ? XDP_PLAN_REFUSE : XDP_PLAN_GENERIC, why);
		return;
	}
	/* A NIC (physical, virtio_net) or a bond: its driver decides, and says
	 * no by failing the attach. */
	if (f->kind[0])
		snprintf(why, sizeof(why), "%s device%s%s", f->kind, f->driver[0] ? ", driver " : "",
			 f->driver);
	else
		snprintf(why, sizeof(why), "driver %s", f->driver[0] ? f->driver : "unknown");
	if (pref == XDP_PREF_NATIVE) {
		char w2[XDP_WHY_LEN];

		snprintf(w2, sizeof(w2), "--native; %.200s", why);
		set(out, XDP_PLAN_NATIVE_ONLY, w2);
	} else {
		set(out, XDP_PLAN_NATIVE, why);
	}
}
