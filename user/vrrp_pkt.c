/*
 * vrrp_pkt.c - VRRP advertisement codec.  See vrrp_pkt.h.
 *
 * Wire format (both versions, IPv4):
 *   0: version(4) | type(4)     1: vrid     2: priority     3: count
 *   v2: 4: auth type  5: adver_int (s)       v3: 4-5: rsvd(4) | max_adver_int(12, cs)
 *   6-7: checksum   8..: count IPv4 addresses   v2 only: 8 bytes auth data
 */
#include "vrrp_pkt.h"
#include "csum.h"

#include <arpa/inet.h>
#include <string.h>

static const char *const reject_names[VRRP_REJ_NR] = {
	[0] = "ok",
	[-VRRP_REJ_INVALID_ARG] = "invalid_arg",
	[-VRRP_REJ_TRUNCATED] = "truncated",
	[-VRRP_REJ_BAD_IP_HEADER] = "bad_ip_header",
	[-VRRP_REJ_FRAGMENT] = "fragment",
	[-VRRP_REJ_BAD_PROTOCOL] = "bad_protocol",
	[-VRRP_REJ_BAD_TTL] = "bad_ttl",
	[-VRRP_REJ_BAD_VERSION] = "bad_version",
	[-VRRP_REJ_BAD_TYPE] = "bad_type",
	[-VRRP_REJ_BAD_LENGTH] = "bad_length",
	[-VRRP_REJ_BAD_CHECKSUM] = "bad_checksum",
	[-VRRP_REJ_VRID_MISMATCH] = "vrid_mismatch",
	[-VRRP_REJ_AUTH_TYPE_MISMATCH] = "auth_type_mismatch",
	[-VRRP_REJ_AUTH_FAILED] = "auth_failed",
	[-VRRP_REJ_INTERVAL_MISMATCH] = "interval_mismatch",
	[-VRRP_REJ_BAD_INTERVAL] = "bad_interval",
	[-VRRP_REJ_AUTH_MISSING] = "auth_missing",
	[-VRRP_REJ_AUTH_BAD_MAC] = "auth_bad_mac",
	[-VRRP_REJ_AUTH_REPLAY] = "auth_replay",
	[-VRRP_REJ_AUTH_STALE] = "auth_stale",
	[-VRRP_REJ_AUTH_UNEXPECTED] = "auth_unexpected",
};

const char *vrrp_reject_str(int reason)
{
	if (reason > 0 || reason <= -VRRP_REJ_NR || !reject_names[-reason])
		return "unknown";
	return reject_names[-reason];
}

size_t vrrp_advert_len(uint8_t version, size_t naddr)
{
	return VRRP_HDR_LEN + 4 * naddr + (version == 2 ? VRRP_AUTH_LEN : 0);
}

void vrrp_set_password(uint8_t out[VRRP_AUTH_LEN], const char *password)
{
	size_t n = password ? strnlen(password, VRRP_AUTH_LEN) : 0;

	memset(out, 0, VRRP_AUTH_LEN);
	if (n)
		memcpy(out, password, n);
}

/* Sum of the v3 pseudo-header: src, dst, zero, protocol, VRRP length.
 * Addresses are network order, i.e. their bytes are already in wire order. */
static uint64_t pseudo_sum(uint32_t src, uint32_t dst, size_t vrrp_len)
{
	uint8_t ph[12];

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = VRRP_IPPROTO;
	ph[10] = (uint8_t)(vrrp_len >> 8);
	ph[11] = (uint8_t)vrrp_len;
	return csum_add(0, ph, sizeof(ph));
}

int vrrp_build_advert(uint8_t *buf, size_t len, const struct vrrp_advert *a)
{
	size_t need, off;
	uint64_t ival;
	uint16_t sum;

	if (!buf || !a || (a->version != 2 && a->version != 3) || a->vrid == 0 ||
	    a->naddr > VRRP_MAX_ADDRS)
		return -1;
	need = vrrp_advert_len(a->version, a->naddr);
	if (len < need)
		return -1;

	buf[0] = (uint8_t)(a->version << 4 | VRRP_TYPE_ADVERT);
	buf[1] = a->vrid;
	buf[2] = a->priority;
	buf[3] = (uint8_t)a->naddr;
	if (a->version == 2) {
		/* the v2 field is whole seconds: refuse what it cannot carry
		 * rather than silently advertising another interval */
		if (a->auth_type != VRRP_AUTH_NONE && a->auth_type != VRRP_AUTH_PASS)
			return -1;
		if (a->adver_int_us % VRRP_USEC_PER_SEC)
			return -1;
		ival = a->adver_int_us / VRRP_USEC_PER_SEC;
		if (ival < 1 || ival > 255)
			return -1;
		buf[4] = a->auth_type;
		buf[5] = (uint8_t)ival;
	} else {
		if (a->adver_int_us % VRRP_USEC_PER_CS)
			return -1;
		ival = a->adver_int_us / VRRP_USEC_PER_CS;
		if (ival < 1 || ival > VRRP_V3_MAX_ADVER_INT_CS)
			return -1;
		buf[4] = (uint8_t)(ival >> 8); /* upper 4 bits (rsvd) stay 0 */
		buf[5] = (uint8_t)ival;
	}
	buf[6] = buf[7] = 0;
	off = VRRP_HDR_LEN;
	for (size_t i = 0; i < a->naddr; i++, off += 4)
		memcpy(buf + off, &a->addrs[i], 4);
	if (a->version == 2) {
		/* keepalived always sends the 8 auth bytes in v2; with no
		 * authentication they are zero */
		if (a->auth_type == VRRP_AUTH_PASS)
			memcpy(buf + off, a->auth_data, VRRP_AUTH_LEN);
		else
			memset(buf + off, 0, VRRP_AUTH_LEN);
		off += VRRP_AUTH_LEN;
		sum = csum_buf(buf, off);
	} else {
		sum = csum_finish(csum_add(pseudo_sum(a->src, a->dst, off), buf, off));
	}
	csum_store_be16(buf + 6, sum);
	return (int)off;
}

/* true if both lists hold the same set of addresses (order does not matter:
 * keepalived looks each configured VIP up in the received list) */
static bool same_addrs(const uint32_t *want, size_t nwant, const uint32_t *got,
		       size_t ngot)
{
	if (nwant != ngot)
		return false;
	for (size_t i = 0; i < nwant; i++) {
		bool found = false;

		for (size_t j = 0; j < ngot && !found; j++)
			found = want[i] == got[j];
		if (!found)
			return false;
	}
	return true;
}

static bool opts_valid(const struct vrrp_parse_opts *o)
{
	if (o->version != 2 && o->version != 3)
		return false;
	if (o->naddr && !o->addrs)
		return false;
	return true;
}

int vrrp_parse_payload(const uint8_t *vrrp, size_t len, uint32_t src,
		       uint32_t dst, uint8_t ttl,
		       const struct vrrp_parse_opts *opts, struct vrrp_advert *out)
{
	size_t count, expect;
	uint64_t psum;

	if (!vrrp || !opts || !out || !opts_valid(opts))
		return VRRP_REJ_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	out->src = src;
	out->dst = dst;
	out->ttl = ttl;

	/* RFC: MUST verify TTL 255, so that only on-link routers are heard
	 * (a forged advert from off the link arrives with less). keepalived
	 * skips it for every unicast peer; xvipd only for peers said to be
	 * routed (unicast_ttl below 255). */
	if (!opts->skip_ttl && ttl != VRRP_TTL)
		return VRRP_REJ_BAD_TTL;
	if (len < VRRP_HDR_LEN)
		return VRRP_REJ_TRUNCATED;

	out->version = vrrp[0] >> 4;
	out->vrid = vrrp[1];
	out->priority = vrrp[2];
	count = vrrp[3];
	if (out->version != opts->version)
		return VRRP_REJ_BAD_VERSION;
	if ((vrrp[0] & 0x0f) != VRRP_TYPE_ADVERT)
		return VRRP_REJ_BAD_TYPE;

	expect = vrrp_advert_len(out->version, count);
	if (len != expect)
		return VRRP_REJ_BAD_LENGTH;

	if (out->version == 2) {
		if (csum_buf(vrrp, len) != 0)
			return VRRP_REJ_BAD_CHECKSUM;
	} else {
		psum = pseudo_sum(src, dst, len);
		if (csum_finish(csum_add(psum, vrrp, len)) != 0) {
			uint32_t group = htonl(VRRP_MCAST_GROUP);

			/* Interoperate with keepalived's older v3 checksums:
			 * some versions omit the pseudo-header, and with
			 * unicast peers some put the multicast group in it
			 * instead of the real destination. */
			if (csum_buf(vrrp, len) == 0) {
				out->flags |= VRRP_ADVERT_F_CSUM_NO_PSEUDO;
			} else if (dst != group &&
				   csum_finish(csum_add(pseudo_sum(src, group, len),
							vrrp, len)) == 0) {
				out->flags |= VRRP_ADVERT_F_CSUM_MCAST_DST;
			} else {
				return VRRP_REJ_BAD_CHECKSUM;
			}
		}
	}

	/* VRID 0 belongs to no router (RFC 5798 5.2.3: 1-255) */
	if (out->vrid == 0 || out->vrid != opts->vrid)
		return VRRP_REJ_VRID_MISMATCH;

	out->naddr = (uint16_t)count;
	memcpy(out->addrs, vrrp + VRRP_HDR_LEN, 4 * count);

	if (out->version == 2) {
		out->auth_type = vrrp[4];
		out->adver_int_us = vrrp[5] * VRRP_USEC_PER_SEC;
		memcpy(out->auth_data, vrrp + VRRP_HDR_LEN + 4 * count,
		       VRRP_AUTH_LEN);
		/* Anything but NONE/PASS (e.g. AH) is a mismatch too: we never
		 * configure it. */
		if (out->auth_type != opts->auth_type)
			return VRRP_REJ_AUTH_TYPE_MISMATCH;
		if (opts->auth_type == VRRP_AUTH_PASS &&
		    memcmp(out->auth_data, opts->auth_data, VRRP_AUTH_LEN) != 0)
			return VRRP_REJ_AUTH_FAILED;
		/* RFC 3768 MUST: keepalived drops a mismatch, which keeps two
		 * routers with different timers from both being master. */
		if (out->adver_int_us != opts->adver_int_us)
			return VRRP_REJ_INTERVAL_MISMATCH;
	} else {
		out->adver_int_us =
			(uint64_t)(((vrrp[4] & 0x0f) << 8) | vrrp[5]) * VRRP_USEC_PER_CS;
		/* v3 backups adopt the master's interval; a zero one would
		 * make the master down timer just the skew. */
		if (out->adver_int_us == 0)
			return VRRP_REJ_BAD_INTERVAL;
	}

	/* keepalived only logs a differing address list, so do we: flag it */
	if (opts->addrs &&
	    !same_addrs(opts->addrs, opts->naddr, out->addrs, out->naddr))
		out->flags |= VRRP_ADVERT_F_ADDR_MISMATCH;
	return VRRP_OK;
}

int vrrp_parse_advert(const uint8_t *ip, size_t len,
		      const struct vrrp_parse_opts *opts, struct vrrp_advert *out)
{
	size_t ihl, tot_len;
	uint16_t frag;
	uint32_t src, dst;

	if (!ip || !opts || !out || !opts_valid(opts))
		return VRRP_REJ_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if (len < 20)
		return VRRP_REJ_TRUNCATED;
	if (ip[0] >> 4 != 4)
		return VRRP_REJ_BAD_IP_HEADER;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	tot_len = (size_t)ip[2] << 8 | ip[3];
	if (ihl < 20 || tot_len < ihl)
		return VRRP_REJ_BAD_IP_HEADER;
	if (len < tot_len)
		return VRRP_REJ_TRUNCATED;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	out->src = src;
	out->dst = dst;
	out->ttl = ip[8];
	/* a fragment's payload is not a whole advert (and the kernel
	 * reassembles before raw sockets, so this is a copied frame) */
	frag = (uint16_t)(ip[6] << 8 | ip[7]);
	if (frag & 0x3fff) /* MF or offset; DF is fine */
		return VRRP_REJ_FRAGMENT;
	if (ip[9] != VRRP_IPPROTO)
		return VRRP_REJ_BAD_PROTOCOL;
	return vrrp_parse_payload(ip + ihl, tot_len - ihl, src, dst, ip[8], opts,
				  out);
}

uint64_t vrrp_skew_time_us(uint8_t version, uint8_t prio,
			   uint64_t master_adver_int_us)
{
	uint64_t unit = version == 2 ? VRRP_USEC_PER_SEC : master_adver_int_us;

	return (256 - (uint64_t)prio) * unit / 256;
}

uint64_t vrrp_master_down_us(uint8_t version, uint8_t prio,
			     uint64_t master_adver_int_us)
{
	return 3 * master_adver_int_us +
	       vrrp_skew_time_us(version, prio, master_adver_int_us);
}
