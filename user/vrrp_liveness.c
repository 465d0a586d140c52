/* Fast liveness at run time (docs/architecture.md, "Fast liveness"): the
 * reflector's settings and peers in the data plane, the master's lease
 * renewed every interval, the backup's echoes and its reading of the
 * answers the data plane recorded. liveness.c decides; this file acts. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "fmt.h"
#include "log.h"
#include "siphash.h"
#include "vrrp_auth.h"
#include "vrrp_int.h"
#include "xvipd.h"

#ifndef SO_NO_CHECK
#define SO_NO_CHECK 11
#endif

static bool liv_enabled(const struct vrrp_rt *in)
{
	return in->cfg->liveness_interval_ms != 0;
}

bool liv_active(const struct vrrp_rt *in)
{
	return liv_enabled(in) && in->ifc->liv_fd >= 0;
}

uint64_t liv_interval_us(const struct vrrp_rt *in)
{
	return (uint64_t)in->cfg->liveness_interval_ms * 1000;
}

/* One UDP socket per interface for the echoes: from our address and the
 * liveness port, no UDP checksum (a checksum left for the NIC to fill in
 * would not survive the peer's XDP_TX on some drivers, veth among them;
 * the answer is checked by its magic, VRID, number and auth). */
static int liv_socket(struct iface_rt *ifc, uint32_t src, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(XVIP_LIV_PORT),
				  .sin_addr.s_addr = src };
	int one = 1, small = 1, tos = 0xc0;
	int fd;

	if (ifc->liv_fd >= 0)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifc->name, (socklen_t)strlen(ifc->name)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		goto fail;
	}
	ifc->liv_fd = fd;
	ifc->liv_src = src;
	return 0;
fail:
	snprintf(err, errlen, "cannot open the liveness socket (UDP %u) on %s: %s", XVIP_LIV_PORT,
		 ifc->name, strerror(errno));
	return -errno;
}

static bool peer_known(const struct vrrp_rt *in, uint32_t addr)
{
	for (size_t i = 0; i < in->n_liv_peers; i++)
		if (in->liv_peers[i] == addr)
			return true;
	return false;
}

static void peer_admit(struct xvipd *d, struct vrrp_rt *in, uint32_t addr, bool learned,
		       const char *how)
{
	char a[INET_ADDRSTRLEN];
	int rc;

	if (!addr || addr == in->src_addr || peer_known(in, addr))
		return;
	if (in->n_liv_peers == XVIP_LIV_MAX_PEERS) {
		if (!in->liv_peers_full_warned)
			xlog(LOG_WARNING, "(%s) liveness: %s not admitted: already %d peers",
			     in->cfg->name, ip4_str(addr, a), XVIP_LIV_MAX_PEERS);
		in->liv_peers_full_warned = true;
		return;
	}
	rc = dp_liv_peer_add(&d->dp.maps, in->cfg->virtual_router_id, addr, learned);
	if (rc < 0) {
		xlog(LOG_ERR, "(%s) liveness: cannot admit peer %s: %s", in->cfg->name,
		     ip4_str(addr, a), strerror(-rc));
		return;
	}
	in->liv_peers[in->n_liv_peers++] = addr;
	xlog(learned ? LOG_NOTICE : LOG_INFO, "(%s) liveness: peer %s admitted (%s)",
	     in->cfg->name, ip4_str(addr, a), how);
}

/* Keyed echoes (auth_key_file): the keys, the oldest nonce an answer may
 * carry (this daemon's start: answers recorded from an earlier run are
 * refused; the newest answer taken, kept by the data plane, is carried
 * over), and the wall clock's offset, against which the master refuses
 * nonces from the future. All zeros when not keyed. 0, or -errno. */
static int liv_keys_write(struct xvipd *d, struct vrrp_rt *in)
{
	static uint64_t floor_ns;
	const struct config_vrrp_instance *c = in->cfg;
	struct liv_auth la = { 0 }, old = { 0 };
	int rc;

	if (!floor_ns)
		floor_ns = realtime_ns();
	if (liv_enabled(in) && vrrp_auth_liv_key(&c->auth_key, la.key[0]) == 0) {
		la.nkeys = 1;
		if (vrrp_auth_liv_key(&c->auth_key2, la.key[1]) == 0)
			la.nkeys = 2;
		la.min_nonce = floor_ns;
		la.real_offset_ns = (int64_t)(realtime_ns() - mono_ns());
		if (dp_liv_auth_get(&d->dp.maps, c->virtual_router_id, &old) == 0)
			la.last_answer = old.last_answer;
		/* our nonces never below the floor, a clock stepped back or not */
		if (in->liv_nonce_last < floor_ns)
			in->liv_nonce_last = floor_ns;
	}
	in->liv_keyed = la.nkeys > 0;
	memcpy(in->liv_key, la.key[0], sizeof(in->liv_key));
	rc = dp_liv_auth_put(&d->dp.maps, c->virtual_router_id, &la);
	explicit_bzero(&la, sizeof(la));
	explicit_bzero(&old, sizeof(old));
	if (rc < 0)
		xlog(LOG_ERR, "(%s) liveness: cannot write liv_auth: %s", c->name, strerror(-rc));
	return rc;
}

/* The reflector's settings for this instance's VRID: answers gated by the
 * lease of the first VIP, auth_pass when configured, learning of peers
 * for multicast instances (a VRRP backup is silent: its first echo is the
 * first we hear of it), and a rate bound of four times what a backup sends.
 * Peers already admitted stay admitted across a reload (a backup whose
 * echoes went unanswered while it was learned again could take over); a
 * unicast list is the only source of peers, so there the map follows it. */
static void reflector_write(struct xvipd *d, struct vrrp_rt *in)
{
	const struct config_vrrp_instance *c = in->cfg;
	struct liv_cfg lc = { 0 };
	uint8_t vrid = c->virtual_router_id;
	bool keyed = c->auth_key.len > 0;
	int rc;

	/* keys before the reflector's settings when keyed, after them when
	 * not: the reflector never answers this instance's echoes unkeyed
	 * while it is keyed, nor without auth_pass while it has one; keys
	 * that could not be written: no answers at all (lc stays off) */
	if ((!keyed || liv_keys_write(d, in) == 0) && liv_enabled(in) && c->n_vips) {
		uint64_t per_s = 1000000ull * LIV_COPIES / liv_interval_us(in);

		lc.vip = c->vips[0].addr.s_addr;
		lc.on = 1;
		/* keyed: the tag replaces auth_pass (liv_auth) */
		lc.auth_type = c->auth_type == CONFIG_AUTH_PASS && !keyed;
		memcpy(lc.auth, in->auth, sizeof(lc.auth));
		lc.learn = c->n_unicast_peers == 0;
		lc.rate_per_s = (uint32_t)(4 * per_s);
		lc.burst = 4 * LIV_COPIES + 8;
	}
	rc = dp_liv_cfg_put(&d->dp.maps, vrid, &lc);
	if (rc < 0)
		xlog(LOG_ERR, "(%s) liveness: cannot write liv_cfg: %s", c->name, strerror(-rc));
	if (!keyed)
		liv_keys_write(d, in);
	if (!lc.on || c->n_unicast_peers) {
		dp_liv_peers_clear(&d->dp.maps, vrid);
		in->n_liv_peers = 0;
		in->liv_peers_full_warned = false;
	}
	if (!lc.on)
		return;
	for (size_t i = 0; i < c->n_unicast_peers; i++)
		peer_admit(d, in, c->unicast_peers[i].s_addr, false, "unicast_peer");
}

static void echo_fire(struct loop *l, uint64_t id, void *arg);
static void renew_fire(struct loop *l, uint64_t id, void *arg);

/* The data plane's record of answers: the current watch's (0: none). */
static void record_reset(struct xvipd *d, struct vrrp_rt *in)
{
	int rc = dp_liv_watch(&d->dp.maps, in->cfg->virtual_router_id, in->liv.master);

	if (rc < 0)
		xlog(LOG_ERR, "(%s) liveness: cannot reset liv_state: %s", in->cfg->name,
		     strerror(-rc));
}

/* The pending verdict's post-mortem (liveness.h): did the master presumed
 * dead answer after all? false if none was pending; else the caller resets
 * the record it read. */
static bool postmortem(struct xvipd *d, struct vrrp_rt *in)
{
	struct liv_state st = { 0 };
	struct liv_pm_result r;
	char a[INET_ADDRSTRLEN];

	if (in->liv_pm_timer)
		loop_cancel_timer(d->loop, in->liv_pm_timer);
	in->liv_pm_timer = 0;
	if (liv_postmortem_due(&in->liv) == LIV_NO_DEADLINE)
		return false;
	if (dp_liv_state_get(&d->dp.maps, in->cfg->virtual_router_id, &st) < 0 ||
	    st.master != in->liv.pm.master)
		st.replies = 0;
	liv_postmortem(&in->liv, st.replies > 0, st.last_seq, st.last_rtt_ns / 1000, &r);
	if (r.verdict == LIV_PM_LATE)
		xlog(LOG_WARNING, "(%s) liveness: master %s was alive: it answered up to %u echo(es) "
		     "sent before it was presumed dead (the newest in %llu us): the takeover was "
		     "spurious, its answers were late, not lost (%llu so far). They were held "
		     "about %llu us (a loaded host?): liveness_multiplier %u%s would have waited",
		     in->cfg->name, ip4_str(r.master, a), r.late, (unsigned long long)r.rtt_us,
		     (unsigned long long)in->liv.late_verdicts, (unsigned long long)r.hold_us,
		     r.cover, r.cover > 50 ? " (above its maximum, 50: a longer liveness_interval)" : "");
	else if (r.verdict == LIV_PM_SILENT)
		xlog(LOG_INFO, "(%s) liveness: master %s sent no answer after it was presumed dead",
		     in->cfg->name, ip4_str(r.master, a));
	return true;
}

static void postmortem_fire(struct loop *l, uint64_t id, void *arg)
{
	struct vrrp_rt *in = arg;

	(void)l;
	if (id != in->liv_pm_timer)
		return;
	in->liv_pm_timer = 0;
	if (postmortem(in->d, in))
		record_reset(in->d, in);
}

/* (a pending post-mortem stays pending: liv_sync arms its timer again) */
void liv_stop(struct xvipd *d, struct vrrp_rt *in)
{
	if (in->liv_pm_timer)
		loop_cancel_timer(d->loop, in->liv_pm_timer);
	in->liv_pm_timer = 0;
	if (in->liv_timer)
		loop_cancel_timer(d->loop, in->liv_timer);
	if (in->renew_timer)
		loop_cancel_timer(d->loop, in->renew_timer);
	in->liv_timer = in->renew_timer = 0;
}

void liv_retire(struct xvipd *d, struct vrrp_rt *in)
{
	struct liv_cfg off = { 0 };
	struct liv_auth no_keys = { 0 };

	liv_stop(d, in);
	if (!liv_enabled(in))
		return;
	dp_liv_cfg_put(&d->dp.maps, in->cfg->virtual_router_id, &off);
	dp_liv_auth_put(&d->dp.maps, in->cfg->virtual_router_id, &no_keys);
	dp_liv_peers_clear(&d->dp.maps, in->cfg->virtual_router_id);
	in->n_liv_peers = 0;
}

void liv_configure(struct xvipd *d, struct vrrp_rt *in)
{
	const struct config_vrrp_instance *c = in->cfg;
	char err[256];

	liv_stop(d, in);
	if (!in->liv_configured || in->liv.interval_us != liv_interval_us(in) ||
	    in->liv.multiplier != c->liveness_multiplier) {
		if (postmortem(d, in)) /* a pending verdict's, before liv_init */
			record_reset(d, in);
		if (in->liv_configured && liv_enabled(in))
			xlog(LOG_NOTICE, "(%s) liveness: interval %u ms, multiplier %u",
			     c->name, c->liveness_interval_ms, c->liveness_multiplier);
		liv_init(&in->liv, liv_interval_us(in), c->liveness_multiplier);
		in->liv_configured = true;
	}
	in->liv_warned_master = 0;
	if (liv_enabled(in) && liv_socket(in->ifc, in->src_addr, err, sizeof(err)) < 0)
		xlog(LOG_ERR, "(%s) %s: fast liveness off", c->name, err);
	reflector_write(d, in);
	liv_sync(d, in);
}

static void arm_echo(struct xvipd *d, struct vrrp_rt *in)
{
	uint64_t when = liv_next_deadline(&in->liv);

	if (in->liv_timer)
		loop_cancel_timer(d->loop, in->liv_timer);
	in->liv_timer = when == LIV_NO_DEADLINE ? 0 : loop_add_timer(d->loop, when, echo_fire, in);
}

/* After every input of the state machine: watch the master while BACKUP,
 * renew the lease every interval while MASTER. */
void liv_sync(struct xvipd *d, struct vrrp_rt *in)
{
	uint32_t target = 0;
	uint64_t t0 = now_us(), pm_due;
	char a[INET_ADDRSTRLEN];
	bool changed;

	if (!liv_active(in)) {
		liv_stop(d, in);
		return;
	}
	if (in->fsm.state == VRRP_STATE_BACKUP && in->fsm.master_addr &&
	    in->fsm.master_addr != in->src_addr && in->fsm.master_priority != VRRP_PRIO_STOP)
		target = in->fsm.master_addr;
	changed = liv_watch(&in->liv, target, t0);
	if (changed) {
		postmortem(d, in); /* before its record is reset */
		record_reset(d, in);
		if (target)
			xlog(LOG_DEBUG, "(%s) liveness: watching master %s", in->cfg->name,
			     ip4_str(target, a));
	}
	/* also when a reload cancelled the timer of a watch that goes on */
	if (changed || (in->liv.phase != LIV_IDLE && !in->liv_timer))
		arm_echo(d, in);
	pm_due = liv_postmortem_due(&in->liv);
	if (pm_due != LIV_NO_DEADLINE && !in->liv_pm_timer) {
		in->liv_pm_timer = loop_add_timer(d->loop, pm_due, postmortem_fire, in);
		if (!in->liv_pm_timer && postmortem(d, in))
			record_reset(d, in);
	}
	/* with the kernel watching the daemon's death the adverts' lease is
	 * the fence of a hung daemon, and no renewal is needed in between */
	if (in->fsm.state == VRRP_STATE_MASTER && !d->life_token) {
		if (!in->renew_timer) {
			in->renew_planned_us = t0 + liv_interval_us(in);
			in->renew_timer = loop_add_timer(d->loop, in->renew_planned_us, renew_fire, in);
		}
	} else if (in->renew_timer) {
		loop_cancel_timer(d->loop, in->renew_timer);
		in->renew_timer = 0;
	}
}

static void renew_fire(struct loop *l, uint64_t id, void *arg)
{
	struct vrrp_rt *in = arg;
	uint64_t t0 = now_us(), late;

	if (id != in->renew_timer)
		return;
	in->renew_timer = 0;
	if (in->fsm.state != VRRP_STATE_MASTER)
		return;
	late = t0 > in->renew_planned_us ? t0 - in->renew_planned_us : 0;
	if (late > in->liv_renew_late_max_us)
		in->liv_renew_late_max_us = late;
	vips_write(in->d, in, true); /* counts and logs a lapse */
	in->liv_renewals++;
	in->renew_planned_us = t0 + liv_interval_us(in);
	in->renew_timer = loop_add_timer(l, in->renew_planned_us, renew_fire, in);
}

/* Send n echoes numbered first..: how many went out. */
static unsigned send_echoes(struct vrrp_rt *in, uint32_t first, unsigned n)
{
	struct liv_wire w[LIV_COPIES];
	struct {
		struct liv_wire w;
		struct liv_wire_key k;
	} __attribute__((packed)) kw[LIV_COPIES];
	struct iovec iov[LIV_COPIES];
	struct mmsghdr msg[LIV_COPIES];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(XVIP_LIV_PORT),
				  .sin_addr.s_addr = in->liv.master };
	uint64_t sent_ns = mono_ns();
	int rc;

	_Static_assert(sizeof(kw[0]) == XVIP_LIV_KEYED_LEN, "keyed echo layout");
	if (n > LIV_COPIES)
		n = LIV_COPIES;
	memset(msg, 0, sizeof(msg));
	for (unsigned i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].magic = htonl(XVIP_LIV_MAGIC);
		w[i].type = XVIP_LIV_ECHO;
		w[i].vrid = in->cfg->virtual_router_id;
		w[i].copy = (uint8_t)i;
		w[i].seq = htonl(first + i);
		w[i].sent_ns = sent_ns;
		iov[i].iov_base = &w[i];
		iov[i].iov_len = sizeof(w[i]);
		if (in->liv_keyed) {
			/* the IP source and destination as on the wire, one word */
			uint32_t ad[2] = { in->ifc->liv_src, in->liv.master };
			uint64_t addrs, tag;

			memcpy(&addrs, ad, sizeof(addrs));
			kw[i].w = w[i];
			kw[i].k.nonce = vrrp_auth_next_seq(&in->liv_nonce_last, realtime_ns());
			tag = xvip_liv_tag(in->liv_key, &kw[i].w, kw[i].k.nonce, addrs);
			memcpy(kw[i].w.auth, &tag, sizeof(tag));
			iov[i].iov_base = &kw[i];
			iov[i].iov_len = sizeof(kw[i]);
		} else if (in->cfg->auth_type == CONFIG_AUTH_PASS) {
			memcpy(w[i].auth, in->auth, sizeof(w[i].auth));
		}
		msg[i].msg_hdr.msg_name = &to;
		msg[i].msg_hdr.msg_namelen = sizeof(to);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	rc = sendmmsg(in->ifc->liv_fd, msg, n, 0);
	if (rc < (int)n) {
		in->liv_send_errors++;
		if (in->liv_send_errors == 1 || in->liv_send_errors % 1000 == 0)
			xlog(LOG_WARNING, "(%s) liveness: echo not sent: %s (%llu so far; "
			     "an interval without echoes judges nothing)", in->cfg->name,
			     rc < 0 ? strerror(errno) : "short send",
			     (unsigned long long)in->liv_send_errors);
	}
	return rc > 0 ? (unsigned)rc : 0;
}

static void echo_fire(struct loop *l, uint64_t id, void *arg)
{
	struct vrrp_rt *in = arg;
	struct xvipd *d = in->d;
	struct liv_state st = { 0 };
	struct liv_step s;
	char a[INET_ADDRSTRLEN];
	uint64_t t0 = now_us();
	uint32_t master = in->liv.master;

	(void)l;
	if (id != in->liv_timer)
		return;
	in->liv_timer = 0;
	if (dp_liv_state_get(&d->dp.maps, in->cfg->virtual_router_id, &st) < 0 ||
	    st.master != master)
		st.replies = 0; /* not our record: judge it unanswered, as nothing came */
	liv_tick(&in->liv, t0, st.replies > 0, st.last_seq, &s);
	in->liv_rtt_ns = st.last_rtt_ns;
	if (s.established)
		xlog(LOG_NOTICE, "(%s) liveness: master %s answers (round trip %llu us): "
		     "its death is seen in %u x %u ms", in->cfg->name, ip4_str(master, a),
		     (unsigned long long)(st.last_rtt_ns / 1000), in->liv.multiplier,
		     in->cfg->liveness_interval_ms);
	if (s.dormant && in->liv_warned_master != master) {
		in->liv_warned_master = master;
		xlog(LOG_WARNING, "(%s) liveness: master %s does not answer echoes (keepalived, or "
		     "xvipd without liveness_interval, or UDP %u filtered): VRRP timing only "
		     "for it, one echo a second in case it starts", in->cfg->name,
		     ip4_str(master, a), XVIP_LIV_PORT);
	}
	if (s.verdict == LIV_DEAD) {
		struct fsm_result r;

		xlog(LOG_NOTICE, "(%s) liveness: master %s did not answer %u intervals of %u ms",
		     in->cfg->name, ip4_str(master, a), s.missed, in->cfg->liveness_interval_ms);
		/* the record stays the old master's for the post-mortem,
		 * whose timer liv_sync arms */
		fsm_master_presumed_dead(&in->fsm, t0, master, &r);
		apply(d, in, &r, t0); /* liv_sync from apply() */
		return;
	}
	if (s.verdict == LIV_SEND)
		liv_sent(&in->liv, t0, s.first, send_echoes(in, s.first, s.n));
	arm_echo(d, in);
}

/* An advert from addr for this instance: a node that was master once is a
 * peer (multicast instances; unicast ones admitted their list). */
void liv_advert_seen(struct xvipd *d, struct vrrp_rt *in, uint32_t addr)
{
	if (liv_enabled(in) && !in->cfg->n_unicast_peers)
		peer_admit(d, in, addr, true, "heard its adverts");
}

/* The data plane saw an echo from an address that is not a peer, with the
 * VRID and auth of an instance that learns its peers. */
void liv_peer_event(struct xvipd *d, const struct xvip_event *ev)
{
	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];

		if (in->cfg->virtual_router_id != ev->vrid ||
		    (uint32_t)in->ifc->ifindex != ev->ifindex || !liv_enabled(in) ||
		    in->cfg->n_unicast_peers)
			continue;
		peer_admit(d, in, ev->saddr, true, "its first echo");
	}
}
