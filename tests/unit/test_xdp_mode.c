/*
 * test_xdp_mode.c - which XDP mode each kind of interface gets
 * (user/xdp_mode.c), for the default, --native and --generic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "xdp_mode.h"

static struct xdp_facts veth(bool peer_known, bool peer_xdp, bool remote)
{
	struct xdp_facts f = { .kind = "veth", .driver = "veth", .peer_known = peer_known,
			       .peer_ifindex = 7, .peer_netnsid = 3, .peer_xdp = peer_xdp,
			       .remote_steering = remote };

	if (!peer_known)
		strcpy(f.peer_error, "RTM_GETLINK: Operation not permitted");
	return f;
}

static struct xdp_facts nic(const char *kind, const char *driver)
{
	struct xdp_facts f = { .peer_netnsid = -1 };

	strcpy(f.kind, kind);
	strcpy(f.driver, driver);
	return f;
}

static struct xdp_plan plan(const struct xdp_facts *f, enum xdp_pref pref)
{
	struct xdp_plan p;

	xdp_plan_decide(f, pref, &p);
	return p;
}

#define assert_has(s, sub) \
	do { if (!strstr((s), (sub))) fail_msg("'%s' does not say '%s'", (s), (sub)); } while (0)

/* The defect this module exists for: a veth whose peer has no program
 * drops every XDP_TX frame, so the default is generic, with the reason. */
static void test_veth_peer_without_program_is_generic(void **state)
{
	struct xdp_facts f = veth(true, false, false);
	struct xdp_plan p = plan(&f, XDP_PREF_AUTO);

	(void)state;
	assert_int_equal(p.mode, XDP_PLAN_GENERIC);
	assert_has(p.why, "no XDP program");
	assert_has(p.why, "ifindex 7 in netns id 3");
	assert_string_equal(p.warning, "");
}

static void test_veth_peer_without_program_native_refused(void **state)
{
	struct xdp_facts f = veth(true, false, false);
	struct xdp_plan p = plan(&f, XDP_PREF_NATIVE);

	(void)state;
	assert_int_equal(p.mode, XDP_PLAN_REFUSE);
	assert_has(p.why, "would be dropped");
}

static void test_veth_peer_with_program_is_native(void **state)
{
	struct xdp_facts f = veth(true, true, false);
	struct xdp_plan p = plan(&f, XDP_PREF_AUTO);

	(void)state;
	assert_int_equal(p.mode, XDP_PLAN_NATIVE);
	assert_has(p.why, "has an XDP program");
	p = plan(&f, XDP_PREF_NATIVE);
	assert_int_equal(p.mode, XDP_PLAN_NATIVE_ONLY);
}

/* Steering to another node through native XDP_TX on a veth loses the
 * senders' CHECKSUM_PARTIAL state: generic by default; --native is
 * honoured (a lab whose senders fill checksums) with a warning. */
static void test_veth_remote_steering_is_generic(void **state)
{
	struct xdp_facts f = veth(true, true, true);
	struct xdp_plan p = plan(&f, XDP_PREF_AUTO);

	(void)state;
	assert_int_equal(p.mode, XDP_PLAN_GENERIC);
	assert_has(p.why, "CHECKSUM_PARTIAL");
	p = plan(&f, XDP_PREF_NATIVE);
	assert_int_equal(p.mode, XDP_PLAN_NATIVE_ONLY);
	assert_has(p.warning, "CHECKSUM_PARTIAL");
}

static void test_veth_peer_unknown(void **state)
{
	struct xdp_facts f = veth(false, false, false);
	struct xdp_plan p = plan(&f, XDP_PREF_AUTO);

	(void)state;
	assert_int_equal(p.mode, XDP_PLAN_GENERIC);
	assert_has(p.why, "cannot be proven");
	assert_has(p.why, "Operation not permitted");
	p = plan(&f, XDP_PREF_NATIVE);
	assert_int_equal(p.mode, XDP_PLAN_NATIVE_ONLY);
	assert_has(p.warning, "cannot be proven");
}

/* A NIC's driver decides: native is tried, generic if it refuses. */
static void test_nics_try_native(void **state)
{
	static const char *const kinds[][2] = {
		{ "", "ixgbe" }, { "", "virtio_net" }, { "bond", "bonding" }, { "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct xdp_facts f = nic(kinds[i][0], kinds[i][1]);
		struct xdp_plan p = plan(&f, XDP_PREF_AUTO);

		assert_int_equal(p.mode, XDP_PLAN_NATIVE);
		if (kinds[i][1][0])
			assert_has(p.why, kinds[i][1]);
		/* remote steering changes nothing on a NIC: it fills checksums */
		f.remote_steering = true;
		p = plan(&f, XDP_PREF_AUTO);
		assert_int_equal(p.mode, XDP_PLAN_NATIVE);
		p = plan(&f, XDP_PREF_NATIVE);
		assert_int_equal(p.mode, XDP_PLAN_NATIVE_ONLY);
		assert_has(p.why, "--native");
	}
}

static void test_software_devices_are_generic(void **state)
{
	static const char *const kinds[] = { "vlan", "macvlan", "ipvlan", "bridge", "vxlan" };

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct xdp_facts f = nic(kinds[i], "");
		struct xdp_plan p = plan(&f, XDP_PREF_AUTO);

		assert_int_equal(p.mode, XDP_PLAN_GENERIC);
		assert_has(p.why, kinds[i]);
		assert_has(p.why, "no native XDP");
		p = plan(&f, XDP_PREF_NATIVE);
		assert_int_equal(p.mode, XDP_PLAN_REFUSE);
	}
}

static void test_generic_pref_always_generic(void **state)
{
	struct xdp_facts all[] = { veth(true, true, false), nic("", "ixgbe"), nic("vlan", "") };

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct xdp_plan p = plan(&all[i], XDP_PREF_GENERIC);

		assert_int_equal(p.mode, XDP_PLAN_GENERIC);
		assert_string_equal(p.why, "--generic");
	}
	assert_string_equal(xdp_pref_name(XDP_PREF_AUTO), "auto");
	assert_string_equal(xdp_pref_name(XDP_PREF_NATIVE), "native");
	assert_string_equal(xdp_pref_name(XDP_PREF_GENERIC), "generic");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_veth_peer_without_program_is_generic),
		cmocka_unit_test(test_veth_peer_without_program_native_refused),
		cmocka_unit_test(test_veth_peer_with_program_is_native),
		cmocka_unit_test(test_veth_remote_steering_is_generic),
		cmocka_unit_test(test_veth_peer_unknown),
		cmocka_unit_test(test_nics_try_native),
		cmocka_unit_test(test_software_devices_are_generic),
		cmocka_unit_test(test_generic_pref_always_generic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
