#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include <netlink/route/neighbour.h>

#include "log.h"
#include "fmt.h"
#include "netlink.h"
#include "xdp_mode.h"

static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS: return 0;
	case NLE_INTR: return EINTR;
	case NLE_BAD_SOCK: return EBADF;
	case NLE_AGAIN: return EAGAIN;
	case NLE_NOMEM: return ENOMEM;
	case NLE_EXIST: return EEXIST;
	case NLE_INVAL: return EINVAL;
	case NLE_RANGE: return ERANGE;
	case NLE_MSGSIZE: return EMSGSIZE;
	case NLE_OPNOTSUPP: return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND: return ENOENT;
	case NLE_NOATTR: return ENOENT;
	case NLE_MISSING_ATTR: return EINVAL;
	case NLE_AF_MISMATCH: return EAFNOSUPPORT;
	case NLE_SEQ_MISMATCH: return EPROTO;
	case NLE_MSG_OVERFLOW: return EMSGSIZE;
	case NLE_MSG_TRUNC: return EMSGSIZE;
	case NLE_NOADDR: return EADDRNOTAVAIL;
	case NLE_SRCRT_NOSUPPORT: return EOPNOTSUPP;
	case NLE_MSG_TOOSHORT: return EPROTO;
	case NLE_MSGTYPE_NOSUPPORT: return EOPNOTSUPP;
	case NLE_OBJ_MISMATCH: return EINVAL;
	case NLE_NOCACHE: return ENOENT;
	case NLE_BUSY: return EBUSY;
	case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
	case NLE_NOACCESS: return EACCES;
	case NLE_PERM: return EPERM;
	case NLE_PKTLOC_FILE: return ENOENT;
	case NLE_PARSE_ERR: return EINVAL;
	case NLE_NODEV: return ENODEV;
	case NLE_IMMUTABLE: return EPERM;
	case NLE_DUMP_INTR: return EINTR;
	default: return EIO;
	}
}

static int check_ifname(const char *ifname, char *err, size_t errlen)
{
	size_t n = ifname ? strlen(ifname) : 0;

	if (n == 0 || n >= XVIP_IFNAMSIZ || strchr(ifname, '/') || !strcmp(ifname, ".") ||
	    !strcmp(ifname, "..")) {
		snprintf(err, errlen, "invalid interface name '%s'", ifname ? ifname : "(null)");
		return -EINVAL;
	}
	return 0;
}

static int open_sock(struct nl_sock **out, const char *what, const char *ifname, char *err,
		     size_t errlen)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	if (!sk) {
		snprintf(err, errlen, "%s %s: cannot allocate a netlink socket", what, ifname);
		return -ENOMEM;
	}
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		snprintf(err, errlen, "%s %s: netlink connect: %s", what, ifname, nl_geterror(rc));
		nl_socket_free(sk);
		return -nlerr_to_errno(rc);
	}
	*out = sk;
	return 0;
}

static int get_link(struct nl_sock *sk, const char *ifname, struct rtnl_link **link,
		    const char *what, char *err, size_t errlen)
{
	int rc = rtnl_link_get_kernel(sk, 0, ifname, link);

	if (rc < 0) {
		int e = nlerr_to_errno(rc);

		if (e == ENOENT || e == ENODEV) {
			snprintf(err, errlen, "%s: no interface named '%s'", what, ifname);
			return -ENODEV;
		}
		snprintf(err, errlen, "%s: looking up interface '%s': %s", what, ifname,
			 nl_geterror(rc));
		return -e;
	}
	return 0;
}

static uint32_t addr_local_be(struct rtnl_addr *a)
{
	struct nl_addr *local = rtnl_addr_get_local(a);
	uint32_t v = 0;

	if (!local || nl_addr_get_family(local) != AF_INET || nl_addr_get_len(local) != 4)
		return 0;
	memcpy(&v, nl_addr_get_binary_addr(local), 4);
	return v;
}

int nl_iface_info(const char *ifname, struct iface_info *out, char *err, size_t errlen)
{
	struct nl_sock *sk = NULL;
	struct rtnl_link *link = NULL;
	struct nl_cache *cache = NULL;
	struct nl_addr *lladdr;
	unsigned int flags;
	int rc;

	rc = check_ifname(ifname, err, errlen);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	rc = open_sock(&sk, "interface info", ifname, err, errlen);
	if (rc)
		return rc;
	rc = get_link(sk, ifname, &link, "interface info", err, errlen);
	if (rc)
		goto out;
	out->ifindex = rtnl_link_get_ifindex(link);
	snprintf(out->name, sizeof(out->name), "%s", ifname);
	out->mtu = rtnl_link_get_mtu(link);
	flags = rtnl_link_get_flags(link);
	out->up = flags & IFF_UP;
	out->running = flags & IFF_RUNNING;
	out->lower_up = flags & IFF_LOWER_UP;
	lladdr = rtnl_link_get_addr(link);
	if (lladdr && nl_addr_get_len(lladdr) == 6)
		memcpy(out->mac, nl_addr_get_binary_addr(lladdr), 6);

	rc = rtnl_addr_alloc_cache(sk, &cache);
	if (rc < 0) {
		snprintf(err, errlen, "interface info %s: dumping addresses: %s", ifname,
			 nl_geterror(rc));
		rc = -nlerr_to_errno(rc);
		goto out;
	}
	/* The first global IPv4 address, preferring primaries over secondaries. */
	for (int pass = 0; pass < 2 && !out->addr_be; pass++) {
		for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
			struct rtnl_addr *a = (struct rtnl_addr *)o;
			bool secondary = rtnl_addr_get_flags(a) & IFA_F_SECONDARY;

			if (rtnl_addr_get_ifindex(a) != out->ifindex ||
			    rtnl_addr_get_family(a) != AF_INET ||
			    rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE || secondary != (pass == 1))
				continue;
			out->addr_be = addr_local_be(a);
			if (out->addr_be) {
				out->prefixlen = rtnl_addr_get_prefixlen(a);
				break;
			}
		}
	}
	rc = 0;
out:
	if (cache)
		nl_cache_free(cache);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return rc;
}

/* ---- XDP facts -------------------------------------------------------- */

struct peer_xdp {
	int ifindex;    /* the link asked for */
	bool seen;      /* its reply was parsed */
	bool native;    /* a native (driver mode) XDP program is attached */
};

/* Only a native program gives a veth the receive queue (NAPI) that takes
 * XDP_TX frames from its peer: a generic one does not. */
static int peer_xdp_parse(struct nl_msg *msg, void *arg)
{
	struct peer_xdp *res = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1], *xdp[IFLA_XDP_MAX + 1];
	const struct ifinfomsg *ifi = nlmsg_data(h);
	uint8_t mode;

	if (h->nlmsg_type != RTM_NEWLINK || ifi->ifi_index != res->ifindex ||
	    nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
		return NL_SKIP;
	res->seen = true;
	if (!tb[IFLA_XDP] || nla_parse_nested(xdp, IFLA_XDP_MAX, tb[IFLA_XDP], NULL) < 0 ||
	    !xdp[IFLA_XDP_ATTACHED])
		return NL_OK;
	mode = nla_get_u8(xdp[IFLA_XDP_ATTACHED]);
	res->native = mode == XDP_ATTACHED_DRV ||
		      (mode == XDP_ATTACHED_MULTI && xdp[IFLA_XDP_DRV_PROG_ID] &&
		       nla_get_u32(xdp[IFLA_XDP_DRV_PROG_ID]));
	return NL_OK;
}

/* RTM_GETLINK for ifindex, in the namespace netnsid names (-1: ours). */
static int query_peer_xdp(struct nl_sock *sk, int ifindex, int netnsid, struct peer_xdp *res)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	int rc;

	if (!msg)
		return -NLE_NOMEM;
	rc = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (rc == 0 && netnsid >= 0)
		rc = nla_put_s32(msg, IFLA_TARGET_NETNSID, netnsid);
	if (rc == 0) {
		nl_socket_disable_auto_ack(sk);
		nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, peer_xdp_parse, res);
		rc = nl_send_auto(sk, msg);
		if (rc >= 0)
			rc = nl_recvmsgs_default(sk);
	}
	nlmsg_free(msg);
	return rc < 0 ? rc : 0;
}

static void driver_name(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	buf[0] = 0;
	if (fd < 0)
		return;
	/* the name was checked: shorter than IFNAMSIZ */
	memcpy(ifr.ifr_name, ifname, strnlen(ifname, sizeof(ifr.ifr_name) - 1));
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0) {
		size_t n = strnlen(info.driver, sizeof(info.driver));

		n = n < len ? n : len - 1;
		memcpy(buf, info.driver, n);
		buf[n] = 0;
	}
	close(fd);
}

int nl_xdp_facts(const char *ifname, struct xdp_facts *f, char *err, size_t errlen)
{
	struct nl_sock *sk = NULL;
	struct rtnl_link *link = NULL;
	const char *kind;
	int32_t nsid;
	int rc;

	rc = check_ifname(ifname, err, errlen);
	if (rc)
		return rc;
	f->kind[0] = f->driver[0] = f->peer_error[0] = 0;
	f->peer_known = f->peer_xdp = false;
	f->peer_ifindex = 0;
	f->peer_netnsid = -1;
	rc = open_sock(&sk, "XDP facts", ifname, err, errlen);
	if (rc)
		return rc;
	rc = get_link(sk, ifname, &link, "XDP facts", err, errlen);
	if (rc)
		goto out;
	kind = rtnl_link_get_type(link);
	snprintf(f->kind, sizeof(f->kind), "%s", kind ? kind : "");
	driver_name(ifname, f->driver, sizeof(f->driver));
	if (!strcmp(f->kind, "veth")) {
		struct peer_xdp res = { 0 };

		f->peer_ifindex = res.ifindex = rtnl_link_get_link(link);
		if (rtnl_link_get_link_netnsid(link, &nsid) == 0)
			f->peer_netnsid = nsid;
		if (f->peer_ifindex <= 0) {
			snprintf(f->peer_error, sizeof(f->peer_error), "no IFLA_LINK");
		} else if ((rc = query_peer_xdp(sk, f->peer_ifindex, f->peer_netnsid, &res)) < 0) {
			snprintf(f->peer_error, sizeof(f->peer_error), "RTM_GETLINK: %s",
				 nl_geterror(rc));
		} else if (!res.seen) {
			snprintf(f->peer_error, sizeof(f->peer_error), "no reply");
		} else {
			f->peer_known = true;
			f->peer_xdp = res.native;
		}
	}
	rc = 0;
out:
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return rc;
}

bool nl_addr_is_local(uint32_t addr_be)
{
	struct ifaddrs *ifa, *p;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (p = ifa; p && !found; p = p->ifa_next) {
		if (!p->ifa_addr || p->ifa_addr->sa_family != AF_INET || !strcmp(p->ifa_name, "lo"))
			continue;
		found = ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr == addr_be;
	}
	freeifaddrs(ifa);
	return found;
}

/* Calls fn on every IPv4 address addr_be on ifindex; stops at the first
 * non-zero return and returns it. Returns the number of matches otherwise. */
static int for_each_match(struct nl_cache *cache, int ifindex, uint32_t addr_be,
			  int (*fn)(struct rtnl_addr *a, void *arg), void *arg)
{
	int n = 0;

	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;

		if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != AF_INET ||
		    addr_local_be(a) != addr_be)
			continue;
		n++;
		if (fn) {
			int rc = fn(a, arg);

			if (rc)
				return rc;
		}
	}
	return n;
}

/* Opens a socket, resolves ifname and dumps the addresses. */
static int addr_setup(const char *what, const char *ifname, struct nl_sock **sk, int *ifindex,
		      struct nl_cache **cache, char *err, size_t errlen)
{
	struct rtnl_link *link = NULL;
	int rc;

	*sk = NULL;
	*cache = NULL;
	rc = check_ifname(ifname, err, errlen);
	if (rc)
		return rc;
	rc = open_sock(sk, what, ifname, err, errlen);
	if (rc)
		return rc;
	rc = get_link(*sk, ifname, &link, what, err, errlen);
	if (rc)
		goto fail;
	*ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	rc = rtnl_addr_alloc_cache(*sk, cache);
	if (rc < 0) {
		snprintf(err, errlen, "%s %s: dumping addresses: %s", what, ifname, nl_geterror(rc));
		rc = -nlerr_to_errno(rc);
		*cache = NULL;
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(*sk);
	*sk = NULL;
	return rc;
}

static void addr_teardown(struct nl_sock *sk, struct nl_cache *cache)
{
	if (cache)
		nl_cache_free(cache);
	if (sk)
		nl_socket_free(sk);
}

int nl_addr_present(const char *ifname, uint32_t addr_be)
{
	struct nl_sock *sk;
	struct nl_cache *cache;
	char err[256];
	int ifindex = 0, rc;

	rc = addr_setup("address lookup", ifname, &sk, &ifindex, &cache, err, sizeof(err));
	if (rc)
		return rc;
	rc = for_each_match(cache, ifindex, addr_be, NULL, NULL) > 0;
	addr_teardown(sk, cache);
	return rc;
}

int nl_addr_ensure(const char *ifname, uint32_t addr_be, int prefixlen, const char *label,
		   char *err, size_t errlen)
{
	struct nl_sock *sk;
	struct nl_cache *cache;
	struct rtnl_addr *a = NULL;
	struct nl_addr *local = NULL;
	char ab[INET_ADDRSTRLEN];
	int ifindex = 0, rc;

	if (prefixlen < 0 || prefixlen > 32) {
		snprintf(err, errlen, "add address %s/%d on %s: invalid prefix length",
			 ip4_str(addr_be, ab), prefixlen, ifname ? ifname : "(null)");
		return -EINVAL;
	}
	if (label && strlen(label) >= XVIP_IFNAMSIZ) {
		snprintf(err, errlen, "add address %s/%d on %s: label '%s' longer than %d chars",
			 ip4_str(addr_be, ab), prefixlen, ifname, label, XVIP_IFNAMSIZ - 1);
		return -EINVAL;
	}
	rc = addr_setup("add address on", ifname, &sk, &ifindex, &cache, err, errlen);
	if (rc)
		return rc;
	if (for_each_match(cache, ifindex, addr_be, NULL, NULL) > 0) {
		rc = 0;
		goto out;
	}
	a = rtnl_addr_alloc();
	local = nl_addr_build(AF_INET, &addr_be, 4);
	if (!a || !local) {
		snprintf(err, errlen, "add address %s/%d on %s: out of memory", ip4_str(addr_be, ab),
			 prefixlen, ifname);
		rc = -ENOMEM;
		goto out;
	}
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, AF_INET);
	rc = rtnl_addr_set_local(a, local);
	if (rc >= 0)
		rtnl_addr_set_prefixlen(a, prefixlen);
	if (rc >= 0 && label)
		rc = rtnl_addr_set_label(a, label);
	if (rc >= 0)
		rc = rtnl_addr_add(sk, a, NLM_F_EXCL);
	if (rc < 0 && rc != -NLE_EXIST) {
		snprintf(err, errlen, "add address %s/%d%s%s on %s: %s", ip4_str(addr_be, ab), prefixlen,
			 label ? " label " : "", label ? label : "", ifname, nl_geterror(rc));
		rc = -nlerr_to_errno(rc);
		goto out;
	}
	rc = 0;
out:
	if (local)
		nl_addr_put(local);
	if (a)
		rtnl_addr_put(a);
	addr_teardown(sk, cache);
	return rc;
}

struct del_ctx {
	struct nl_sock *sk;
	int nlerr;
};

static int del_one(struct rtnl_addr *a, void *arg)
{
	struct del_ctx *c = arg;
	int rc = rtnl_addr_delete(c->sk, a, 0);

	/* Gone meanwhile (or with its primary): fine. */
	if (rc < 0 && rc != -NLE_NOADDR && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV) {
		c->nlerr = rc;
		return -1;
	}
	return 0;
}

int nl_addr_remove(const char *ifname, uint32_t addr_be, char *err, size_t errlen)
{
	struct nl_sock *sk;
	struct nl_cache *cache;
	struct del_ctx c = { 0 };
	char ab[INET_ADDRSTRLEN];
	int ifindex = 0, rc;

	rc = addr_setup("remove address from", ifname, &sk, &ifindex, &cache, err, errlen);
	if (rc)
		return rc;
	c.sk = sk;
	if (for_each_match(cache, ifindex, addr_be, del_one, &c) < 0) {
		snprintf(err, errlen, "remove address %s from %s: %s", ip4_str(addr_be, ab), ifname,
			 nl_geterror(c.nlerr));
		rc = -nlerr_to_errno(c.nlerr);
	}
	addr_teardown(sk, cache);
	return rc;
}

int sysctl_get_int(const char *path, int *val)
{
	char buf[64];
	ssize_t n;
	char *end;
	long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno || v < INT32_MIN || v > INT32_MAX)
		return -EINVAL;
	*val = (int)v;
	return 0;
}

int sysctl_set_int(const char *path, int val, char *err, size_t errlen)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", val);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "sysctl: open %s: %s", path, strerror(e));
		return -e;
	}
	w = write(fd, buf, (size_t)n);
	if (w != n) {
		int e = w < 0 ? errno : EIO;

		close(fd);
		snprintf(err, errlen, "sysctl: write %d to %s: %s", val, path, strerror(e));
		return -e;
	}
	if (close(fd) < 0) {
		int e = errno;

		snprintf(err, errlen, "sysctl: write %d to %s: %s", val, path, strerror(e));
		return -e;
	}
	return 0;
}

int sysctl_arp_dr(const char *ifname, char *err, size_t errlen)
{
	static const struct {
		const char *key;
		int val;
	} settings[] = { { "arp_ignore", 1 }, { "arp_announce", 2 } };
	char path[128];
	int rc = check_ifname(ifname, err, errlen);

	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", ifname,
			 settings[i].key);
		rc = sysctl_set_int(path, settings[i].val, err, errlen);
		if (rc == -ENOENT)
			snprintf(err, errlen, "sysctl %s: no IPv4 configuration for interface '%s' (%s)",
				 settings[i].key, ifname, path);
		if (rc)
			return rc;
	}
	return 0;
}

static int sysctl_read_int(const char *path, int *val)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*val = atoi(buf);
	return 0;
}

int sysctl_arp_answering(const char *const *skip, size_t n, char *out, size_t outlen)
{
	DIR *dp = opendir("/proc/sys/net/ipv4/conf");
	struct dirent *de;
	int all = 0, count = 0;
	size_t used = 0;

	if (outlen)
		out[0] = '\0';
	if (!dp)
		return 0;
	(void)sysctl_read_int("/proc/sys/net/ipv4/conf/all/arp_ignore", &all);
	while ((de = readdir(dp))) {
		char path[320];
		bool skipped = false;
		int v = 0;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "all") ||
		    !strcmp(de->d_name, "default") || !strcmp(de->d_name, "lo"))
			continue;
		for (size_t i = 0; i < n && !skipped; i++)
			skipped = skip[i] && !strcmp(skip[i], de->d_name);
		if (skipped)
			continue;
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/arp_ignore", de->d_name);
		if (sysctl_read_int(path, &v) < 0 || (v > all ? v : all) >= 1)
			continue;
		count++;
		if (used < outlen) {
			int w = snprintf(out + used, outlen - used, "%s%s", used ? " " : "",
					 de->d_name);

			used += w > 0 ? (size_t)w : 0;
		}
	}
	closedir(dp);
	return count;
}

/* ---- link monitor ---- */

struct nl_monitor {
	struct loop *l;
	struct nl_sock *sk;
	struct nl_cb *nlcb;
	int fd;
	nl_link_cb cb;
	void *arg;
	nl_neigh_cb neigh_cb;
	void *neigh_arg;
	bool dispatching, closing;
	bool discarding; /* after an overrun: what is still queued is older than the resync */
};

/* An IPv4 neighbour with a usable link-layer address goes to neigh_cb;
 * the same test for an event and for an entry of a resync's dump (both
 * callers have dst and ll). */
static void neigh_report(struct nl_monitor *m, int family, unsigned state, int ifindex,
			 const void *dst, size_t dstlen, const void *ll, size_t lllen)
{
	const unsigned usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT |
				NUD_NOARP;
	uint32_t addr;

	if (family != AF_INET || !(state & usable) || dstlen != 4 || lllen != 6)
		return;
	memcpy(&addr, dst, 4);
	m->neigh_cb(m->neigh_arg, ifindex, addr, ll);
}

static void mon_neigh(struct nl_monitor *m, struct nlmsghdr *nlh)
{
	struct ndmsg *nd;
	struct nlattr *dst, *lladdr;

	if (!m->neigh_cb || nlh->nlmsg_type != RTM_NEWNEIGH ||
	    !nlmsg_valid_hdr(nlh, sizeof(*nd)))
		return;
	nd = nlmsg_data(nlh);
	dst = nlmsg_find_attr(nlh, sizeof(*nd), NDA_DST);
	lladdr = nlmsg_find_attr(nlh, sizeof(*nd), NDA_LLADDR);
	if (!dst || !lladdr)
		return;
	neigh_report(m, nd->ndm_family, nd->ndm_state, nd->ndm_ifindex, nla_data(dst),
		     (size_t)nla_len(dst), nla_data(lladdr), (size_t)nla_len(lladdr));
}

static bool flags_up_running(unsigned int flags)
{
	return (flags & IFF_UP) && (flags & IFF_RUNNING);
}

static int mon_valid(struct nl_msg *msg, void *arg)
{
	struct nl_monitor *m = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ifinfomsg *ifi;
	struct nlattr *name;
	char ifname[XVIP_IFNAMSIZ] = "";

	if (m->closing)
		return NL_STOP;
	if (m->discarding)
		return NL_OK;
	if (nlh->nlmsg_type == RTM_NEWNEIGH) {
		mon_neigh(m, nlh);
		return m->closing ? NL_STOP : NL_OK;
	}
	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return NL_OK;
	if (!nlmsg_valid_hdr(nlh, sizeof(*ifi)))
		return NL_OK;
	ifi = nlmsg_data(nlh);
	name = nlmsg_find_attr(nlh, sizeof(*ifi), IFLA_IFNAME);
	if (name)
		nla_strlcpy(ifname, name, sizeof(ifname));
	m->cb(m->arg, ifi->ifi_index, ifname,
	      nlh->nlmsg_type == RTM_NEWLINK && flags_up_running(ifi->ifi_flags));
	return m->closing ? NL_STOP : NL_OK;
}

/* After an overrun the missed changes are unknown: report every link, and
 * every neighbour when they are followed (a backend's new MAC may be among
 * the lost messages: the DR maps would keep sending to the old one). */
static void mon_resync(struct nl_monitor *m)
{
	static const char lost[] = "link monitor: the kernel dropped netlink messages "
				   "(receive buffer full)";
	struct nl_sock *sk;
	struct nl_cache *cache = NULL;
	char err[256];
	int nrc = 0, lrc = 0;

	if (open_sock(&sk, "link monitor resync", "", err, sizeof(err))) {
		xlog(LOG_WARNING, "%s, and %s", lost, err);
		return;
	}
	if (m->neigh_cb && (nrc = rtnl_neigh_alloc_cache(sk, &cache)) >= 0) {
		for (struct nl_object *o = nl_cache_get_first(cache); o && !m->closing;
		     o = nl_cache_get_next(o)) {
			struct rtnl_neigh *n = (struct rtnl_neigh *)o;
			struct nl_addr *dst = rtnl_neigh_get_dst(n), *ll = rtnl_neigh_get_lladdr(n);

			if (!dst || !ll)
				continue;
			neigh_report(m, rtnl_neigh_get_family(n), (unsigned)rtnl_neigh_get_state(n),
				     rtnl_neigh_get_ifindex(n), nl_addr_get_binary_addr(dst),
				     nl_addr_get_len(dst), nl_addr_get_binary_addr(ll),
				     nl_addr_get_len(ll));
		}
		nl_cache_free(cache);
		cache = NULL;
	}
	if (!m->closing && (lrc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache)) >= 0) {
		for (struct nl_object *o = nl_cache_get_first(cache); o && !m->closing;
		     o = nl_cache_get_next(o)) {
			struct rtnl_link *link = (struct rtnl_link *)o;
			const char *name = rtnl_link_get_name(link);

			m->cb(m->arg, rtnl_link_get_ifindex(link), name ? name : "",
			      flags_up_running(rtnl_link_get_flags(link)));
		}
		nl_cache_free(cache);
	}
	if (nrc < 0 || lrc < 0)
		xlog(LOG_WARNING, "%s, and reading them again failed: %s", lost,
		     nl_geterror(nrc < 0 ? nrc : lrc));
	else
		xlog(LOG_WARNING, "%s: links%s read again", lost, m->neigh_cb ? " and neighbours" : "");
	nl_socket_free(sk);
}

static void mon_free(struct nl_monitor *m)
{
	loop_del_fd(m->l, m->fd);
	nl_cb_put(m->nlcb);
	nl_socket_free(m->sk);
	free(m);
}

static void mon_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct nl_monitor *m = arg;
	bool resync = false;

	(void)l;
	(void)fd;
	(void)events;
	m->dispatching = true;
	/* Each call reads one datagram; 0 means the socket is drained. A bounded
	 * batch keeps the loop fair: epoll is level-triggered and comes back. */
	for (int i = 0; i < 64 && !m->closing; i++) {
		int rc = nl_recvmsgs_report(m->sk, m->nlcb);

		if (rc > 0)
			continue;
		if (rc == 0 || rc == -NLE_AGAIN || rc == -NLE_INTR)
			break;
		/* ENOBUFS comes back as NLE_NOMEM: messages were lost. The
		 * kernel says so before it hands over what is still queued:
		 * those are older than the dump to come, and would undo it
		 * (a MAC change queued, a later one lost): read and drop them
		 * first. */
		if (rc == -NLE_NOMEM) {
			resync = true;
			m->discarding = true;
			for (int k = 0; k < 1 << 20 && !m->closing; k++) {
				rc = nl_recvmsgs_report(m->sk, m->nlcb);
				if (rc <= 0 && rc != -NLE_INTR && rc != -NLE_NOMEM)
					break;
			}
			m->discarding = false;
		} else
			xlog(LOG_WARNING, "link monitor: reading netlink: %s", nl_geterror(rc));
		break;
	}
	if (resync && !m->closing)
		mon_resync(m);
	m->dispatching = false;
	if (m->closing)
		mon_free(m);
}

int nl_monitor_neigh(struct nl_monitor *m, nl_neigh_cb cb, void *arg)
{
	int rc;

	if (!m)
		return -EINVAL;
	m->neigh_cb = cb;
	m->neigh_arg = arg;
	rc = nl_socket_add_membership(m->sk, RTNLGRP_NEIGH);
	return rc < 0 ? -EIO : 0;
}

struct nl_monitor *nl_monitor_open(struct loop *l, nl_link_cb cb, void *arg, char *err,
				   size_t errlen)
{
	struct nl_monitor *m = calloc(1, sizeof(*m));
	int rc;

	if (!m) {
		snprintf(err, errlen, "link monitor: out of memory");
		return NULL;
	}
	m->l = l;
	m->cb = cb;
	m->arg = arg;
	m->fd = -1;
	m->sk = nl_socket_alloc();
	if (!m->sk) {
		snprintf(err, errlen, "link monitor: cannot allocate a netlink socket");
		goto fail;
	}
	/* Multicast notifications carry sequence number 0. */
	nl_socket_disable_seq_check(m->sk);
	nl_socket_modify_cb(m->sk, NL_CB_VALID, NL_CB_CUSTOM, mon_valid, m);
	m->nlcb = nl_socket_get_cb(m->sk);
	rc = nl_connect(m->sk, NETLINK_ROUTE);
	if (rc < 0) {
		snprintf(err, errlen, "link monitor: netlink connect: %s", nl_geterror(rc));
		goto fail;
	}
	rc = nl_socket_add_membership(m->sk, RTNLGRP_LINK);
	if (rc < 0) {
		snprintf(err, errlen, "link monitor: join RTNLGRP_LINK: %s", nl_geterror(rc));
		goto fail;
	}
	rc = nl_socket_set_nonblocking(m->sk);
	if (rc < 0) {
		snprintf(err, errlen, "link monitor: set non-blocking: %s", nl_geterror(rc));
		goto fail;
	}
	nl_socket_set_buffer_size(m->sk, 1 << 20, 0); /* best effort against overruns */
	m->fd = nl_socket_get_fd(m->sk);
	/* nl_connect uses SOCK_CLOEXEC where it can; make sure of it. */
	fcntl(m->fd, F_SETFD, FD_CLOEXEC);
	rc = loop_add_fd(l, m->fd, EPOLLIN, mon_readable, m);
	if (rc < 0) {
		snprintf(err, errlen, "link monitor: add netlink fd %d to the loop: %s", m->fd,
			 strerror(-rc));
		goto fail;
	}
	return m;
fail:
	if (m->nlcb)
		nl_cb_put(m->nlcb);
	if (m->sk)
		nl_socket_free(m->sk);
	free(m);
	return NULL;
}

void nl_monitor_close(struct nl_monitor *m)
{
	if (!m)
		return;
	if (m->dispatching) {
		m->closing = true; /* freed when mon_readable unwinds */
		return;
	}
	mon_free(m);
}
