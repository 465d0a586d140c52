/* libFuzzer: the VRRP codec. Input: 4 bytes of receiving options, then an
 * IPv4 packet. Invariants: no crash or UB; an advert that parses is built
 * again by vrrp_build_advert and parses to the same fields; signed
 * (auth_key_file) it passes vrrp_auth_check with its sequence and parses
 * the same again. Every input also goes through vrrp_auth_check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vrrp_auth.h"
#include "vrrp_pkt.h"

static const struct vrrp_auth_key fuzz_key = { .b = "fuzz-key-0123456789abcdef", .len = 25 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vrrp_parse_opts o;
	struct vrrp_advert a, b;
	uint8_t v[VRRP_MAX_LEN], ip[VRRP_MAX_LEN + 60];
	uint32_t addrs[4] = { 0x6400000a, 0x6500000a, 0, 0 };
	int n;

	if (size < 4)
		return 0;
	if (size - 4 <= sizeof(ip)) {
		uint64_t seq;

		memcpy(ip, data + 4, size - 4);
		(void)vrrp_auth_check(ip, size - 4, (data[0] & 32) ? &fuzz_key : NULL,
				      (data[0] & 64) ? &fuzz_key : NULL, &seq);
	}
	memset(&o, 0, sizeof(o));
	o.version = (data[0] & 1) ? 3 : 2;
	o.vrid = data[1];
	o.auth_type = (data[0] & 2) ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
	memcpy(o.auth_data, "secret\0\0", VRRP_AUTH_LEN);
	o.adver_int_us = (uint64_t)(data[2] % 10 + 1) * (o.version == 2 ? 1000000 : 10000);
	o.unicast = data[0] & 4;
	o.skip_ttl = data[0] & 8;
	o.naddr = data[3] % 3;
	o.addrs = (data[0] & 16) ? NULL : addrs;
	if (vrrp_parse_advert(data + 4, size - 4, &o, &a) != VRRP_OK)
		return 0;
	/* the payload alone, as the XDP path would hand it over */
	if (size - 4 >= 20 && (data[4] & 0x0f) >= 5 && (size_t)(data[4] & 0x0f) * 4 <= size - 4)
		(void)vrrp_parse_payload(data + 4 + (data[4] & 0x0f) * 4,
					 size - 4 - (data[4] & 0x0f) * 4, a.src, a.dst, a.ttl, &o, &b);
	n = vrrp_build_advert(v, sizeof(v), &a);
	if (n < 0)
		abort(); /* what parses must build */
	/* wrap it in a minimal IPv4 header (protocol 112, TTL as received) */
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + n) >> 8);
	ip[3] = (uint8_t)(20 + n);
	ip[8] = a.ttl;
	ip[9] = 112;
	memcpy(ip + 12, &a.src, 4);
	memcpy(ip + 16, &a.dst, 4);
	{
		uint32_t s = 0;

		for (int i = 0; i < 20; i += 2)
			s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		ip[10] = (uint8_t)(~s >> 8);
		ip[11] = (uint8_t)~s;
	}
	memcpy(ip + 20, v, (size_t)n);
	if (vrrp_parse_advert(ip, 20 + (size_t)n, &o, &b) != VRRP_OK)
		abort();
	{
		uint8_t sig[sizeof(ip)];
		uint64_t seq = 0;
		int m;

		memcpy(sig, ip, sizeof(sig));
		m = vrrp_auth_sign(sig + 20, (size_t)n, sizeof(sig) - 20, a.src, a.dst, 77,
				   &fuzz_key);
		if (m != n + XVIP_AUTH_TRAILER_LEN)
			abort();
		sig[2] = (uint8_t)((20 + m) >> 8);
		sig[3] = (uint8_t)(20 + m);
		if (vrrp_auth_check(sig, 20 + (size_t)m, &fuzz_key, NULL, &seq) != 0 || seq != 77)
			abort();
		if (vrrp_parse_advert(sig, 20 + (size_t)m, &o, &b) != VRRP_OK)
			abort();
	}
	if (b.version != a.version || b.vrid != a.vrid || b.priority != a.priority ||
	    b.naddr != a.naddr || b.adver_int_us != a.adver_int_us ||
	    memcmp(b.addrs, a.addrs, a.naddr * sizeof(a.addrs[0])))
		abort();
	return 0;
}
