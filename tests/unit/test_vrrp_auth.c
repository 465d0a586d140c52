/*
 * test_vrrp_auth.c - auth_key_file: the trailer (its layout pinned by an
 * independent HMAC computation), every refusal, the replay table with
 * synthetic clocks, and the key file's rules with real files; the keyed
 * fast liveness echoes' SipHash-2-4 (include/siphash.h) against OpenSSL's
 * and the paper's vector, and their key derivation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "csum.h"
#include "siphash.h"
#include "vrrp_auth.h"
#include "vrrp_pkt.h"

#define SEC 1000000000ull
#define NOW (1764720000ull * SEC) /* a wall clock in ns */

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl(a << 24 | b << 16 | c << 8 | d);
}

static struct vrrp_auth_key key_of(uint8_t fill, size_t len)
{
	struct vrrp_auth_key k = { .len = len };

	memset(k.b, fill, len);
	return k;
}

/* A v3 advert from 10.0.0.1 to 224.0.0.18, signed with k at seq, in an IP
 * packet as a raw socket delivers it. Returns the packet's length. */
static size_t signed_packet(uint8_t *pkt, const struct vrrp_auth_key *k, uint64_t seq,
			    uint8_t prio)
{
	struct vrrp_advert a = { .version = 3, .vrid = 51, .priority = prio,
				 .adver_int_us = 100000, .naddr = 1 };
	uint8_t *v = pkt + 20;
	int n;
	size_t tot;

	a.src = ip4(10, 0, 0, 1);
	a.dst = ip4(224, 0, 0, 18);
	a.addrs[0] = ip4(10, 0, 0, 100);
	n = vrrp_build_advert(v, 1500, &a);
	assert_int_equal(n, 12);
	if (k)
		n = vrrp_auth_sign(v, (size_t)n, 1500, a.src, a.dst, seq, k);
	tot = 20 + (size_t)n;
	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(tot >> 8);
	pkt[3] = (uint8_t)tot;
	pkt[8] = 255;
	pkt[9] = VRRP_IPPROTO;
	memcpy(pkt + 12, &a.src, 4);
	memcpy(pkt + 16, &a.dst, 4);
	csum_store_be16(pkt + 10, csum_buf(pkt, 20));
	return tot;
}

static struct vrrp_parse_opts opts(void)
{
	static uint32_t vip;
	struct vrrp_parse_opts o = { .version = 3, .vrid = 51, .adver_int_us = 100000 };

	vip = ip4(10, 0, 0, 100);
	o.naddr = 1;
	o.addrs = &vip;
	return o;
}

/* The wire format, computed here with OpenSSL directly: label, addresses,
 * the advert, magic, sequence; the first 16 bytes of HMAC-SHA-256. */
static void test_trailer_layout(void **state)
{
	struct vrrp_auth_key k = key_of(0x42, 32);
	uint8_t pkt[1600], in[256], md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	size_t len, n = 0;
	const uint8_t *t;

	(void)state;
	len = signed_packet(pkt, &k, 0x0102030405060708ull, 100);
	assert_int_equal(len, 20 + 12 + XVIP_AUTH_TRAILER_LEN);
	t = pkt + 20 + 12;
	assert_memory_equal(t, "XVA1", 4);
	assert_memory_equal(t + 4, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	memcpy(in, "xvip-vrrp-auth-1", 16);
	n = 16;
	memcpy(in + n, pkt + 12, 8); /* src, dst */
	n += 8;
	memcpy(in + n, pkt + 20, 12 + 12); /* the advert, magic, sequence */
	n += 24;
	assert_non_null(HMAC(EVP_sha256(), k.b, (int)k.len, in, n, md, &mdlen));
	assert_memory_equal(t + 12, md, XVIP_AUTH_TAG_LEN);
}

static void test_check_good_cuts_trailer(void **state)
{
	struct vrrp_auth_key k = key_of(0x42, 32);
	struct vrrp_parse_opts o = opts();
	struct vrrp_advert out;
	uint8_t pkt[1600];
	uint64_t seq = 0;
	size_t len;

	(void)state;
	len = signed_packet(pkt, &k, NOW, 100);
	/* the parser alone refuses it: 28 bytes too many */
	assert_int_equal(vrrp_parse_advert(pkt, len, &o, &out), VRRP_REJ_BAD_LENGTH);
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), 0);
	assert_int_equal(seq, NOW);
	assert_int_equal((size_t)pkt[2] << 8 | pkt[3], 32);
	assert_int_equal(csum_buf(pkt, 20), 0); /* header checksum rewritten */
	assert_int_equal(vrrp_parse_advert(pkt, len, &o, &out), 0);
	assert_int_equal(out.priority, 100);
}

static void test_check_refusals(void **state)
{
	struct vrrp_auth_key k = key_of(0x42, 32), other = key_of(0x43, 32);
	struct vrrp_auth_key longer = key_of(0x42, 33), none = { 0 };
	uint8_t pkt[1600];
	uint64_t seq = 0;
	size_t len;

	(void)state;
	/* another key */
	len = signed_packet(pkt, &other, NOW, 100);
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), VRRP_REJ_AUTH_BAD_MAC);
	len = signed_packet(pkt, &longer, NOW, 100);
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), VRRP_REJ_AUTH_BAD_MAC);
	/* a changed priority, sequence, source or destination */
	len = signed_packet(pkt, &k, NOW, 100);
	pkt[20 + 2] = 0;
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), VRRP_REJ_AUTH_BAD_MAC);
	len = signed_packet(pkt, &k, NOW, 100);
	pkt[20 + 12 + 11] ^= 1;
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), VRRP_REJ_AUTH_BAD_MAC);
	len = signed_packet(pkt, &k, NOW, 100);
	pkt[15] ^= 1;
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), VRRP_REJ_AUTH_BAD_MAC);
	len = signed_packet(pkt, &k, NOW, 100);
	pkt[19] ^= 1;
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), VRRP_REJ_AUTH_BAD_MAC);
	/* the tag itself */
	len = signed_packet(pkt, &k, NOW, 100);
	pkt[len - 1] ^= 0x80;
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), VRRP_REJ_AUTH_BAD_MAC);
	/* no trailer: keepalived, or an xvipd without the key */
	len = signed_packet(pkt, NULL, 0, 100);
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), VRRP_REJ_AUTH_MISSING);
	assert_int_equal(vrrp_auth_check(pkt, len, &none, NULL, &seq), 0);
	assert_int_equal(vrrp_auth_check(pkt, len, NULL, NULL, &seq), 0);
	/* a trailer and no key here */
	len = signed_packet(pkt, &k, NOW, 100);
	assert_int_equal(vrrp_auth_check(pkt, len, &none, NULL, &seq), VRRP_REJ_AUTH_UNEXPECTED);
	assert_int_equal((size_t)pkt[2] << 8 | pkt[3], len); /* untouched */
}

/* A second key (a rotation) is accepted as well as the first, and only
 * those two. */
static void test_check_second_key(void **state)
{
	struct vrrp_auth_key k = key_of(0x42, 32), next = key_of(0x43, 32), third = key_of(0x44, 32);
	uint8_t pkt[1600];
	uint64_t seq = 0;
	size_t len;

	(void)state;
	len = signed_packet(pkt, &next, NOW, 100);
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), VRRP_REJ_AUTH_BAD_MAC);
	assert_int_equal(vrrp_auth_check(pkt, len, &k, &next, &seq), 0);
	assert_int_equal(seq, NOW);
	len = signed_packet(pkt, &k, NOW + 1, 100);
	assert_int_equal(vrrp_auth_check(pkt, len, &next, &k, &seq), 0);
	assert_int_equal(seq, NOW + 1);
	len = signed_packet(pkt, &third, NOW, 100);
	assert_int_equal(vrrp_auth_check(pkt, len, &k, &next, &seq), VRRP_REJ_AUTH_BAD_MAC);
}

/* An IP header with options (ihl 6): the trailer is found after them, and
 * the header checksum rewritten over all 24 bytes. */
static void test_check_ip_options(void **state)
{
	struct vrrp_auth_key k = key_of(0x42, 32);
	struct vrrp_parse_opts o = opts();
	struct vrrp_advert out;
	uint8_t pkt[1600], opt[1600];
	uint64_t seq = 0;
	size_t len, tot;

	(void)state;
	len = signed_packet(pkt, &k, NOW, 100);
	memcpy(opt, pkt, 20);
	memcpy(opt + 20, "\x94\x04\x00\x00", 4); /* router alert */
	memcpy(opt + 24, pkt + 20, len - 20);
	opt[0] = 0x46;
	tot = len + 4;
	opt[2] = (uint8_t)(tot >> 8);
	opt[3] = (uint8_t)tot;
	opt[10] = opt[11] = 0;
	csum_store_be16(opt + 10, csum_buf(opt, 24));
	assert_int_equal(vrrp_auth_check(opt, tot, &k, NULL, &seq), 0);
	assert_int_equal(seq, NOW);
	assert_int_equal((size_t)opt[2] << 8 | opt[3], 24 + 12);
	assert_int_equal(csum_buf(opt, 24), 0);
	assert_int_equal(vrrp_parse_advert(opt, tot, &o, &out), 0);
}

/* Malformed: anything not shaped like advert + trailer is left to the
 * parser (bad_length, truncated ...), never read beyond the packet. */
static void test_check_malformed_left_to_parser(void **state)
{
	struct vrrp_auth_key k = key_of(0x42, 32);
	struct vrrp_parse_opts o = opts();
	struct vrrp_advert out;
	uint8_t pkt[1600];
	uint64_t seq = 0;
	size_t len;

	(void)state;
	len = signed_packet(pkt, &k, NOW, 100);
	/* one byte short of a trailer */
	pkt[3]--;
	assert_int_equal(vrrp_auth_check(pkt, len - 1, &k, NULL, &seq), 0);
	assert_int_equal(vrrp_parse_advert(pkt, len - 1, &o, &out), VRRP_REJ_BAD_LENGTH);
	/* the IP header claims more than was received */
	len = signed_packet(pkt, &k, NOW, 100);
	assert_int_equal(vrrp_auth_check(pkt, len - 4, &k, NULL, &seq), 0);
	/* the count says more addresses than there are */
	len = signed_packet(pkt, &k, NOW, 100);
	pkt[20 + 3] = 200;
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), 0);
	/* tiny */
	assert_int_equal(vrrp_auth_check(pkt, 10, &k, NULL, &seq), 0);
	pkt[0] = 0x65;
	assert_int_equal(vrrp_auth_check(pkt, len, &k, NULL, &seq), 0);
}

static void test_sign_needs_room_and_key(void **state)
{
	struct vrrp_auth_key k = key_of(0x42, 32), none = { 0 };
	uint8_t v[64] = { 0x31 };

	(void)state;
	assert_int_equal(vrrp_auth_sign(v, 12, 12 + XVIP_AUTH_TRAILER_LEN - 1, 1, 2, 3, &k), -1);
	assert_int_equal(vrrp_auth_sign(v, 12, sizeof(v), 1, 2, 3, &none), -1);
	assert_int_equal(vrrp_auth_sign(v, 12, sizeof(v), 1, 2, 3, &k), 40);
}

static void test_next_seq_monotonic(void **state)
{
	uint64_t last = 0;

	(void)state;
	assert_int_equal(vrrp_auth_next_seq(&last, NOW), NOW);
	assert_int_equal(vrrp_auth_next_seq(&last, NOW), NOW + 1);       /* same ns */
	assert_int_equal(vrrp_auth_next_seq(&last, NOW - SEC), NOW + 2); /* clock went back */
	assert_int_equal(vrrp_auth_next_seq(&last, NOW + SEC), NOW + SEC);
}

static void test_accept_replay_and_window(void **state)
{
	struct vrrp_auth_peers t = { 0 };
	uint32_t a = ip4(10, 0, 0, 1), b = ip4(10, 0, 0, 2);
	uint64_t last = 0;

	(void)state;
	/* a first advert: within 30 s of our clock, either way */
	assert_int_equal(vrrp_auth_accept(&t, a, NOW - 29 * SEC, NOW, 0, NULL), 0);
	assert_int_equal(vrrp_auth_accept(&t, b, NOW + 31 * SEC, NOW, 0, &last),
			 VRRP_REJ_AUTH_STALE);
	assert_int_equal(vrrp_auth_accept(&t, b, NOW - 31 * SEC, NOW, 0, NULL), VRRP_REJ_AUTH_STALE);
	assert_int_equal(t.n, 1);
	/* then only forward: the same one again, an older one */
	assert_int_equal(vrrp_auth_accept(&t, a, NOW - 29 * SEC, NOW, 0, &last),
			 VRRP_REJ_AUTH_REPLAY);
	assert_int_equal(last, NOW - 29 * SEC);
	assert_int_equal(vrrp_auth_accept(&t, a, NOW - 30 * SEC, NOW, 0, NULL), VRRP_REJ_AUTH_REPLAY);
	assert_int_equal(vrrp_auth_accept(&t, a, NOW - 29 * SEC + 1, NOW, 0, NULL), 0);
	/* once known, no window: the peer's clock may drift away from ours */
	assert_int_equal(vrrp_auth_accept(&t, a, NOW + 3600 * SEC, NOW, 0, NULL), 0);
	/* peers are judged each by its own sequence */
	assert_int_equal(vrrp_auth_accept(&t, b, NOW, NOW, 0, NULL), 0);
	assert_int_equal(vrrp_auth_accept(&t, b, NOW + 1, NOW, 0, NULL), 0);
	assert_int_equal(t.n, 2);
}

/* What an earlier xvipd accepted (the vrrp_auth_seq map) counts for a
 * peer the table does not know yet: nothing at or below it, and the window
 * as for any first advert. */
static void test_accept_remembered(void **state)
{
	struct vrrp_auth_peers t = { 0 };
	uint32_t a = ip4(10, 0, 0, 1);
	uint64_t last = 0;

	(void)state;
	/* played back from before the restart: within the window, refused */
	assert_int_equal(vrrp_auth_accept(&t, a, NOW - 5 * SEC, NOW, NOW - 2 * SEC, &last),
			 VRRP_REJ_AUTH_REPLAY);
	assert_int_equal(last, NOW - 2 * SEC);
	assert_int_equal(t.n, 0);
	/* newer, but far from our clock: a recording made while we were
	 * down is held to the window all the same */
	assert_int_equal(vrrp_auth_accept(&t, a, NOW + 120 * SEC, NOW, NOW - 2 * SEC, NULL),
			 VRRP_REJ_AUTH_STALE);
	assert_int_equal(vrrp_auth_accept(&t, a, NOW - 40 * SEC, NOW, NOW - 50 * SEC, NULL),
			 VRRP_REJ_AUTH_STALE);
	/* newer and within it: accepted */
	assert_int_equal(vrrp_auth_accept(&t, a, NOW - SEC, NOW, NOW - 2 * SEC, NULL), 0);
	assert_true(vrrp_auth_knows(&t, a));
	assert_false(vrrp_auth_knows(&t, ip4(10, 0, 0, 2)));
	/* from now on the table's own record rules */
	assert_int_equal(vrrp_auth_accept(&t, a, NOW - SEC, NOW, 0, NULL), VRRP_REJ_AUTH_REPLAY);
}

/* What is kept across restarts is never beyond the window ahead: a peer
 * whose clock ran ahead is not refused for long once it is set right. */
static void test_floor(void **state)
{
	(void)state;
	assert_int_equal(vrrp_auth_floor(NOW - SEC, NOW), NOW - SEC);
	assert_int_equal(vrrp_auth_floor(NOW + 3600 * SEC, NOW), NOW + VRRP_AUTH_WINDOW_NS);
}

static void test_accept_table_full_replaces_least_recent(void **state)
{
	struct vrrp_auth_peers t = { 0 };

	(void)state;
	for (unsigned i = 0; i < VRRP_AUTH_PEERS; i++)
		assert_int_equal(vrrp_auth_accept(&t, ip4(10, 0, 1, i), NOW + i, NOW, 0, NULL), 0);
	/* peer 0 speaks again: peer 1 is now the least recent */
	assert_int_equal(vrrp_auth_accept(&t, ip4(10, 0, 1, 0), NOW + 100, NOW, 0, NULL), 0);
	assert_int_equal(vrrp_auth_accept(&t, ip4(10, 0, 2, 9), NOW, NOW, 0, NULL), 0);
	assert_int_equal(t.n, VRRP_AUTH_PEERS);
	/* peer 0 is remembered (its replay refused), peer 1 was forgotten */
	assert_int_equal(vrrp_auth_accept(&t, ip4(10, 0, 1, 0), NOW + 100, NOW, 0, NULL),
			 VRRP_REJ_AUTH_REPLAY);
	assert_int_equal(vrrp_auth_accept(&t, ip4(10, 0, 1, 1), NOW + 1, NOW, 0, NULL), 0);
}

/* ---- the key file ------------------------------------------------------ */

static char dir[64];

static const char *key_file(const char *name, const char *content, size_t n, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, n), (ssize_t)n);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/xvip-auth-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_key_file_rules(void **state)
{
	struct vrrp_auth_key k;
	char why[512];
	const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
	const char *p;

	(void)state;
	p = key_file("good", hex, strlen(hex), 0600);
	assert_int_equal(vrrp_auth_load_key(p, &k, why, sizeof(why)), 0);
	assert_int_equal(k.len, 64); /* the final newline is not part of it */
	assert_memory_equal(k.b, hex, 64);
	/* a root group may read it, as with password_file */
	p = key_file("group", hex, strlen(hex), 0640);
	if (getegid() == 0)
		assert_int_equal(vrrp_auth_load_key(p, &k, why, sizeof(why)), 0);
	p = key_file("world", hex, strlen(hex), 0604);
	assert_int_equal(vrrp_auth_load_key(p, &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "accessible by others"));
	assert_int_equal(k.len, 0);
	if (geteuid() == 0) {
		p = key_file("owner", hex, strlen(hex), 0600);
		assert_int_equal(chown(p, 65534, 0), 0);
		assert_int_equal(vrrp_auth_load_key(p, &k, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "belongs to uid 65534"));
	}
	p = key_file("short", "0123456789abcde\n", 16, 0600);
	assert_int_equal(vrrp_auth_load_key(p, &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "the key has 15 bytes; it needs 16 to 256"));
	{
		char big[300];

		memset(big, 'x', sizeof(big));
		p = key_file("long", big, sizeof(big), 0600);
		assert_int_equal(vrrp_auth_load_key(p, &k, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "more than 256 bytes"));
	}
	/* binary keys are taken byte for byte */
	p = key_file("binary", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\xff",
		     17, 0600);
	assert_int_equal(vrrp_auth_load_key(p, &k, why, sizeof(why)), 0);
	assert_int_equal(k.len, 17);
	assert_int_equal(vrrp_auth_load_key("relative/key", &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "an absolute path"));
	assert_int_equal(vrrp_auth_load_key(dir, &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a regular file"));
	assert_int_equal(vrrp_auth_load_key("/nonexistent/key", &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "No such file"));
	vrrp_auth_key_wipe(&k);
	assert_int_equal(k.len, 0);
}


/* ---- keyed fast liveness: SipHash-2-4 and the key ---- */

static __u64 sip_words(const __u64 key[2], const __u64 *m, unsigned n)
{
	struct xvip_sip s;

	xvip_sip_init(&s, key[0], key[1]);
	for (unsigned i = 0; i < n; i++)
		xvip_sip_word(&s, m[i]);
	return xvip_sip_final(&s, n);
}

/* OpenSSL's SipHash-2-4, 64-bit output: an implementation of its own */
static __u64 sip_openssl(const uint8_t key[16], const void *msg, size_t len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	unsigned int size = 8;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_SIZE, &size),
				OSSL_PARAM_construct_end() };
	uint8_t out[8];
	size_t outl = 0;
	__u64 v = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, key, 16, params), 1);
	assert_int_equal(EVP_MAC_update(ctx, msg, len), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &outl, sizeof(out)), 1);
	assert_int_equal(outl, 8);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | out[i];
	return v;
}

static void test_siphash_matches_openssl(void **state)
{
	uint8_t key[16], msg[64];
	__u64 k[2], m[8];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	memcpy(k, key, 16); /* little-endian words, as the XDP program reads them */
	memcpy(m, msg, 64);
	/* the paper's vector: key 00..0f, the 15-byte... is not whole words;
	 * its 8- and 16-byte entries are (vectors.h of the reference code) */
	assert_true(sip_words(k, m, 1) == 0x93f5f5799a932462ull);
	assert_true(sip_words(k, m, 2) == 0x3f2acc7f57c29bdbull);
	for (unsigned n = 0; n <= 8; n++)
		assert_true(sip_words(k, m, n) == sip_openssl(key, msg, n * 8));
	/* another key, the bytes not in order: still OpenSSL's */
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0xa5 ^ (i * 37));
	memcpy(k, key, 16);
	for (unsigned n = 1; n <= 5; n++)
		assert_true(sip_words(k, m, n) == sip_openssl(key, msg, n * 8));
}

/* the tag: 24 bytes of the wire, the nonce, the addresses, in that order */
static void test_liv_tag_layout(void **state)
{
	uint8_t key[16], msg[40], wire[32];
	__u64 k[2], nonce = 0x1122334455667788ull, addrs, tag;
	uint32_t src = ip4(10, 0, 0, 2), dst = ip4(10, 0, 0, 1);

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(i * 3);
	memcpy(k, key, 16);
	for (int i = 0; i < 32; i++)
		wire[i] = (uint8_t)(0x40 + i);
	memcpy(msg, wire, 24);
	memcpy(msg + 24, &nonce, 8);
	memcpy(msg + 32, &src, 4);
	memcpy(msg + 36, &dst, 4);
	memcpy(&addrs, msg + 32, 8);
	tag = xvip_liv_tag(k, wire, nonce, addrs);
	assert_true(tag == sip_openssl(key, msg, sizeof(msg)));
	/* the auth bytes (24..31) are not in it: they hold the tag */
	wire[24] ^= 0xff;
	assert_true(xvip_liv_tag(k, wire, nonce, addrs) == tag);
	wire[5] ^= 1; /* the VRID */
	assert_true(xvip_liv_tag(k, wire, nonce, addrs) != tag);
}

static void test_liv_key_derived(void **state)
{
	struct vrrp_auth_key k = key_of(0x5a, 32), none = { .len = 0 };
	unsigned char md[32];
	unsigned int mdlen = 0;
	__u64 out[2], want[2];

	(void)state;
	assert_non_null(HMAC(EVP_sha256(), k.b, (int)k.len, (const unsigned char *)"xvip-liveness-1",
			     15, md, &mdlen));
	memcpy(want, md, 16);
	assert_int_equal(vrrp_auth_liv_key(&k, out), 0);
	assert_true(out[0] == want[0] && out[1] == want[1]);
	/* another key, another liveness key; no key, none */
	k.b[0] ^= 1;
	assert_int_equal(vrrp_auth_liv_key(&k, out), 0);
	assert_false(out[0] == want[0] && out[1] == want[1]);
	assert_int_equal(vrrp_auth_liv_key(&none, out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trailer_layout),
		cmocka_unit_test(test_check_good_cuts_trailer),
		cmocka_unit_test(test_check_refusals),
		cmocka_unit_test(test_check_second_key),
		cmocka_unit_test(test_check_ip_options),
		cmocka_unit_test(test_check_malformed_left_to_parser),
		cmocka_unit_test(test_sign_needs_room_and_key),
		cmocka_unit_test(test_next_seq_monotonic),
		cmocka_unit_test(test_accept_replay_and_window),
		cmocka_unit_test(test_accept_remembered),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_accept_table_full_replaces_least_recent),
		cmocka_unit_test_setup_teardown(test_key_file_rules, setup_dir, remove_dir),
		cmocka_unit_test(test_siphash_matches_openssl),
		cmocka_unit_test(test_liv_tag_layout),
		cmocka_unit_test(test_liv_key_derived),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
