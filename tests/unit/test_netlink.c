/*
 * test_netlink.c - interface info, idempotent address add/remove, the DR ARP
 * sysctls and the link monitor, against real kernel interfaces.
 *
 * Needs root: main() moves the process into a network namespace of its own
 * (unshare(CLONE_NEWNET)) before anything runs, so only the namespace's lo
 * and a veth pair created here are touched, never the machine's interfaces.
 * Without root (or without namespaces) every test is skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "loop.h"
#include "netlink.h"

static bool ns_ok;
static char ns_why[128] = "not root";

#define NEED_NS()                                                   \
	do {                                                        \
		if (!ns_ok) {                                       \
			print_message("skipped: %s\n", ns_why);     \
			skip();                                     \
		}                                                   \
	} while (0)

static const uint8_t xv0_mac[6] = { 0x02, 0x58, 0x56, 0x00, 0x00, 0x01 };

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* ---- namespace fixtures through libnl (no iproute2 needed) ---- */

static struct nl_sock *rt_sock(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static int link_set_up(const char *name, bool up)
{
	struct nl_sock *sk = rt_sock();
	struct rtnl_link *orig = NULL, *change = NULL;
	int rc = -1;

	if (!sk)
		return -1;
	if (rtnl_link_get_kernel(sk, 0, name, &orig) < 0)
		goto out;
	change = rtnl_link_alloc();
	if (!change)
		goto out;
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	else
		rtnl_link_unset_flags(change, IFF_UP);
	rc = rtnl_link_change(sk, orig, change, 0);
out:
	if (change)
		rtnl_link_put(change);
	if (orig)
		rtnl_link_put(orig);
	nl_socket_free(sk);
	return rc;
}

static int veth_add(const char *a, const char *b, const uint8_t *mac, unsigned int mtu)
{
	struct nl_sock *sk = rt_sock();
	struct rtnl_link *l, *peer;
	int rc = -1;

	if (!sk)
		return -1;
	l = rtnl_link_veth_alloc();
	if (!l)
		goto out;
	rtnl_link_set_name(l, a);
	if (mac) {
		struct nl_addr *ll = nl_addr_build(AF_LLC, mac, 6);

		rtnl_link_set_addr(l, ll);
		nl_addr_put(ll);
	}
	if (mtu)
		rtnl_link_set_mtu(l, mtu);
	peer = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(peer, b);
	if (mtu)
		rtnl_link_set_mtu(peer, mtu);
	rtnl_link_put(peer);
	rc = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
out:
	nl_socket_free(sk);
	return rc;
}

static int link_del(const char *name)
{
	struct nl_sock *sk = rt_sock();
	struct rtnl_link *l = rtnl_link_alloc();
	int rc = -1;

	if (sk && l) {
		rtnl_link_set_name(l, name);
		rc = rtnl_link_delete(sk, l);
	}
	if (l)
		rtnl_link_put(l);
	if (sk)
		nl_socket_free(sk);
	return rc;
}

static int ifindex_of(const char *name)
{
	struct nl_sock *sk = rt_sock();
	struct rtnl_link *l = NULL;
	int idx = -1;

	if (sk && rtnl_link_get_kernel(sk, 0, name, &l) >= 0) {
		idx = rtnl_link_get_ifindex(l);
		rtnl_link_put(l);
	}
	if (sk)
		nl_socket_free(sk);
	return idx;
}

/* Operstate (hence IFF_RUNNING) follows carrier through the kernel's
 * linkwatch, which can lag by up to a second. */
static bool wait_running(const char *name)
{
	for (int i = 0; i < 300; i++) {
		struct iface_info ii;
		char err[128];

		if (nl_iface_info(name, &ii, err, sizeof(err)) == 0 && ii.running)
			return true;
		usleep(10000);
	}
	return false;
}

/* ---- interface info ---- */

static void test_iface_info_lo(void **state)
{
	struct iface_info ii;
	char err[256] = "";

	(void)state;
	NEED_NS();
	assert_int_equal(nl_iface_info("lo", &ii, err, sizeof(err)), 0);
	assert_int_equal(ii.ifindex, 1);
	assert_string_equal(ii.name, "lo");
	assert_true(ii.up);
	assert_true(ii.running);
	assert_int_equal(ii.mtu, 65536);
	/* 127.0.0.1 is host scope: lo has no global address yet */
	assert_int_equal(ii.addr_be, 0);
	assert_int_equal(nl_addr_ensure("lo", ip("10.77.0.9"), 32, NULL, err, sizeof(err)), 0);
	assert_int_equal(nl_iface_info("lo", &ii, err, sizeof(err)), 0);
	assert_int_equal(ii.addr_be, ip("10.77.0.9"));
	assert_int_equal(ii.prefixlen, 32);
	assert_int_equal(nl_addr_remove("lo", ip("10.77.0.9"), err, sizeof(err)), 0);
}

static void test_iface_info_veth(void **state)
{
	struct iface_info ii;
	char err[256] = "";

	(void)state;
	NEED_NS();
	assert_int_equal(nl_iface_info("xv0", &ii, err, sizeof(err)), 0);
	assert_int_equal(ii.ifindex, ifindex_of("xv0"));
	assert_memory_equal(ii.mac, xv0_mac, 6);
	assert_int_equal(ii.mtu, 1400);
	assert_true(ii.up);
	assert_true(ii.running);
	assert_true(ii.lower_up);
	assert_int_equal(ii.addr_be, 0);

	/* primary first, even when a secondary of the same subnet follows */
	assert_int_equal(nl_addr_ensure("xv0", ip("192.0.2.10"), 24, NULL, err, sizeof(err)), 0);
	assert_int_equal(nl_addr_ensure("xv0", ip("192.0.2.11"), 24, "xv0:vip", err, sizeof(err)),
			 0);
	assert_int_equal(nl_iface_info("xv0", &ii, err, sizeof(err)), 0);
	assert_int_equal(ii.addr_be, ip("192.0.2.10"));
	assert_int_equal(ii.prefixlen, 24);
	assert_int_equal(nl_addr_remove("xv0", ip("192.0.2.11"), err, sizeof(err)), 0);
	assert_int_equal(nl_addr_remove("xv0", ip("192.0.2.10"), err, sizeof(err)), 0);

	/* down: not up, not running */
	assert_int_equal(link_set_up("xv1", false), 0);
	assert_int_equal(nl_iface_info("xv0", &ii, err, sizeof(err)), 0);
	assert_true(ii.up);
	assert_false(ii.running);
	assert_false(ii.lower_up);
	assert_int_equal(link_set_up("xv1", true), 0);
	assert_true(wait_running("xv0"));
}

static void test_iface_info_errors(void **state)
{
	struct iface_info ii;
	char err[256] = "";

	(void)state;
	NEED_NS();
	assert_int_equal(nl_iface_info("nosuch0", &ii, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "nosuch0"));
	assert_int_equal(nl_iface_info("../etc", &ii, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "../etc"));
	assert_int_equal(nl_iface_info("", &ii, err, sizeof(err)), -EINVAL);
	assert_int_equal(nl_iface_info("averyveryverylongname", &ii, err, sizeof(err)), -EINVAL);
}

/* ---- addresses ---- */

static void test_addr_idempotent_lo(void **state)
{
	uint32_t vip = ip("10.99.0.1");
	char err[256] = "";

	(void)state;
	NEED_NS();
	assert_int_equal(nl_addr_present("lo", vip), 0);
	assert_int_equal(nl_addr_ensure("lo", vip, 32, "lo:xvip", err, sizeof(err)), 0);
	assert_int_equal(nl_addr_ensure("lo", vip, 32, "lo:xvip", err, sizeof(err)), 0);
	assert_int_equal(nl_addr_present("lo", vip), 1);
	assert_int_equal(nl_addr_present("xv0", vip), 0); /* per interface */
	/* present with another prefix length counts as present */
	assert_int_equal(nl_addr_ensure("lo", vip, 24, NULL, err, sizeof(err)), 0);
	assert_int_equal(nl_addr_remove("lo", vip, err, sizeof(err)), 0);
	assert_int_equal(nl_addr_present("lo", vip), 0);
	assert_int_equal(nl_addr_remove("lo", vip, err, sizeof(err)), 0);
	assert_int_equal(nl_addr_present("lo", vip), 0);
}

static void test_addr_idempotent_veth(void **state)
{
	uint32_t vip = ip("198.51.100.50");
	char err[256] = "";

	(void)state;
	NEED_NS();
	assert_int_equal(nl_addr_ensure("xv0", vip, 24, NULL, err, sizeof(err)), 0);
	assert_int_equal(nl_addr_ensure("xv0", vip, 24, NULL, err, sizeof(err)), 0);
	assert_int_equal(nl_addr_present("xv0", vip), 1);
	assert_int_equal(nl_addr_present("xv1", vip), 0);
	assert_int_equal(nl_addr_remove("xv0", vip, err, sizeof(err)), 0);
	assert_int_equal(nl_addr_remove("xv0", vip, err, sizeof(err)), 0);
	assert_int_equal(nl_addr_present("xv0", vip), 0);
}

static void test_addr_errors(void **state)
{
	char err[256] = "";

	(void)state;
	NEED_NS();
	assert_int_equal(nl_addr_present("nosuch0", ip("10.0.0.1")), -ENODEV);
	assert_int_equal(nl_addr_ensure("nosuch0", ip("10.0.0.1"), 32, NULL, err, sizeof(err)),
			 -ENODEV);
	assert_non_null(strstr(err, "nosuch0"));
	assert_int_equal(nl_addr_remove("nosuch0", ip("10.0.0.1"), err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "nosuch0"));
	assert_int_equal(nl_addr_ensure("lo", ip("10.0.0.1"), 33, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "10.0.0.1"));
	assert_int_equal(nl_addr_ensure("lo", ip("10.0.0.1"), 32, "a-label-far-too-long", err,
					 sizeof(err)),
			 -EINVAL);
	assert_int_equal(nl_addr_present("lo", ip("10.0.0.1")), 0);
}

/* ---- sysctls ---- */

static void test_sysctl_arp_dr(void **state)
{
	char err[256] = "";
	int v = -1;

	(void)state;
	NEED_NS();
	assert_int_equal(sysctl_get_int("/proc/sys/net/ipv4/conf/xv0/arp_ignore", &v), 0);
	assert_int_equal(v, 0); /* a fresh netns starts at the defaults */
	assert_int_equal(sysctl_arp_dr("xv0", err, sizeof(err)), 0);
	assert_int_equal(sysctl_get_int("/proc/sys/net/ipv4/conf/xv0/arp_ignore", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(sysctl_get_int("/proc/sys/net/ipv4/conf/xv0/arp_announce", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(sysctl_arp_dr("xv0", err, sizeof(err)), 0); /* again: fine */

	assert_int_equal(sysctl_arp_dr("nosuch0", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "nosuch0"));
	assert_int_equal(sysctl_arp_dr("../../x", err, sizeof(err)), -EINVAL);
	assert_int_equal(sysctl_get_int("/proc/sys/net/ipv4/conf/nosuch0/arp_ignore", &v),
			 -ENOENT);
	assert_int_equal(sysctl_set_int("/proc/sys/net/ipv4/conf/xv0/arp_announce", 0, err,
					sizeof(err)),
			 0);
	assert_int_equal(sysctl_get_int("/proc/sys/net/ipv4/conf/xv0/arp_announce", &v), 0);
	assert_int_equal(v, 0);
}

/* ---- link monitor ---- */

struct ev {
	int ifindex;
	char name[16];
	bool up;
};

struct mon_state {
	struct loop *l;
	struct nl_monitor *m;
	int watch;          /* ifindex of interest */
	struct ev evs[64];
	int n;
	bool seen_down, seen_up_after_down, close_in_cb;
	int step;
};

static void mon_cb(void *arg, int ifindex, const char *ifname, bool up)
{
	struct mon_state *s = arg;

	if (ifindex != s->watch)
		return;
	if (s->n < 64) {
		s->evs[s->n].ifindex = ifindex;
		snprintf(s->evs[s->n].name, sizeof(s->evs[s->n].name), "%s", ifname);
		s->evs[s->n].up = up;
		s->n++;
	}
	if (!up)
		s->seen_down = true;
	else if (s->seen_down)
		s->seen_up_after_down = true;
	if (s->close_in_cb && s->m) {
		nl_monitor_close(s->m);
		s->m = NULL;
		loop_stop(s->l);
	}
	if (s->seen_up_after_down)
		loop_stop(s->l);
}

static void step_timer(struct loop *l, uint64_t id, void *arg)
{
	struct mon_state *s = arg;

	(void)id;
	(void)l;
	/* bring it back up once the down was reported */
	if (s->seen_down && s->step == 0) {
		s->step = 1;
		link_set_up("xv0", true);
	}
	if (s->step == 0)
		loop_add_timer(l, now_us() + 20000, step_timer, s);
}

static void stop_timer(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	loop_stop(l);
}

static void test_monitor_down_up(void **state)
{
	struct mon_state s;
	char err[256] = "";
	uint64_t stop;

	(void)state;
	NEED_NS();
	memset(&s, 0, sizeof(s));
	s.l = loop_new();
	assert_non_null(s.l);
	s.watch = ifindex_of("xv0");
	assert_true(s.watch > 0);
	s.m = nl_monitor_open(s.l, mon_cb, &s, err, sizeof(err));
	if (!s.m)
		fail_msg("nl_monitor_open: %s", err);
	assert_int_equal(link_set_up("xv0", false), 0);
	loop_add_timer(s.l, now_us() + 20000, step_timer, &s);
	stop = loop_add_timer(s.l, now_us() + 3000000, stop_timer, NULL);
	assert_int_equal(loop_run(s.l), 0);
	loop_cancel_timer(s.l, stop);
	assert_true(s.n >= 2);
	assert_false(s.evs[0].up);
	assert_string_equal(s.evs[0].name, "xv0");
	assert_true(s.seen_up_after_down);
	assert_true(s.evs[s.n - 1].up);
	nl_monitor_close(s.m);
	loop_free(s.l);
}

/* Deleting a link reports it down; closing from inside the callback is safe. */
static void test_monitor_dellink_and_close_in_cb(void **state)
{
	struct mon_state s;
	char err[256] = "";
	uint64_t stop;

	(void)state;
	NEED_NS();
	assert_int_equal(veth_add("xv2", "xv3", NULL, 0), 0);
	assert_int_equal(link_set_up("xv2", true), 0);
	assert_int_equal(link_set_up("xv3", true), 0);
	memset(&s, 0, sizeof(s));
	s.l = loop_new();
	assert_non_null(s.l);
	s.watch = ifindex_of("xv2");
	assert_true(s.watch > 0);
	s.close_in_cb = true;
	s.m = nl_monitor_open(s.l, mon_cb, &s, err, sizeof(err));
	if (!s.m)
		fail_msg("nl_monitor_open: %s", err);
	assert_int_equal(link_del("xv2"), 0);
	stop = loop_add_timer(s.l, now_us() + 3000000, stop_timer, NULL);
	assert_int_equal(loop_run(s.l), 0);
	loop_cancel_timer(s.l, stop);
	assert_null(s.m); /* closed by the callback */
	assert_int_equal(s.n, 1);
	assert_false(s.evs[0].up);
	assert_string_equal(s.evs[0].name, "xv2");
	assert_int_equal(ifindex_of("xv3"), -1); /* the peer went with it */
	loop_free(s.l);
}

static void test_monitor_open_close(void **state)
{
	struct loop *l;
	struct nl_monitor *m;
	char err[256] = "";

	(void)state;
	NEED_NS();
	l = loop_new();
	assert_non_null(l);
	m = nl_monitor_open(l, mon_cb, NULL, err, sizeof(err));
	assert_non_null(m);
	nl_monitor_close(m);
	nl_monitor_close(NULL);
	loop_free(l);
}

static void enter_netns(void)
{
	if (geteuid() != 0)
		return;
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(ns_why, sizeof(ns_why), "unshare(CLONE_NEWNET): %s", strerror(errno));
		return;
	}
	if (link_set_up("lo", true) < 0) {
		snprintf(ns_why, sizeof(ns_why), "cannot bring lo up in the new netns");
		return;
	}
	if (veth_add("xv0", "xv1", xv0_mac, 1400) < 0) {
		snprintf(ns_why, sizeof(ns_why), "cannot create veth xv0/xv1 in the new netns");
		return;
	}
	if (link_set_up("xv0", true) < 0 || link_set_up("xv1", true) < 0) {
		snprintf(ns_why, sizeof(ns_why), "cannot bring veth xv0/xv1 up");
		return;
	}
	if (!wait_running("xv0")) {
		snprintf(ns_why, sizeof(ns_why), "veth xv0 never became running");
		return;
	}
	ns_ok = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iface_info_lo),
		cmocka_unit_test(test_iface_info_veth),
		cmocka_unit_test(test_iface_info_errors),
		cmocka_unit_test(test_addr_idempotent_lo),
		cmocka_unit_test(test_addr_idempotent_veth),
		cmocka_unit_test(test_addr_errors),
		cmocka_unit_test(test_sysctl_arp_dr),
		cmocka_unit_test(test_monitor_down_up),
		cmocka_unit_test(test_monitor_dellink_and_close_in_cb),
		cmocka_unit_test(test_monitor_open_close),
	};

	enter_netns();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
