/*
 * test_arp_pkt.c - gratuitous ARP and request frame layout, and ARP parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "arp_pkt.h"

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* What keepalived puts on the wire for VIP 192.168.1.100 (written out by
 * hand from RFC 826 / the Ethernet header, independent of the builder). */
static const uint8_t golden_garp[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* broadcast */
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56,     /* our MAC */
	0x08, 0x06,                             /* ARP */
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04,     /* Ethernet, IPv4, 6, 4 */
	0x00, 0x01,                             /* request */
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56,     /* sha */
	0xc0, 0xa8, 0x01, 0x64,                 /* spa = VIP */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     /* tha */
	0xc0, 0xa8, 0x01, 0x64,                 /* tpa = VIP */
	/* 18 bytes of zero padding */
};

static uint32_t vip(void)
{
	return htonl(0xc0a80164); /* 192.168.1.100 */
}

static void test_build_garp_golden(void **state)
{
	uint8_t buf[64];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(arp_build_garp(buf, sizeof(buf), our_mac, vip()), 60);
	assert_memory_equal(buf, golden_garp, sizeof(golden_garp));
	assert_int_equal(buf[60], 0xee); /* nothing written past 60 */
}

static void test_build_garp_rejects_small_buffer(void **state)
{
	uint8_t buf[60];

	(void)state;
	assert_int_equal(arp_build_garp(buf, 59, our_mac, vip()), -1);
	assert_int_equal(arp_build_garp(NULL, 60, our_mac, vip()), -1);
	assert_int_equal(arp_build_garp(buf, 60, NULL, vip()), -1);
	assert_int_equal(arp_build_garp(buf, 60, our_mac, vip()), 60);
}

/* A question from our address for the VIP (xvipctl selftest's probe). */
static void test_build_request(void **state)
{
	uint8_t buf[60], want[60];
	uint32_t me = htonl(0xc0a80101); /* 192.168.1.1 */
	struct arp_info a;

	(void)state;
	memcpy(want, golden_garp, sizeof(want));
	memcpy(want + 28, &me, 4); /* only the sender's address differs */
	assert_int_equal(arp_build_request(buf, sizeof(buf), our_mac, me, vip()), 60);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(arp_parse(buf, sizeof(buf), &a), ARP_OK);
	assert_false(arp_is_gratuitous(&a));
	assert_int_equal(arp_build_request(buf, 59, our_mac, me, vip()), -1);
}

static void test_parse_garp_roundtrip(void **state)
{
	uint8_t buf[60];
	struct arp_info a;
	static const uint8_t zero[6];
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	(void)state;
	arp_build_garp(buf, sizeof(buf), our_mac, vip());
	assert_int_equal(arp_parse(buf, sizeof(buf), &a), ARP_OK);
	assert_int_equal(a.op, ARP_OP_REQUEST);
	assert_memory_equal(a.eth_dst, bcast, 6);
	assert_memory_equal(a.eth_src, our_mac, 6);
	assert_memory_equal(a.sha, our_mac, 6);
	assert_memory_equal(a.tha, zero, 6);
	assert_int_equal(a.spa, vip());
	assert_int_equal(a.tpa, vip());
	assert_true(arp_is_gratuitous(&a));
	/* 42 bytes are enough: the padding is optional on input */
	assert_int_equal(arp_parse(buf, ARP_FRAME_LEN, &a), ARP_OK);
}

static void test_parse_reply(void **state)
{
	uint8_t buf[60];
	struct arp_info a;
	static const uint8_t peer[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint32_t spa = htonl(0x0a000002), tpa = htonl(0x0a000001);

	(void)state;
	arp_build_garp(buf, sizeof(buf), our_mac, vip());
	buf[21] = ARP_OP_REPLY;
	memcpy(buf + 28, &spa, 4);
	memcpy(buf + 32, peer, 6);
	memcpy(buf + 38, &tpa, 4);
	assert_int_equal(arp_parse(buf, sizeof(buf), &a), ARP_OK);
	assert_int_equal(a.op, ARP_OP_REPLY);
	assert_int_equal(a.spa, spa);
	assert_int_equal(a.tpa, tpa);
	assert_memory_equal(a.tha, peer, 6);
	assert_false(arp_is_gratuitous(&a));
}

static void test_parse_rejects(void **state)
{
	uint8_t buf[60];
	struct arp_info a;

	(void)state;
	arp_build_garp(buf, sizeof(buf), our_mac, vip());
	assert_int_equal(arp_parse(buf, 41, &a), ARP_ERR_TRUNCATED);
	assert_int_equal(arp_parse(NULL, 60, &a), ARP_ERR_INVALID_ARG);
	assert_int_equal(arp_parse(buf, 60, NULL), ARP_ERR_INVALID_ARG);

	buf[13] = 0x00;                        /* EtherType IPv4 */
	assert_int_equal(arp_parse(buf, 60, &a), ARP_ERR_NOT_ARP);
	buf[13] = 0x06;

	buf[15] = 6;                           /* htype IEEE 802 */
	assert_int_equal(arp_parse(buf, 60, &a), ARP_ERR_BAD_FORMAT);
	buf[15] = 1;
	buf[16] = 0x86;                        /* ptype IPv6 */
	buf[17] = 0xdd;
	assert_int_equal(arp_parse(buf, 60, &a), ARP_ERR_BAD_FORMAT);
	buf[16] = 0x08;
	buf[17] = 0x00;
	buf[18] = 8;                           /* hlen */
	assert_int_equal(arp_parse(buf, 60, &a), ARP_ERR_BAD_FORMAT);
	buf[18] = 6;
	buf[19] = 16;                          /* plen */
	assert_int_equal(arp_parse(buf, 60, &a), ARP_ERR_BAD_FORMAT);
	buf[19] = 4;
	assert_int_equal(arp_parse(buf, 60, &a), ARP_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_garp_golden),
		cmocka_unit_test(test_build_garp_rejects_small_buffer),
		cmocka_unit_test(test_build_request),
		cmocka_unit_test(test_parse_garp_roundtrip),
		cmocka_unit_test(test_parse_reply),
		cmocka_unit_test(test_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
