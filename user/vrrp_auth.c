/*
 * vrrp_auth.c - xvip's authenticated mode between xvipd peers.  See
 * vrrp_auth.h; the construction and its reasons are in docs/security.md.
 */
#include "vrrp_auth.h"
#include "vrrp_pkt.h"
#include "csum.h"
#include "secret_file.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

/* Domain separation: a tag made for this use is never valid elsewhere. */
static const char auth_label[16] = "xvip-vrrp-auth-1";

int vrrp_auth_load_key(const char *path, struct vrrp_auth_key *k, char *why, size_t whylen)
{
	uint8_t buf[VRRP_AUTH_KEY_MAX + 2];
	ssize_t n;

	memset(k, 0, sizeof(*k));
	if (path[0] != '/') {
		snprintf(why, whylen, "auth_key_file '%s': an absolute path, please", path);
		return -1;
	}
	n = secret_file_read("auth_key_file", path, buf, sizeof(buf), why, whylen);
	if (n < 0)
		return -1;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n < VRRP_AUTH_KEY_MIN || n > VRRP_AUTH_KEY_MAX) {
		snprintf(why, whylen,
			 "auth_key_file %s: the key has %s%zd bytes; it needs %d to %d (e.g. "
			 "'openssl rand -hex 32 > %s')", path, n > VRRP_AUTH_KEY_MAX ? "more than " : "",
			 n > VRRP_AUTH_KEY_MAX ? (ssize_t)VRRP_AUTH_KEY_MAX : n, VRRP_AUTH_KEY_MIN,
			 VRRP_AUTH_KEY_MAX, path);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(k->b, buf, (size_t)n);
	k->len = (size_t)n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

void vrrp_auth_key_wipe(struct vrrp_auth_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

int vrrp_auth_liv_key(const struct vrrp_auth_key *k, __u64 out[2])
{
	static const char label[] = "xvip-liveness-1";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!k->len || !HMAC(EVP_sha256(), k->b, (int)k->len, (const unsigned char *)label,
			     sizeof(label) - 1, md, &mdlen) || mdlen < 16)
		return -1;
	out[0] = out[1] = 0;
	for (int i = 7; i >= 0; i--) {
		out[0] = out[0] << 8 | md[i];
		out[1] = out[1] << 8 | md[8 + i];
	}
	explicit_bzero(md, sizeof(md));
	return 0;
}

uint64_t vrrp_auth_next_seq(uint64_t *last, uint64_t now_real_ns)
{
	uint64_t s = now_real_ns > *last ? now_real_ns : *last + 1;

	*last = s;
	return s;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The tag of msg[0, len) (the VRRP message and the trailer's magic and
 * sequence) sent src -> dst: one HMAC() over label | src | dst | msg. */
static int auth_tag(const struct vrrp_auth_key *k, uint32_t src, uint32_t dst,
		    const uint8_t *msg, size_t len, uint8_t tag[XVIP_AUTH_TAG_LEN])
{
	uint8_t all[sizeof(auth_label) + 8 + VRRP_MAX_LEN + 12];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t n = sizeof(auth_label);

	if (len > VRRP_MAX_LEN + 12)
		return -1;
	memcpy(all, auth_label, n);
	memcpy(all + n, &src, 4);
	memcpy(all + n + 4, &dst, 4);
	memcpy(all + n + 8, msg, len);
	if (!HMAC(EVP_sha256(), k->b, (int)k->len, all, n + 8 + len, md, &mdlen) ||
	    mdlen < XVIP_AUTH_TAG_LEN)
		return -1;
	memcpy(tag, md, XVIP_AUTH_TAG_LEN);
	return 0;
}

int vrrp_auth_sign(uint8_t *vrrp, size_t len, size_t cap, uint32_t src, uint32_t dst,
		   uint64_t seq, const struct vrrp_auth_key *k)
{
	uint8_t *t = vrrp + len;

	if (!k || !k->len || len > VRRP_MAX_LEN || cap < len + XVIP_AUTH_TRAILER_LEN)
		return -1;
	put_be32(t, XVIP_AUTH_MAGIC);
	for (int i = 0; i < 8; i++)
		t[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
	if (auth_tag(k, src, dst, vrrp, len + 12, t + 12) < 0)
		return -1;
	return (int)(len + XVIP_AUTH_TRAILER_LEN);
}

/* Whether the trailer's tag t was made with k. */
static bool tag_ok(const struct vrrp_auth_key *k, uint32_t src, uint32_t dst, const uint8_t *vrrp,
		   size_t expected, const uint8_t *t)
{
	uint8_t tag[XVIP_AUTH_TAG_LEN];

	return k && k->len && auth_tag(k, src, dst, vrrp, expected + 12, tag) == 0 &&
	       CRYPTO_memcmp(tag, t + 12, XVIP_AUTH_TAG_LEN) == 0;
}

int vrrp_auth_check(uint8_t *ip_pkt, size_t len, const struct vrrp_auth_key *k,
		    const struct vrrp_auth_key *k2, uint64_t *seq)
{
	uint8_t magic[4];
	size_t hl, tot, payload, expected;
	uint8_t *vrrp, *t;
	uint32_t src, dst;
	bool keyed = k && k->len;

	if (len < 20 || ip_pkt[0] >> 4 != 4)
		return 0;
	hl = (size_t)(ip_pkt[0] & 0x0f) * 4;
	tot = (size_t)ip_pkt[2] << 8 | ip_pkt[3];
	if (hl < 20 || tot > len || tot < hl + VRRP_HDR_LEN)
		return 0;
	vrrp = ip_pkt + hl;
	payload = tot - hl;
	expected = vrrp_advert_len(vrrp[0] >> 4, vrrp[3]);
	put_be32(magic, XVIP_AUTH_MAGIC);
	t = vrrp + expected;
	if (payload != expected + XVIP_AUTH_TRAILER_LEN || memcmp(t, magic, 4) != 0) {
		/* an advert of its own length has no trailer; anything else
		 * is the parser's to reject (bad_length) */
		return keyed && payload == expected ? VRRP_REJ_AUTH_MISSING : 0;
	}
	if (!keyed)
		return VRRP_REJ_AUTH_UNEXPECTED;
	memcpy(&src, ip_pkt + 12, 4);
	memcpy(&dst, ip_pkt + 16, 4);
	if (!tag_ok(k, src, dst, vrrp, expected, t) && !tag_ok(k2, src, dst, vrrp, expected, t))
		return VRRP_REJ_AUTH_BAD_MAC;
	*seq = get_be64(t + 4);
	/* the parser sees the advert as a peer without the mode sends it */
	tot = hl + expected;
	ip_pkt[2] = (uint8_t)(tot >> 8);
	ip_pkt[3] = (uint8_t)tot;
	ip_pkt[10] = ip_pkt[11] = 0;
	csum_store_be16(ip_pkt + 10, csum_buf(ip_pkt, hl));
	return 0;
}

uint64_t vrrp_auth_floor(uint64_t seq, uint64_t now_real_ns)
{
	uint64_t cap = now_real_ns + VRRP_AUTH_WINDOW_NS;

	return seq < cap ? seq : cap;
}

bool vrrp_auth_knows(const struct vrrp_auth_peers *t, uint32_t src)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->p[i].src == src)
			return true;
	return false;
}

int vrrp_auth_accept(struct vrrp_auth_peers *t, uint32_t src, uint64_t seq,
		     uint64_t now_real_ns, uint64_t remembered, uint64_t *last)
{
	struct vrrp_auth_peer *p = NULL;
	uint64_t off;

	for (unsigned i = 0; i < t->n; i++)
		if (t->p[i].src == src)
			p = &t->p[i];
	if (p || remembered) {
		uint64_t prev = p ? p->last_seq : remembered;

		if (last)
			*last = prev;
		if (seq <= prev)
			return VRRP_REJ_AUTH_REPLAY;
	}
	if (!p) {
		if (last && !remembered)
			*last = now_real_ns;
		off = seq > now_real_ns ? seq - now_real_ns : now_real_ns - seq;
		if (off > VRRP_AUTH_WINDOW_NS)
			return VRRP_REJ_AUTH_STALE;
		if (t->n < VRRP_AUTH_PEERS) {
			p = &t->p[t->n++];
		} else {
			p = &t->p[0];
			for (unsigned i = 1; i < t->n; i++)
				if (t->p[i].used < p->used)
					p = &t->p[i];
		}
		p->src = src;
	}
	p->last_seq = seq;
	p->used = ++t->tick;
	return 0;
}
