/* VRRP instances at run time, on the wire and in the data plane: sockets,
 * the state machine's timers and inputs (vrrp_fsm.c decides, this file
 * acts), VIP ownership and leases in the `vips` map, gratuitous ARP,
 * tracking and notify scripts. Setting up, tearing down and reload:
 * vrrp_setup.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alerts.h"
#include "arp_pkt.h"
#include "fmt.h"
#include "log.h"
#include "netlink.h"
#include "scripts.h"
#include "vrrp_auth.h"
#include "vrrp_int.h"
#include "xvipd.h"

#define VRRP_GROUP_BE htonl(VRRP_MCAST_GROUP)

/* ---- interfaces and sockets ------------------------------------------ */

struct iface_rt *iface_get(struct xvipd *d, const char *name, char *err, size_t errlen)
{
	struct iface_info info;
	struct iface_rt *ifc;

	for (size_t i = 0; i < d->n_ifaces; i++)
		if (strcmp(d->ifaces[i].name, name) == 0)
			return &d->ifaces[i];
	if (d->n_ifaces == XVIPD_MAX_IFACES) {
		snprintf(err, errlen, "too many interfaces (at most %d)", XVIPD_MAX_IFACES);
		return NULL;
	}
	if (nl_iface_info(name, &info, err, errlen) < 0)
		return NULL;
	ifc = &d->ifaces[d->n_ifaces];
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->ifindex = info.ifindex;
	memcpy(ifc->mac, info.mac, 6);
	ifc->addr = info.addr_be;
	ifc->up = info.up && info.running;
	ifc->vrrp_fd = ifc->garp_fd = ifc->liv_fd = -1;
	d->n_ifaces++;
	return ifc;
}

static void vrrp_readable(struct loop *l, int fd, uint32_t events, void *arg);

int iface_open_sockets(struct xvipd *d, struct iface_rt *ifc, char *err, size_t errlen)
{
	struct ip_mreqn mreq = { .imr_ifindex = ifc->ifindex };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_ifindex = ifc->ifindex };
	int zero = 0, ttl = 255, tos = 0xc0; /* IPTOS_PREC_INTERNETCONTROL */
	int fd;

	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_IPPROTO);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifc->name, (socklen_t)strlen(ifc->name)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq)) < 0)
		goto fail_fd;
	mreq.imr_multiaddr.s_addr = VRRP_GROUP_BE;
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0)
		goto fail_fd;
	ifc->vrrp_fd = fd;
	if (loop_add_fd(d->loop, fd, EPOLLIN, vrrp_readable, d) < 0)
		goto fail_fd;
	quiet_iface_attach(d, ifc);

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		goto fail_fd;
	ifc->garp_fd = fd;
	return 0;
fail_fd:
	close(fd);
fail:
	snprintf(err, errlen, "cannot set up VRRP/ARP sockets on %s: %s", ifc->name,
		 strerror(errno));
	return -errno;
}

void iface_close(struct xvipd *d, struct iface_rt *ifc)
{
	if (ifc->vrrp_fd >= 0) {
		loop_del_fd(d->loop, ifc->vrrp_fd);
		close(ifc->vrrp_fd);
	}
	if (ifc->garp_fd >= 0)
		close(ifc->garp_fd);
	if (ifc->liv_fd >= 0)
		close(ifc->liv_fd);
	ifc->vrrp_fd = ifc->garp_fd = ifc->liv_fd = -1;
}

/* ---- the data plane: VIP ownership and lease -------------------------- */

static uint64_t lease_ns(const struct vrrp_rt *in)
{
	/* Fast liveness: when the kernel watches the daemon's death
	 * (selflife.h), its VIPs fall silent the moment it dies, and the
	 * adverts' lease bounds a daemon that hangs, as without liveness.
	 * Without that watch the lease is renewed every interval and lasts
	 * two: a dead daemon's data plane stops answering echoes and ARP
	 * within two intervals (vrrp_liveness.c). */
	if (liv_active(in) && !in->d->life_token)
		return liv_lease_us(liv_interval_us(in)) * 1000;
	return (uint64_t)in->cfg->advert_int_ms * 1000000ull * XVIPD_LEASE_NUM / XVIPD_LEASE_DEN;
}

/* ---- masters that batch ------------------------------------------------
 * When a master's advert timer fires, every master on the same interval
 * sends too (fsm_advert_early), and what they send goes out at the end in
 * one sendmmsg per socket, with their lease renewals in one map update. */
#define TX_BATCH_MAX 64

static struct {
	bool on;
	unsigned n, nv;
	struct {
		struct vrrp_rt *in;
		struct sockaddr_in to;
		int ttl;
		size_t len;
		uint8_t buf[VRRP_MAX_LEN + XVIP_AUTH_TRAILER_LEN];
	} msg[TX_BATCH_MAX];
	uint32_t vip[XVIP_MAX_VIPS];
	struct vip_entry val[XVIP_MAX_VIPS];
} txb;

static void vip_entry_of(const struct vrrp_rt *in, bool owner, uint64_t expires,
			 struct vip_entry *v)
{
	memset(v, 0, sizeof(*v));
	v->lease_expires_ns = expires;
	v->vrid = in->cfg->virtual_router_id;
	v->owner = owner;
	v->ifindex = (uint32_t)in->ifc->ifindex;
	memcpy(v->mac, in->ifc->mac, 6);
	/* fast liveness: also fenced by the daemon's life (selflife.h) */
	v->life = liv_active(in) ? in->d->life_token : 0;
}

/* Write every VIP of the instance: owner with a fresh lease, or not owner.
 * One map update per VIP, the whole of a switchover in the data plane; a
 * renewal inside a batch waits for the batch's single update. */
void vips_write(struct xvipd *d, struct vrrp_rt *in, bool owner)
{
	uint64_t now = mono_ns(), expires = owner ? now + lease_ns(in) : 0;

	/* a renewal after the lease ran out: the VIPs were silent meanwhile
	 * (ARP, echoes), and a fast-liveness backup may have taken over */
	if (owner && in->lease_expires_ns && now >= in->lease_expires_ns) {
		uint64_t us = (now - in->lease_expires_ns) / 1000;

		in->lease_lapses++;
		if (us > in->lease_lapse_max_us)
			in->lease_lapse_max_us = us;
		if (now / 1000 - in->lease_lapse_logged_us > 10000000) {
			in->lease_lapse_logged_us = now / 1000;
			xlog(LOG_WARNING, "(%s) the lease on its VIPs ran out %llu us before this "
			     "renewal (%llu times so far): ARP%s went unanswered meanwhile; the daemon "
			     "was late (held off the CPU: vrrp_rt_priority; or a slow reload)", in->cfg->name,
			     (unsigned long long)us, (unsigned long long)in->lease_lapses,
			     liv_active(in) ? " and liveness echoes" : "");
		}
	}
	in->lease_expires_ns = expires;
	for (size_t i = 0; i < in->cfg->n_vips; i++) {
		struct vip_entry v;
		char a[INET_ADDRSTRLEN];
		int rc;

		vip_entry_of(in, owner, expires, &v);
		if (txb.on && owner && txb.nv < XVIP_MAX_VIPS) {
			txb.vip[txb.nv] = in->cfg->vips[i].addr.s_addr;
			txb.val[txb.nv++] = v;
			continue;
		}
		rc = dp_vip_put(&d->dp.maps, in->cfg->vips[i].addr.s_addr, &v);
		if (rc < 0)
			xlog(LOG_ERR, "(%s) cannot write VIP %s to the vips map: %s", in->cfg->name,
			     ip4_str(in->cfg->vips[i].addr.s_addr, a), strerror(-rc));
	}
}

/* keepalived-compatible mode: the address itself moves. */
static void vips_interface_mode(struct vrrp_rt *in, bool add)
{
	char err[256], a[INET_ADDRSTRLEN];

	if (in->cfg->vip_mode != CONFIG_VIP_MODE_INTERFACE)
		return;
	for (size_t i = 0; i < in->cfg->n_vips; i++) {
		const struct config_vip *v = &in->cfg->vips[i];
		int rc = add ? nl_addr_ensure(v->dev, v->addr.s_addr, v->prefix_len, v->label, err,
					      sizeof(err))
			     : nl_addr_remove(v->dev, v->addr.s_addr, err, sizeof(err));
		if (rc < 0)
			xlog(LOG_ERR, "(%s) VIP %s on %s: %s", in->cfg->name,
			     ip4_str(v->addr.s_addr, a), v->dev, err);
	}
}

static unsigned garp_burst(struct vrrp_rt *in, unsigned repeat)
{
	uint8_t frame[ARP_FRAME_MIN_LEN];
	unsigned sent = 0;

	for (unsigned r = 0; r < repeat; r++) {
		for (size_t i = 0; i < in->cfg->n_vips; i++) {
			int len = arp_build_garp(frame, sizeof(frame), in->ifc->mac,
						 in->cfg->vips[i].addr.s_addr);

			if (len > 0 && send(in->ifc->garp_fd, frame, (size_t)len, 0) == len)
				sent++;
		}
	}
	in->garp_sent += sent;
	return sent;
}

/* ---- adverts ----------------------------------------------------------- */

/* A control buffer for one IP_TTL message option. */
union ttl_ctl {
	char b[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* m carries ttl when it is not the socket's 255 (unicast_ttl). */
static void msg_ttl(struct msghdr *m, union ttl_ctl *ctl, int ttl)
{
	struct cmsghdr *cm;

	if (ttl == 255)
		return;
	memset(ctl, 0, sizeof(*ctl));
	m->msg_control = ctl->b;
	m->msg_controllen = sizeof(ctl->b);
	cm = CMSG_FIRSTHDR(m);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_TTL;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &ttl, sizeof(int));
}

/* One advert. */
static ssize_t send_ttl(int fd, const void *buf, size_t len, const struct sockaddr_in *to, int ttl)
{
	union ttl_ctl ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_name = (void *)to, .msg_namelen = sizeof(*to), .msg_iov = &iov,
			    .msg_iovlen = 1 };

	msg_ttl(&m, &ctl, ttl);
	return sendmsg(fd, &m, 0);
}

static void send_advert(struct xvipd *d, struct vrrp_rt *in, uint8_t prio)
{
	static struct vrrp_advert a; /* large (255 addresses): not on the stack */
	static uint64_t auth_seq;    /* the last sequence sent (auth_key_file) */
	uint8_t buf[VRRP_MAX_LEN + XVIP_AUTH_TRAILER_LEN];
	char s[INET_ADDRSTRLEN];
	const struct config_vrrp_instance *c = in->cfg;
	size_t ndst = c->n_unicast_peers ? c->n_unicast_peers : 1;

	memset(&a, 0, sizeof(a));
	a.version = (uint8_t)c->version;
	a.vrid = c->virtual_router_id;
	a.priority = prio;
	a.auth_type = c->auth_type == CONFIG_AUTH_PASS ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
	memcpy(a.auth_data, in->auth, VRRP_AUTH_LEN);
	a.adver_int_us = (uint64_t)c->advert_int_ms * 1000;
	a.src = in->src_addr;
	a.naddr = (uint16_t)(c->n_vips > VRRP_MAX_ADDRS ? VRRP_MAX_ADDRS : c->n_vips);
	for (size_t i = 0; i < a.naddr; i++)
		a.addrs[i] = c->vips[i].addr.s_addr;

	for (size_t p = 0; p < ndst; p++) {
		struct sockaddr_in to = { .sin_family = AF_INET };
		int len;

		to.sin_addr.s_addr = c->n_unicast_peers ? c->unicast_peers[p].s_addr : VRRP_GROUP_BE;
		a.dst = to.sin_addr.s_addr;
		len = vrrp_build_advert(buf, sizeof(buf), &a);
		if (len >= 0 && c->auth_key.len)
			len = vrrp_auth_sign(buf, (size_t)len, sizeof(buf), a.src, a.dst,
					     vrrp_auth_next_seq(&auth_seq, realtime_ns()),
					     &c->auth_key);
		if (len < 0) {
			xlog(LOG_ERR, "(%s) cannot build an advert", c->name);
			return;
		}
		if (txb.on && txb.n < TX_BATCH_MAX) {
			txb.msg[txb.n].in = in;
			txb.msg[txb.n].to = to;
			txb.msg[txb.n].ttl = c->n_unicast_peers ? (int)c->unicast_ttl : 255;
			txb.msg[txb.n].len = (size_t)len;
			memcpy(txb.msg[txb.n++].buf, buf, (size_t)len);
			continue;
		}
		if (send_ttl(in->ifc->vrrp_fd, buf, (size_t)len, &to,
			     c->n_unicast_peers ? (int)c->unicast_ttl : 255) < 0)
			xlog(LOG_WARNING, "(%s) sending advert to %s failed: %s", c->name,
			     ip4_str(to.sin_addr.s_addr, s), strerror(errno));
		else
			in->tx_adverts++;
	}
	/* Every advert a master sends renews its lease in the data plane. */
	if (prio && in->fsm.state == VRRP_STATE_MASTER)
		vips_write(d, in, true);
}

/* ---- transitions ------------------------------------------------------- */

static void notify(struct xvipd *d, struct vrrp_rt *in, enum vrrp_state st, const char *reason)
{
	const struct config_vrrp_instance *c = in->cfg;
	const struct config_command *cmd = NULL;
	char err[256], prio[8];

	switch (st) {
	case VRRP_STATE_MASTER: cmd = c->notify_master; break;
	case VRRP_STATE_BACKUP: cmd = c->notify_backup; break;
	case VRRP_STATE_FAULT: cmd = c->notify_fault; break;
	case VRRP_STATE_STOP: cmd = c->notify_stop; break;
	default: break;
	}
	if (cmd && cmd->run && script_notify(d->loop, cmd->run, NULL, err, sizeof(err)) < 0)
		xlog(LOG_ERR, "(%s) notify script '%s': %s", c->name, cmd->text, err);
	if (c->notify && c->notify->run) {
		const char *args[] = { "INSTANCE", c->name, vrrp_state_str(st), prio, NULL };

		snprintf(prio, sizeof(prio), "%u", in->fsm.effective_priority);
		if (script_notify(d->loop, c->notify->run, args, err, sizeof(err)) < 0)
			xlog(LOG_ERR, "(%s) notify script '%s': %s", c->name, c->notify->text, err);
	}
	alert_vrrp(d, in, st, reason);
}

static void garp_delay_fire(struct loop *l, uint64_t id, void *arg);
static void garp_refresh_fire(struct loop *l, uint64_t id, void *arg);

void cancel_garp_timers(struct xvipd *d, struct vrrp_rt *in)
{
	if (in->garp_delay_timer)
		loop_cancel_timer(d->loop, in->garp_delay_timer);
	if (in->garp_refresh_timer)
		loop_cancel_timer(d->loop, in->garp_refresh_timer);
	if (in->reannounce_timer)
		loop_cancel_timer(d->loop, in->reannounce_timer);
	in->garp_delay_timer = in->garp_refresh_timer = in->reannounce_timer = 0;
}

static struct transition *record(struct vrrp_rt *in, const struct fsm_result *r, uint64_t t0)
{
	struct transition *t = RING_PUSH(in->hist, in->nhist, XVIPD_HISTORY);

	memset(t, 0, sizeof(*t));
	t->at_us = t0;
	t->wall_ms = realtime_ms();
	t->wall_us = realtime_us() - (int64_t)(now_us() - t0);
	t->from = r->old_state;
	t->to = r->new_state;
	snprintf(t->reason, sizeof(t->reason), "%s", r->reason);
	return t;
}

/* Carry out what the state machine decided, in its order. t0 is when the
 * input arrived: the switchover time is measured from there. */
void apply(struct xvipd *d, struct vrrp_rt *in, const struct fsm_result *r, uint64_t t0)
{
	struct transition *t = NULL;
	char a[INET_ADDRSTRLEN];

	if (r->old_state != r->new_state)
		t = record(in, r, t0);
	for (unsigned i = 0; i < r->n; i++) {
		const struct fsm_action *act = &r->act[i];

		switch (act->type) {
		case FSM_ACT_SEND_ADVERT:
			send_advert(d, in, act->priority);
			break;
		case FSM_ACT_BECOME_MASTER:
			vips_write(d, in, true);
			if (t)
				t->decision_to_map_us = (uint32_t)(now_us() - t0);
			garp_burst(in, in->cfg->garp_master_repeat);
			if (t)
				t->decision_to_garp_us = (uint32_t)(now_us() - t0);
			vips_interface_mode(in, true);
			in->became_master++;
			if (d->hooks.owner_changed)
				d->hooks.owner_changed(d, in, true, r->silent_master);
			cancel_garp_timers(d, in);
			if (in->cfg->garp_master_delay_ms)
				in->garp_delay_timer = loop_add_timer(
					d->loop, now_us() + in->cfg->garp_master_delay_ms * 1000ull,
					garp_delay_fire, in);
			if (in->cfg->garp_master_refresh_ms)
				in->garp_refresh_timer = loop_add_timer(
					d->loop, now_us() + in->cfg->garp_master_refresh_ms * 1000ull,
					garp_refresh_fire, in);
			break;
		case FSM_ACT_BECOME_BACKUP:
		case FSM_ACT_BECOME_FAULT:
		case FSM_ACT_BECOME_STOP:
			cancel_garp_timers(d, in);
			vips_write(d, in, false);
			if (d->hooks.owner_changed)
				d->hooks.owner_changed(d, in, false, 0);
			if (t && r->old_state == VRRP_STATE_MASTER)
				t->decision_to_map_us = (uint32_t)(now_us() - t0);
			vips_interface_mode(in, false);
			break;
		}
	}
	if (t) {
		xlog(LOG_NOTICE,
		     "(%s) %s -> %s: %s (priority %u, master %s)%s", in->cfg->name,
		     vrrp_state_str(r->old_state), vrrp_state_str(r->new_state), r->reason,
		     in->fsm.effective_priority,
		     in->fsm.state == VRRP_STATE_MASTER ? "self" : ip4_str(in->fsm.master_addr, a),
		     "");
		if (t->decision_to_map_us)
			xlog(LOG_NOTICE, "(%s) switchover: decision -> map written %u us, -> GARP sent %u us",
			     in->cfg->name, t->decision_to_map_us, t->decision_to_garp_us);
		notify(d, in, r->new_state, r->reason);
	} else if (r->reason[0]) {
		xlog(LOG_DEBUG, "(%s) %s", in->cfg->name, r->reason);
	}
	quiet_recheck(d, in);
	arm_timer(d, in);
	liv_sync(d, in);
}

/* keepalived's second burst, garp_master_delay after becoming master */
static void garp_delay_fire(struct loop *l, uint64_t id, void *arg)
{
	struct vrrp_rt *in = arg;

	(void)l;
	(void)id;
	in->garp_delay_timer = 0;
	if (in->fsm.state == VRRP_STATE_MASTER)
		garp_burst(in, in->cfg->garp_master_repeat);
}

static void garp_refresh_fire(struct loop *l, uint64_t id, void *arg)
{
	struct vrrp_rt *in = arg;

	(void)id;
	in->garp_refresh_timer = 0;
	if (in->fsm.state != VRRP_STATE_MASTER)
		return;
	garp_burst(in, in->cfg->garp_master_refresh_repeat);
	in->garp_refresh_timer = loop_add_timer(
		l, now_us() + in->cfg->garp_master_refresh_ms * 1000ull, garp_refresh_fire, in);
}

/* Linux ignores an ARP update that comes within locktime (1 s by default)
 * of the previous one for the same address: right after the other side's
 * GARP, ours would be dropped and clients would keep the loser's MAC. So the
 * winner announces now, and again once locktime has passed. */
#define REANNOUNCE_AFTER_US 1200000ull

static void reannounce_fire(struct loop *l, uint64_t id, void *arg)
{
	struct vrrp_rt *in = arg;

	(void)l;
	if (id != in->reannounce_timer)
		return;
	in->reannounce_timer = 0;
	if (in->fsm.state == VRRP_STATE_MASTER)
		garp_burst(in, in->cfg->garp_master_repeat);
}

static void reannounce(struct xvipd *d, struct vrrp_rt *in, uint64_t t0)
{
	if (t0 - in->last_reannounce_us > 1000000) {
		in->last_reannounce_us = t0;
		garp_burst(in, in->cfg->garp_master_repeat);
	}
	if (!in->reannounce_timer)
		in->reannounce_timer = loop_add_timer(d->loop, t0 + REANNOUNCE_AFTER_US,
						      reannounce_fire, in);
}

/* ---- timers ------------------------------------------------------------ */

/* The batch's adverts, one sendmmsg per socket (the messages of one
 * socket are consecutive: instances are walked interface by interface). */
static void tx_flush(struct xvipd *d)
{
	struct mmsghdr mm[TX_BATCH_MAX];
	struct iovec iov[TX_BATCH_MAX];
	union ttl_ctl ctl[TX_BATCH_MAX];
	char a[INET_ADDRSTRLEN];
	unsigned i = 0;

	txb.on = false;
	memset(mm, 0, sizeof(mm));
	for (unsigned k = 0; k < txb.n; k++) {
		struct msghdr *m = &mm[k].msg_hdr;

		iov[k].iov_base = txb.msg[k].buf;
		iov[k].iov_len = txb.msg[k].len;
		m->msg_name = &txb.msg[k].to;
		m->msg_namelen = sizeof(txb.msg[k].to);
		m->msg_iov = &iov[k];
		m->msg_iovlen = 1;
		msg_ttl(m, &ctl[k], txb.msg[k].ttl);
	}
	while (i < txb.n) {
		int fd = txb.msg[i].in->ifc->vrrp_fd;
		unsigned run = 1;
		int sent;

		while (i + run < txb.n && txb.msg[i + run].in->ifc->vrrp_fd == fd)
			run++;
		sent = sendmmsg(fd, &mm[i], run, 0);
		if (sent < 0)
			sent = 0;
		for (unsigned k = i; k < i + run; k++) {
			if (k < i + (unsigned)sent) {
				txb.msg[k].in->tx_adverts++;
				continue;
			}
			/* the first unsent one says why; the rest go one by one */
			if (send_ttl(fd, txb.msg[k].buf, txb.msg[k].len, &txb.msg[k].to,
				     txb.msg[k].ttl) < 0)
				xlog(LOG_WARNING, "(%s) sending advert to %s failed: %s",
				     txb.msg[k].in->cfg->name,
				     ip4_str(txb.msg[k].to.sin_addr.s_addr, a), strerror(errno));
			else
				txb.msg[k].in->tx_adverts++;
		}
		i += run;
	}
	if (txb.nv) {
		int rc = dp_vip_put_many(&d->dp.maps, txb.vip, txb.val, txb.nv);

		if (rc < 0)
			xlog(LOG_ERR, "cannot renew %u VIP leases in the vips map: %s", txb.nv,
			     strerror(-rc));
	}
	txb.n = txb.nv = 0;
}

/* A master's advert timer: it sends, and every other master on the same
 * interval whose advert is due within it sends with it. */
static void master_tick(struct xvipd *d, struct vrrp_rt *lead, uint64_t t0)
{
	struct fsm_result r;

	txb.on = true;
	txb.n = txb.nv = 0;
	fsm_timer(&lead->fsm, t0, &r);
	apply(d, lead, &r, t0);
	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];

		if (in == lead || in->fsm.state != VRRP_STATE_MASTER ||
		    in->fsm.cfg.advert_int_us != lead->fsm.cfg.advert_int_us ||
		    txb.n + (in->cfg->n_unicast_peers ? in->cfg->n_unicast_peers : 1) > TX_BATCH_MAX ||
		    txb.nv + in->cfg->n_vips > XVIP_MAX_VIPS)
			continue;
		if (fsm_advert_early(&in->fsm, t0, &r))
			apply(d, in, &r, t0);
	}
	tx_flush(d);
}

static void instance_timer(struct loop *l, uint64_t id, void *arg)
{
	struct vrrp_rt *in = arg;
	struct fsm_result r;
	uint64_t t0 = now_us();

	(void)l;
	if (id != in->timer_id)
		return;
	in->timer_id = 0;
	if (in->fsm.state == VRRP_STATE_MASTER) {
		master_tick(in->d, in, t0);
		return;
	}
	quiet_catch_up(in->d, in);
	fsm_timer(&in->fsm, t0, &r);
	apply(in->d, in, &r, t0);
}

void arm_timer(struct xvipd *d, struct vrrp_rt *in)
{
	uint64_t when = quiet_deadline(in, fsm_next_deadline(&in->fsm));

	if (in->timer_id)
		loop_cancel_timer(d->loop, in->timer_id);
	in->timer_id = 0;
	if (when != FSM_NO_DEADLINE)
		in->timer_id = loop_add_timer(d->loop, when, instance_timer, in);
}

/* ---- receiving --------------------------------------------------------- */

static struct vrrp_rt *instance_for(struct xvipd *d, struct iface_rt *ifc, uint8_t vrid)
{
	for (size_t i = 0; i < d->n_inst; i++)
		if (d->inst[i].ifc == ifc && d->inst[i].cfg->virtual_router_id == vrid)
			return &d->inst[i];
	return NULL;
}

static bool from_unicast_peer(const struct config_vrrp_instance *c, uint32_t src)
{
	for (size_t i = 0; i < c->n_unicast_peers; i++)
		if (c->unicast_peers[i].s_addr == src)
			return true;
	return false;
}

/* An advert refused by auth_key_file (or sent with a trailer we have no key
 * for): counted always, said at most once per 10 s per reason. */
static void auth_refused(struct vrrp_rt *in, uint32_t src, int rc, uint64_t seq, uint64_t last,
			 uint64_t t0)
{
	const char *c = in->cfg->name;
	char a[INET_ADDRSTRLEN];

	in->rx_reject[-rc]++;
	if (in->auth_logged_us[-rc] && t0 - in->auth_logged_us[-rc] < 10 * VRRP_USEC_PER_SEC) {
		in->auth_unlogged[-rc]++;
		return;
	}
	ip4_str(src, a);
	switch (rc) {
	case VRRP_REJ_AUTH_MISSING:
		xlog(LOG_WARNING, "(%s) advert from %s carries no xvip authentication: the peer is "
		     "not xvipd (keepalived?) or has no auth_key_file; refused (every peer of an "
		     "instance with auth_key_file needs the same key)", c, a);
		break;
	case VRRP_REJ_AUTH_BAD_MAC:
		xlog(LOG_WARNING, "(%s) advert from %s fails authentication (another key in its "
		     "auth_key_file, or forged): refused", c, a);
		break;
	case VRRP_REJ_AUTH_REPLAY:
		xlog(LOG_WARNING, "(%s) advert from %s has sequence %llu, %.3f s behind the last "
		     "accepted from it: a replay, or the peer's clock went back; refused", c, a,
		     (unsigned long long)seq, (double)(last - seq) / 1e9);
		break;
	case VRRP_REJ_AUTH_STALE:
		xlog(LOG_WARNING, "(%s) advert from %s has a sequence %.1f s %s our clock (more than "
		     "%llu s): an old advert played back, or the clocks disagree (NTP?); refused",
		     c, a, (double)(seq > last ? seq - last : last - seq) / 1e9,
		     seq > last ? "ahead of" : "behind",
		     (unsigned long long)(VRRP_AUTH_WINDOW_NS / 1000000000ull));
		break;
	default:
		xlog(LOG_WARNING, "(%s) advert from %s carries xvip authentication, and this "
		     "instance has no auth_key_file: refused (give it the peer's key)", c, a);
		break;
	}
	if (in->auth_unlogged[-rc])
		xlog(LOG_WARNING, "(%s) and %llu more adverts refused as %s since the last such line",
		     c, (unsigned long long)in->auth_unlogged[-rc], vrrp_reject_str(rc));
	in->auth_logged_us[-rc] = t0;
	in->auth_unlogged[-rc] = 0;
}

static void handle_packet(struct xvipd *d, struct iface_rt *ifc, uint8_t *pkt, size_t len,
			  uint64_t t0)
{
	static struct vrrp_advert adv;
	struct vrrp_parse_opts o = { 0 };
	const struct iphdr *iph = (const void *)pkt;
	struct vrrp_rt *in;
	struct fsm_result r;
	uint32_t vips[VRRP_MAX_ADDRS];
	char a[INET_ADDRSTRLEN];
	uint64_t seq = 0;
	size_t hl;
	int rc;

	if (len < sizeof(*iph))
		return;
	hl = (size_t)iph->ihl * 4;
	if (len < hl + 8)
		return;
	if (iph->saddr == ifc->addr) {
		ifc->rx_own++;
		return;
	}
	in = instance_for(d, ifc, pkt[hl + 1]);
	if (!in) {
		ifc->rx_unknown_vrid++;
		return;
	}
	if (in->fsm.state == VRRP_STATE_STOP || in->fsm.state == VRRP_STATE_INIT)
		return;
	if (iph->saddr == in->src_addr)
		return;
	quiet_catch_up(d, in);
	o.version = (uint8_t)in->cfg->version;
	o.vrid = in->cfg->virtual_router_id;
	o.auth_type = in->cfg->auth_type == CONFIG_AUTH_PASS ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
	memcpy(o.auth_data, in->auth, VRRP_AUTH_LEN);
	o.adver_int_us = (uint64_t)in->cfg->advert_int_ms * 1000;
	o.unicast = in->cfg->n_unicast_peers > 0;
	o.skip_ttl = o.unicast && in->cfg->unicast_ttl < VRRP_TTL;
	o.naddr = (uint16_t)in->cfg->n_vips;
	for (size_t i = 0; i < in->cfg->n_vips && i < VRRP_MAX_ADDRS; i++)
		vips[i] = in->cfg->vips[i].addr.s_addr;
	o.addrs = vips;
	rc = vrrp_auth_check(pkt, len, &in->cfg->auth_key, &in->cfg->auth_key2, &seq);
	if (rc < 0) {
		auth_refused(in, iph->saddr, rc, 0, 0, t0);
		return;
	}
	rc = vrrp_parse_advert(pkt, len, &o, &adv);
	if (rc < 0) {
		in->rx_reject[-rc < VRRP_REJ_NR ? -rc : 0]++;
		xlog(LOG_DEBUG, "(%s) advert from %s rejected: %s", in->cfg->name,
		     ip4_str(iph->saddr, a), vrrp_reject_str(rc));
		return;
	}
	if (o.unicast && !from_unicast_peer(in->cfg, iph->saddr)) {
		in->rx_reject[0]++;
		xlog(LOG_DEBUG, "(%s) advert from %s, not a unicast peer: ignored", in->cfg->name,
		     ip4_str(iph->saddr, a));
		return;
	}
	if (in->cfg->auth_key.len) {
		uint64_t now = realtime_ns(), last = 0, remembered = 0;
		uint8_t vrid = in->cfg->virtual_router_id;

		/* a peer this instance has not heard since it started: what an
		 * earlier xvipd accepted from it still counts */
		if (!vrrp_auth_knows(&in->auth_peers, iph->saddr))
			(void)dp_auth_seq_get(&d->dp.maps, in->ifc->ifindex, vrid, iph->saddr,
					      &remembered);
		rc = vrrp_auth_accept(&in->auth_peers, iph->saddr, seq, now, remembered, &last);
		if (rc < 0) {
			auth_refused(in, iph->saddr, rc, seq, last, t0);
			return;
		}
		/* never a floor beyond the window: a peer whose clock ran ahead
		 * is not refused for long once it is set right */
		rc = dp_auth_seq_put(&d->dp.maps, in->ifc->ifindex, vrid, iph->saddr,
				     vrrp_auth_floor(seq, now));
		if (rc < 0 && !in->auth_seq_warned) {
			in->auth_seq_warned = true;
			xlog(LOG_WARNING, "(%s) cannot keep %s's sequence in vrrp_auth_seq: %s (a "
			     "restarted xvipd judges it by the 30 s window)", in->cfg->name,
			     ip4_str(iph->saddr, a), strerror(-rc));
		}
	}
	in->rx_adverts++;
	if (adv.priority)
		liv_advert_seen(d, in, iph->saddr);
	{
		enum vrrp_state before = in->fsm.state;

		fsm_advert_received(&in->fsm, t0, adv.priority, iph->saddr, adv.adver_int_us, &r);
		/* A master that hears a lower priority (a healed partition: the
		 * other side was master too) re-announces, so that every
		 * neighbour cache points at the winner again. */
		if (before == VRRP_STATE_MASTER && in->fsm.state == VRRP_STATE_MASTER &&
		    adv.priority && adv.priority < in->fsm.effective_priority &&
		    !in->reannounce_timer) {
			reannounce(d, in, t0);
			xlog(LOG_NOTICE, "(%s) lower-priority advert from %s (%u) while master: "
			     "re-announcing the VIPs", in->cfg->name, ip4_str(iph->saddr, a), adv.priority);
		}
	}
	apply(d, in, &r, t0);
	quiet_after_advert(d, in, pkt, len, &adv, t0);
}

static void vrrp_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct xvipd *d = arg;
	uint8_t buf[2048];

	(void)l;
	(void)events;
	for (int n = 0; n < 64; n++) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		uint64_t t0 = now_us();

		if (len < 0)
			return;
		for (size_t i = 0; i < d->n_ifaces; i++)
			if (d->ifaces[i].vrrp_fd == fd)
				handle_packet(d, &d->ifaces[i], buf, (size_t)len, t0);
	}
}

/* ---- tracking ---------------------------------------------------------- */

void vrrp_recompute(struct xvipd *d, struct vrrp_rt *in)
{
	const struct config_vrrp_instance *c = in->cfg;
	bool fault = !in->ifc->up;
	int weight = 0;
	struct fsm_result r;
	uint64_t t0 = now_us();

	quiet_catch_up(d, in);
	for (size_t i = 0; i < c->n_track_interfaces; i++) {
		const struct config_track_interface *ti = &c->track_interfaces[i];
		struct iface_info info;
		char err[128];
		bool up = nl_iface_info(ti->name, &info, err, sizeof(err)) == 0 && info.up &&
			  info.running;

		if (ti->weight == 0 && !up)
			fault = true;
		else if (ti->weight > 0 && up)
			weight += ti->weight;
		else if (ti->weight < 0 && !up)
			weight += ti->weight;
	}
	for (size_t i = 0; i < c->n_track_scripts; i++) {
		const struct config_track_script *ts = &c->track_scripts[i];
		int w = ts->weight_set ? ts->weight : ts->script->weight;
		struct script_rt *s = NULL;

		for (size_t k = 0; k < d->n_scripts; k++)
			if (d->scripts[k].cfg == ts->script)
				s = &d->scripts[k];
		if (!s || !s->known)
			continue;
		if (w == 0 && !s->ok)
			fault = true;
		else if (w > 0 && s->ok)
			weight += w;
		else if (w < 0 && !s->ok)
			weight += w;
	}
	/* a service carried by this instance with nothing left to serve */
	if (d->hooks.instance_fault && d->hooks.instance_fault(d, in))
		fault = true;
	in->track_weight = weight;
	xlog(LOG_DEBUG, "(%s) tracking: fault %d, weight %d", c->name, fault, weight);
	if (fault != in->fsm.fault) {
		fsm_set_fault(&in->fsm, t0, fault, &r);
		apply(d, in, &r, t0);
	}
	uint8_t prio = vrrp_effective_priority(c->priority, weight);

	if (prio != in->fsm.effective_priority) {
		fsm_set_priority(&in->fsm, t0, prio, &r);
		apply(d, in, &r, t0);
	}
}

void vrrp_link_changed(void *arg, int ifindex, const char *ifname, bool up)
{
	struct xvipd *d = arg;

	xlog(LOG_DEBUG, "link %s (%d) is %s", ifname, ifindex, up ? "up" : "down");
	for (size_t i = 0; i < d->n_ifaces; i++) {
		if (d->ifaces[i].ifindex == ifindex && d->ifaces[i].up != up) {
			d->ifaces[i].up = up;
			xlog(LOG_NOTICE, "interface %s is %s", ifname, up ? "up" : "down");
		}
	}
	for (size_t i = 0; i < d->n_inst; i++)
		vrrp_recompute(d, &d->inst[i]);
}

static void script_done(void *arg, int status, bool timed_out)
{
	struct script_rt *s = arg;
	bool ok = status == 0 && !timed_out;
	bool before = s->ok, known_before = s->known;

	s->running = false;
	if (s->retired)
		return;
	s->runs++;
	if (!ok)
		s->failures++;
	if (timed_out) {
		s->timeouts++;
		xlog(LOG_WARNING, "vrrp_script %s timed out after %u ms: killed, counts as failed",
		     s->cfg->name, s->cfg->timeout_ms);
	}
	if (!s->known) {
		/* keepalived starts a script as failed until it has risen,
		 * unless weight says otherwise; we take the first result. */
		s->known = true;
		s->ok = ok;
		s->streak = 0;
	} else if (ok != s->ok) {
		s->streak++;
		if (s->streak >= (ok ? s->cfg->rise : s->cfg->fall)) {
			s->ok = ok;
			s->streak = 0;
		}
	} else {
		s->streak = 0;
	}
	if (!known_before || before != s->ok) {
		xlog(LOG_NOTICE, "vrrp_script %s is now %s (exit %d%s)", s->cfg->name,
		     s->ok ? "OK" : "FAILED", status, timed_out ? ", timed out" : "");
		for (size_t i = 0; i < s->d->n_inst; i++)
			vrrp_recompute(s->d, &s->d->inst[i]);
	}
	if (!s->d->stopping)
		script_schedule(s, s->cfg->interval_ms * 1000ull);
}

static void script_fire(struct loop *l, uint64_t id, void *arg)
{
	struct script_rt *s = arg;
	char err[256];
	pid_t pid;

	(void)id;
	s->timer_id = 0;
	if (s->running)
		return;
	if (!s->cfg->script.run)
		return; /* disabled when the config was loaded (script_sec.h) */
	if (script_run(l, s->cfg->script.run, NULL, s->cfg->timeout_ms * 1000ull, script_done, s,
		       &pid, err, sizeof(err)) < 0) {
		xlog(LOG_ERR, "vrrp_script %s: %s", s->cfg->name, err);
		script_done(s, 127, false);
		return;
	}
	s->running = true;
}

void script_schedule(struct script_rt *s, uint64_t delay_us)
{
	if (s->timer_id)
		loop_cancel_timer(s->d->loop, s->timer_id);
	s->timer_id = loop_add_timer(s->d->loop, now_us() + delay_us, script_fire, s);
}

/* ---- conflicts from the data plane ------------------------------------ */

void vrrp_conflict(struct xvipd *d, uint32_t vip, const uint8_t mac[6])
{
	char a[INET_ADDRSTRLEN], m[MAC_STRLEN];
	uint64_t t0 = now_us();

	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];

		for (size_t k = 0; k < in->cfg->n_vips; k++) {
			if (in->cfg->vips[k].addr.s_addr != vip)
				continue;
			in->conflicts++;
			/* one line a second at most (the data plane already
			 * sends at most ten claims a second per VIP) */
			if (in->conflict_logged_us && t0 - in->conflict_logged_us < 1000000) {
				in->conflicts_unlogged++;
			} else {
				char more[64] = "";

				if (in->conflicts_unlogged)
					snprintf(more, sizeof(more), " (%llu more claims since the last line)",
						 (unsigned long long)in->conflicts_unlogged);
				xlog(LOG_WARNING, "(%s) VIP %s claimed by %s while we are %s: split "
				     "brain%s", in->cfg->name, ip4_str(vip, a), mac_str(mac, m),
				     vrrp_state_str(in->fsm.state), more);
				in->conflict_logged_us = t0;
				in->conflicts_unlogged = 0;
			}
			/* VRRP settles it: our advert makes the lower priority step
			 * down; the winner re-announces. At most once a second, or two
			 * masters would answer each other's GARPs forever. */
			if (in->fsm.state == VRRP_STATE_MASTER) {
				if (t0 - in->last_reannounce_us > 1000000)
					send_advert(d, in, in->fsm.effective_priority);
				reannounce(d, in, t0);
			}
		}
	}
}
