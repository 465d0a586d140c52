/* Loader for the XDP data plane: open -> set pin paths -> check pinned
 * layouts -> load -> attach, with one cleanup path. See dataplane.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "netlink.h"
#include "slots.h"
#include "xvip.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static const char *const map_names[] = { XVIP_MAP_NAMES };
#define N_MAPS (sizeof(map_names) / sizeof(map_names[0]))

static const char *const reason_names[XVIP_R_MAX] = {
#define XVIP_REASON_NAME(e, name) [e] = name,
	XVIP_REASONS(XVIP_REASON_NAME)
#undef XVIP_REASON_NAME
};

const char *dp_reason_name(unsigned reason)
{
	return reason < XVIP_R_MAX && reason_names[reason] ? reason_names[reason] : "unknown";
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc < 0 ? rc : -rc;
}

static int *maps_slot(struct xvip_maps *m, size_t i)
{
	int *slots[] = { &m->vips, &m->vip_stats, &m->vrrp_stats, &m->services, &m->backends,
			 &m->slots, &m->conns, &m->persist, &m->svc_stats, &m->counters,
			 &m->events, &m->liv_cfg, &m->liv_state, &m->liv_peers, &m->vip_claims,
			 &m->vrrp_quiet, &m->vrrp_quiet_rt, &m->vrrp_auth_seq, &m->xvipd_life,
			 &m->liv_auth, &m->liv_nonce };
	_Static_assert(sizeof(slots) / sizeof(slots[0]) == N_MAPS, "a map without its fd");
	return slots[i];
}

static void maps_reset(struct xvip_maps *m)
{
	for (size_t i = 0; i < N_MAPS; i++)
		*maps_slot(m, i) = -1;
}

static int is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (unsigned long)st.f_type == BPF_FS_MAGIC;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The default root lives on /sys/fs/bpf: mount it when a minimal system has
 * not. Any other root must already be on a bpffs (tests mount their own). */
static int ensure_pin_root(const char *pin_root, char *err, size_t errlen)
{
	int rc;

	if (strncmp(pin_root, "/sys/fs/bpf", 11) == 0 && !is_bpffs("/sys/fs/bpf")) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
			return fail(err, errlen, errno, "cannot mount bpffs on /sys/fs/bpf: %s",
				    strerror(errno));
	}
	rc = mkdir_p(pin_root);
	if (rc < 0)
		return fail(err, errlen, rc, "cannot create pin root %s: %s", pin_root,
			    strerror(-rc));
	if (!is_bpffs(pin_root))
		return fail(err, errlen, EINVAL,
			    "pin root %s is not on a bpffs (mount -t bpf bpf DIR first)", pin_root);
	return 0;
}

/* Structural BTF comparison: names, sizes, member offsets, array lengths.
 * Two layouts that print the same under bpftool are the same. */
static int btf_same(const struct btf *a, __u32 ida, const struct btf *b, __u32 idb, int depth,
		    char *why, size_t whylen)
{
	const struct btf_type *ta, *tb;

	if (depth > 8)
		return 1;
	int ra = btf__resolve_type(a, ida), rb = btf__resolve_type(b, idb);

	if (ra >= 0)
		ida = (__u32)ra;
	if (rb >= 0)
		idb = (__u32)rb;
	ta = btf__type_by_id(a, ida);
	tb = btf__type_by_id(b, idb);
	if (!ta || !tb)
		return ta == tb;
	if (btf_kind(ta) != btf_kind(tb)) {
		snprintf(why, whylen, "type kind differs");
		return 0;
	}
	switch (btf_kind(ta)) {
	case BTF_KIND_INT:
		if (ta->size != tb->size) {
			snprintf(why, whylen, "integer size differs");
			return 0;
		}
		return 1;
	case BTF_KIND_ARRAY: {
		const struct btf_array *aa = btf_array(ta), *ab = btf_array(tb);

		if (aa->nelems != ab->nelems) {
			snprintf(why, whylen, "array length differs (%u vs %u)", aa->nelems,
				 ab->nelems);
			return 0;
		}
		return btf_same(a, aa->type, b, ab->type, depth + 1, why, whylen);
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *ma = btf_members(ta), *mb = btf_members(tb);

		if (ta->size != tb->size || btf_vlen(ta) != btf_vlen(tb)) {
			snprintf(why, whylen, "struct %s has a different size or field count",
				 btf__name_by_offset(a, ta->name_off));
			return 0;
		}
		for (int i = 0; i < btf_vlen(ta); i++) {
			const char *na = btf__name_by_offset(a, ma[i].name_off);
			const char *nb = btf__name_by_offset(b, mb[i].name_off);

			/* vip_entry.life was pad (zero) before 2026-12-03: an older
			 * xvipd's pinned vips map is the same map */
			bool renamed = !strcmp(na, "life") && !strcmp(nb, "pad");

			if ((strcmp(na, nb) && !renamed) || ma[i].offset != mb[i].offset) {
				snprintf(why, whylen, "field %s (pinned: %s) differs", na, nb);
				return 0;
			}
			if (!btf_same(a, ma[i].type, b, mb[i].type, depth + 1, why, whylen))
				return 0;
		}
		return 1;
	}
	default:
		return ta->size == tb->size;
	}
}

/* A pinned map is reused only if it is the same map we would create. */
static int check_pinned_map(const struct bpf_object *obj, struct bpf_map *map, const char *path,
			    char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char why[160] = "";
	struct btf *pinned_btf = NULL;
	int fd, rc = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : fail(err, errlen, errno, "cannot open pin %s: %s",
						  path, strerror(errno));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		rc = fail(err, errlen, errno, "cannot query pinned map %s: %s", path,
			  strerror(errno));
		goto out;
	}
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map)) {
		snprintf(why, sizeof(why), "type/key/value/size differ (pinned %u/%u/%u/%u)",
			 info.type, info.key_size, info.value_size, info.max_entries);
		rc = -EEXIST;
		goto out;
	}
	/* ours always carry BTF: a pinned map without it was made by someone
	 * else, and its sizes matching ours proves nothing */
	if (bpf_map__btf_value_type_id(map) && (!info.btf_id || !info.btf_value_type_id)) {
		snprintf(why, sizeof(why), "it has no BTF type information");
		rc = -EEXIST;
		goto out;
	}
	if (info.btf_id && info.btf_value_type_id && bpf_map__btf_value_type_id(map)) {
		const struct btf *ours = bpf_object__btf(obj);

		pinned_btf = btf__load_from_kernel_by_id(info.btf_id);
		if (pinned_btf && !btf_same(ours, bpf_map__btf_value_type_id(map), pinned_btf,
					    info.btf_value_type_id, 0, why, sizeof(why)))
			rc = -EEXIST;
		if (!rc && pinned_btf && bpf_map__btf_key_type_id(map) && info.btf_key_type_id &&
		    !btf_same(ours, bpf_map__btf_key_type_id(map), pinned_btf,
			      info.btf_key_type_id, 0, why, sizeof(why)))
			rc = -EEXIST;
	}
out:
	if (rc == -EEXIST)
		fail(err, errlen, EEXIST,
		     "pinned map %s has another layout than this xvipd (%s); refusing to reuse "
		     "it: stop the old daemon and remove the pins (xvipctl unpin), or use another "
		     "--pin-root",
		     path, why);
	btf__free(pinned_btf);
	close(fd);
	return rc;
}

static void maps_from_skel(struct xvip_maps *m, struct xvip_bpf *s)
{
	m->vips = bpf_map__fd(s->maps.vips);
	m->vip_stats = bpf_map__fd(s->maps.vip_stats);
	m->vrrp_stats = bpf_map__fd(s->maps.vrrp_stats);
	m->services = bpf_map__fd(s->maps.services);
	m->backends = bpf_map__fd(s->maps.backends);
	m->slots = bpf_map__fd(s->maps.slots);
	m->conns = bpf_map__fd(s->maps.conns);
	m->persist = bpf_map__fd(s->maps.persist);
	m->svc_stats = bpf_map__fd(s->maps.svc_stats);
	m->counters = bpf_map__fd(s->maps.counters);
	m->events = bpf_map__fd(s->maps.events);
	m->liv_cfg = bpf_map__fd(s->maps.liv_cfg);
	m->liv_state = bpf_map__fd(s->maps.liv_state);
	m->liv_peers = bpf_map__fd(s->maps.liv_peers);
	m->vip_claims = bpf_map__fd(s->maps.vip_claims);
	m->vrrp_quiet = bpf_map__fd(s->maps.vrrp_quiet);
	m->vrrp_quiet_rt = bpf_map__fd(s->maps.vrrp_quiet_rt);
	m->vrrp_auth_seq = bpf_map__fd(s->maps.vrrp_auth_seq);
	m->xvipd_life = bpf_map__fd(s->maps.xvipd_life);
	m->liv_auth = bpf_map__fd(s->maps.liv_auth);
	m->liv_nonce = bpf_map__fd(s->maps.liv_nonce);
}

int dp_open(struct xvip_dp *dp, const char *pin_root, char *err, size_t errlen)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int rc;

	memset(dp, 0, sizeof(*dp));
	maps_reset(&dp->maps);
	if (!pin_root)
		pin_root = XVIP_PIN_ROOT_DEFAULT;
	if (snprintf(dp->pin_root, sizeof(dp->pin_root), "%s", pin_root) >=
	    (int)sizeof(dp->pin_root))
		return fail(err, errlen, ENAMETOOLONG, "pin root too long: %s", pin_root);
	rc = ensure_pin_root(dp->pin_root, err, errlen);
	if (rc < 0)
		return rc;

	dp->skel = xvip_bpf__open();
	if (!dp->skel)
		return fail(err, errlen, errno, "cannot open the BPF object: %s", strerror(errno));
	bpf_object__for_each_map(map, dp->skel->obj) {
		const char *name = bpf_map__name(map);

		if (name[0] == '.')
			continue; /* .rodata/.bss are not pinned */
		snprintf(path, sizeof(path), "%s/%s", dp->pin_root, name);
		rc = check_pinned_map(dp->skel->obj, map, path, err, errlen);
		if (rc < 0)
			goto cleanup;
		rc = bpf_map__set_pin_path(map, path);
		if (rc < 0) {
			fail(err, errlen, rc, "cannot set pin path %s: %s", path, strerror(-rc));
			goto cleanup;
		}
	}
	rc = xvip_bpf__load(dp->skel);
	if (rc < 0) {
		fail(err, errlen, rc, "cannot load the XDP program (verifier or map error): %s",
		     strerror(-rc));
		goto cleanup;
	}
	maps_from_skel(&dp->maps, dp->skel);
	return 0;
cleanup:
	xvip_bpf__destroy(dp->skel);
	dp->skel = NULL;
	return rc;
}

/* Who is attached to ifindex now: 0 none, else prog id and its name. */
static int attached_prog(int ifindex, __u32 *id, __u32 *mode_flags, char *name, size_t namelen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int rc = bpf_xdp_query(ifindex, 0, &q);

	*id = 0;
	*mode_flags = 0;
	name[0] = 0;
	if (rc < 0)
		return rc;
	if (q.drv_prog_id) {
		*id = q.drv_prog_id;
		*mode_flags = XDP_FLAGS_DRV_MODE;
	} else if (q.skb_prog_id) {
		*id = q.skb_prog_id;
		*mode_flags = XDP_FLAGS_SKB_MODE;
	} else if (q.hw_prog_id) {
		*id = q.hw_prog_id;
		*mode_flags = XDP_FLAGS_HW_MODE;
	}
	if (*id) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(*id);

		if (fd >= 0) {
			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
				snprintf(name, namelen, "%s", info.name);
			close(fd);
		}
	}
	return 0;
}

const char *dp_attach_mode(const struct xvip_attach *att)
{
	return att->xdp_flags == XDP_FLAGS_SKB_MODE ? "generic" : "native";
}

static __u32 plan_flags(enum xdp_plan_mode m)
{
	return m == XDP_PLAN_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

int dp_xvip_prog_fd(int ifindex, bool *generic)
{
	char name[BPF_OBJ_NAME_LEN];
	__u32 id, mode;

	if (attached_prog(ifindex, &id, &mode, name, sizeof(name)) < 0 || !id ||
	    strcmp(name, XVIP_PROG_NAME) || mode == XDP_FLAGS_HW_MODE)
		return -1;
	*generic = mode == XDP_FLAGS_SKB_MODE;
	return bpf_prog_get_fd_by_id(id);
}

int dp_attach(struct xvip_dp *dp, const char *ifname, enum xdp_pref pref, bool remote_steering,
	      struct xvip_attach *att, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int ifindex = (int)if_nametoindex(ifname);
	int prog_fd = bpf_program__fd(dp->skel->progs.xvip_xdp);
	struct xdp_facts facts = { .remote_steering = remote_steering };
	struct xdp_plan plan;
	__u32 old_id, old_mode, flags;
	char old_name[BPF_OBJ_NAME_LEN];
	int old_fd = -1, rc;

	memset(att, 0, sizeof(*att));
	if (!ifindex)
		return fail(err, errlen, ENODEV, "no interface %s", ifname);
	rc = nl_xdp_facts(ifname, &facts, err, errlen);
	if (rc < 0)
		return rc;
	xdp_plan_decide(&facts, pref, &plan);
	if (plan.mode == XDP_PLAN_REFUSE)
		return fail(err, errlen, EOPNOTSUPP,
			    "refusing native XDP on %s: %s (use --generic, or leave the mode to xvip)",
			    ifname, plan.why);
	flags = plan_flags(plan.mode);
	rc = attached_prog(ifindex, &old_id, &old_mode, old_name, sizeof(old_name));
	if (rc < 0)
		return fail(err, errlen, rc, "cannot query XDP on %s: %s", ifname, strerror(-rc));
	if (old_id && strcmp(old_name, XVIP_PROG_NAME) != 0)
		return fail(err, errlen, EBUSY,
			    "%s already has XDP program id %u (%s) attached; not replacing "
			    "someone else's program",
			    ifname, old_id, old_name);
	if (old_id && old_mode == flags) {
		/* Replace in one step, in the mode the old one runs in: there is
		 * no instant without a program answering ARP. */
		old_fd = bpf_prog_get_fd_by_id(old_id);
		if (old_fd < 0)
			return fail(err, errlen, errno, "cannot get old program %u: %s", old_id,
				    strerror(errno));
		opts.old_prog_fd = old_fd;
		rc = bpf_xdp_attach(ifindex, prog_fd, flags | XDP_FLAGS_REPLACE, &opts);
		close(old_fd);
		if (rc < 0)
			return fail(err, errlen, rc, "cannot replace XDP program on %s: %s",
				    ifname, strerror(-rc));
	} else {
		/* An old program of ours in the other mode (an earlier xvip
		 * chose otherwise): a mode cannot be replaced atomically. */
		if (old_id && dp_detach_ifname(ifname, err, errlen) < 0)
			return -EBUSY;
		rc = bpf_xdp_attach(ifindex, prog_fd, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
		if (rc < 0 && plan.mode == XDP_PLAN_NATIVE) {
			char why[XDP_WHY_LEN];

			snprintf(why, sizeof(why), "the driver refused native XDP (%s; %.150s)",
				 strerror(-rc), plan.why);
			snprintf(plan.why, sizeof(plan.why), "%s", why);
			flags = XDP_FLAGS_SKB_MODE;
			rc = bpf_xdp_attach(ifindex, prog_fd, flags | XDP_FLAGS_UPDATE_IF_NOEXIST,
					    NULL);
		}
		if (rc < 0)
			return fail(err, errlen, rc, "cannot attach XDP to %s in %s mode: %s", ifname,
				    flags == XDP_FLAGS_SKB_MODE ? "generic" : "native",
				    strerror(-rc));
	}
	att->ifindex = ifindex;
	snprintf(att->ifname, sizeof(att->ifname), "%s", ifname);
	att->xdp_flags = flags;
	snprintf(att->kind, sizeof(att->kind), "%s", facts.kind);
	att->remote_steering = remote_steering;
	if (old_id && old_mode != flags)
		snprintf(att->why, sizeof(att->why), "%.160s; xvip's program in %s mode was detached "
			 "first", plan.why, old_mode == XDP_FLAGS_SKB_MODE ? "generic" : "native");
	else
		snprintf(att->why, sizeof(att->why), "%s", plan.why);
	snprintf(att->warning, sizeof(att->warning), "%s", plan.warning);
	return 0;
}

int dp_detach(struct xvip_dp *dp, struct xvip_attach *att, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int rc;

	if (!att->ifindex || !dp->skel)
		return 0;
	/* REPLACE with our fd: detaches only if the program there is ours. */
	opts.old_prog_fd = bpf_program__fd(dp->skel->progs.xvip_xdp);
	rc = bpf_xdp_detach(att->ifindex, att->xdp_flags | XDP_FLAGS_REPLACE, &opts);
	if (rc < 0)
		return fail(err, errlen, rc, "cannot detach XDP from %s: %s", att->ifname,
			    strerror(-rc));
	att->ifindex = 0;
	return 0;
}

int dp_detach_ifname(const char *ifname, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int ifindex = (int)if_nametoindex(ifname);
	char name[BPF_OBJ_NAME_LEN];
	__u32 id, mode;
	int rc;

	if (!ifindex)
		return fail(err, errlen, ENODEV, "no interface %s", ifname);
	rc = attached_prog(ifindex, &id, &mode, name, sizeof(name));
	if (rc < 0)
		return fail(err, errlen, rc, "cannot query XDP on %s: %s", ifname, strerror(-rc));
	if (!id)
		return 0;
	if (strcmp(name, XVIP_PROG_NAME) != 0)
		return fail(err, errlen, EBUSY, "%s has XDP program %u (%s), not xvip's", ifname,
			    id, name);
	opts.old_prog_fd = bpf_prog_get_fd_by_id(id);
	if (opts.old_prog_fd < 0)
		return fail(err, errlen, errno, "cannot get program %u: %s", id, strerror(errno));
	rc = bpf_xdp_detach(ifindex, mode | XDP_FLAGS_REPLACE, &opts);
	close(opts.old_prog_fd);
	if (rc < 0)
		return fail(err, errlen, rc, "cannot detach XDP from %s: %s", ifname,
			    strerror(-rc));
	return 0;
}

void dp_close(struct xvip_dp *dp)
{
	if (dp->skel)
		xvip_bpf__destroy(dp->skel);
	dp->skel = NULL;
	maps_reset(&dp->maps);
}

int maps_open_pinned(struct xvip_maps *m, const char *pin_root, char *err, size_t errlen)
{
	char path[PATH_MAX];

	maps_reset(m);
	if (!pin_root)
		pin_root = XVIP_PIN_ROOT_DEFAULT;
	for (size_t i = 0; i < N_MAPS; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", pin_root, map_names[i]);
		fd = bpf_obj_get(path);
		/* maps added since the first release: an older xvipd's pins,
		 * still running after an upgrade, lack them */
		if (fd < 0 && errno == ENOENT &&
		    (maps_slot(m, i) == &m->vrrp_auth_seq || maps_slot(m, i) == &m->xvipd_life ||
		     maps_slot(m, i) == &m->liv_auth || maps_slot(m, i) == &m->liv_nonce))
			continue;
		if (fd < 0) {
			int rc = -errno;

			maps_close(m);
			return fail(err, errlen, rc,
				    "cannot open pinned map %s: %s (is xvipd running, and is "
				    "--pin-root right?)",
				    path, strerror(-rc));
		}
		*maps_slot(m, i) = fd;
	}
	return 0;
}

void maps_close(struct xvip_maps *m)
{
	for (size_t i = 0; i < N_MAPS; i++) {
		int *fd = maps_slot(m, i);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int maps_unpin(const char *pin_root, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc = 0;

	static const char *const links[] = { XVIP_LIFE_LINKS };

	for (size_t i = 0; i < N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_root, map_names[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			rc = fail(err, errlen, errno, "cannot remove %s: %s", path,
				  strerror(errno));
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_root, links[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			rc = fail(err, errlen, errno, "cannot remove %s: %s", path,
				  strerror(errno));
	}
	return rc;
}

int dp_vip_put(const struct xvip_maps *m, uint32_t addr_be, const struct vip_entry *v)
{
	struct vip_key k = { .addr = addr_be };

	return bpf_map_update_elem(m->vips, &k, v, BPF_ANY) < 0 ? -errno : 0;
}

int dp_vip_put_many(const struct xvip_maps *m, const uint32_t *addr_be,
		    const struct vip_entry *v, unsigned n)
{
	struct vip_key k[XVIP_MAX_VIPS];
	__u32 count = n;

	if (n > XVIP_MAX_VIPS)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++)
		k[i].addr = addr_be[i];
	if (!n || bpf_map_update_batch(m->vips, k, v, &count, NULL) == 0)
		return 0;
	/* a kernel without batch updates, or one entry refused: the rest one
	 * by one (count says how many went in) */
	for (unsigned i = count < n ? count : 0; i < n; i++) {
		int rc = dp_vip_put(m, addr_be[i], &v[i]);

		if (rc < 0)
			return rc;
	}
	return 0;
}

int dp_vip_get(const struct xvip_maps *m, uint32_t addr_be, struct vip_entry *v)
{
	struct vip_key k = { .addr = addr_be };

	return bpf_map_lookup_elem(m->vips, &k, v) < 0 ? -errno : 0;
}

bool dp_vip_fresh(const struct xvip_maps *m, const struct vip_entry *v, uint64_t now)
{
	struct xvipd_life l;
	__u32 zero = 0;

	if (!v->owner || now >= v->lease_expires_ns)
		return false;
	if (!v->life)
		return true;
	return m->xvipd_life >= 0 && bpf_map_lookup_elem(m->xvipd_life, &zero, &l) == 0 &&
	       l.token == v->life && !l.dead_ns;
}

int dp_vip_del(const struct xvip_maps *m, uint32_t addr_be)
{
	struct vip_key k = { .addr = addr_be };

	if (bpf_map_delete_elem(m->vips, &k) < 0 && errno != ENOENT)
		return -errno;
	bpf_map_delete_elem(m->vip_stats, &k);
	return 0;
}

static int ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

int dp_vip_counters(const struct xvip_maps *m, uint32_t addr_be, struct vip_counters *out)
{
	struct vip_key k = { .addr = addr_be };
	int n = ncpus();
	struct vip_counters *per = calloc((size_t)n, sizeof(*per));

	memset(out, 0, sizeof(*out));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->vip_stats, &k, per) == 0) {
		for (int i = 0; i < n; i++) {
			out->arp_replies += per[i].arp_replies;
			out->arp_drop_not_owner += per[i].arp_drop_not_owner;
			out->arp_drop_expired += per[i].arp_drop_expired;
			out->conflicts += per[i].conflicts;
		}
	}
	free(per);
	return 0;
}

int dp_reason_counters(const struct xvip_maps *m, uint64_t out[XVIP_R_MAX])
{
	int n = ncpus();
	uint64_t *per = calloc((size_t)n, sizeof(*per));

	if (!per)
		return -ENOMEM;
	for (__u32 r = 0; r < XVIP_R_MAX; r++) {
		out[r] = 0;
		if (bpf_map_lookup_elem(m->counters, &r, per) == 0)
			for (int i = 0; i < n; i++)
				out[r] += per[i];
	}
	free(per);
	return 0;
}

int dp_liv_cfg_put(const struct xvip_maps *m, uint8_t vrid, const struct liv_cfg *c)
{
	uint32_t k = vrid;

	return bpf_map_update_elem(m->liv_cfg, &k, c, BPF_ANY) < 0 ? -errno : 0;
}

int dp_quiet_put(const struct xvip_maps *m, uint8_t vrid, const struct vrrp_quiet *q)
{
	uint32_t k = vrid;

	return bpf_map_update_elem(m->vrrp_quiet, &k, q, BPF_ANY) < 0 ? -errno : 0;
}

int dp_quiet_del(const struct xvip_maps *m, uint8_t vrid)
{
	uint32_t k = vrid;

	if (bpf_map_delete_elem(m->vrrp_quiet, &k) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

void dp_quiet_clear(const struct xvip_maps *m)
{
	uint32_t k;

	/* the first key again each time: deleting while walking restarts the walk */
	for (unsigned n = 0; n < 256 && bpf_map_get_next_key(m->vrrp_quiet, NULL, &k) == 0; n++)
		bpf_map_delete_elem(m->vrrp_quiet, &k);
}

int dp_auth_seq_get(const struct xvip_maps *m, int ifindex, uint8_t vrid, uint32_t peer,
		    uint64_t *seq)
{
	struct vrrp_auth_seq_key k = { .peer = peer, .vrid = vrid, .ifindex = (uint32_t)ifindex };
	struct vrrp_auth_seq v;

	if (m->vrrp_auth_seq < 0)
		return -EBADF;
	if (bpf_map_lookup_elem(m->vrrp_auth_seq, &k, &v) < 0)
		return -errno;
	*seq = v.last_seq;
	return 0;
}

int dp_auth_seq_put(const struct xvip_maps *m, int ifindex, uint8_t vrid, uint32_t peer,
		    uint64_t seq)
{
	struct vrrp_auth_seq_key k = { .peer = peer, .vrid = vrid, .ifindex = (uint32_t)ifindex };
	struct vrrp_auth_seq v = { .last_seq = seq };

	if (m->vrrp_auth_seq < 0)
		return -EBADF;
	return bpf_map_update_elem(m->vrrp_auth_seq, &k, &v, BPF_ANY) < 0 ? -errno : 0;
}

int dp_quiet_rt_get(const struct xvip_maps *m, uint8_t vrid, struct vrrp_quiet_rt *rt)
{
	uint32_t k = vrid;

	return bpf_map_lookup_elem(m->vrrp_quiet_rt, &k, rt) < 0 ? -errno : 0;
}

int dp_quiet_prog_fd(const struct xvip_dp *dp)
{
	return dp->skel ? bpf_program__fd(dp->skel->progs.xvip_vrrp_sock) : -1;
}

int dp_liv_state_get(const struct xvip_maps *m, uint8_t vrid, struct liv_state *s)
{
	uint32_t k = vrid;

	return bpf_map_lookup_elem(m->liv_state, &k, s) < 0 ? -errno : 0;
}

int dp_liv_watch(const struct xvip_maps *m, uint8_t vrid, uint32_t master_be)
{
	struct liv_state s = { .master = master_be };
	uint32_t k = vrid;

	return bpf_map_update_elem(m->liv_state, &k, &s, BPF_ANY) < 0 ? -errno : 0;
}

int dp_liv_peer_add(const struct xvip_maps *m, uint8_t vrid, uint32_t addr_be, bool learned)
{
	struct liv_peer_key k = { .addr = addr_be, .vrid = vrid };
	struct liv_peer p = { .learned = learned };

	/* BPF_NOEXIST: an admitted peer keeps its bucket and counts */
	if (bpf_map_update_elem(m->liv_peers, &k, &p, BPF_NOEXIST) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int dp_liv_auth_put(const struct xvip_maps *m, uint8_t vrid, const struct liv_auth *a)
{
	uint32_t k = vrid;

	if (m->liv_auth < 0)
		return -ENOENT;
	return bpf_map_update_elem(m->liv_auth, &k, a, BPF_ANY) < 0 ? -errno : 0;
}

int dp_liv_auth_get(const struct xvip_maps *m, uint8_t vrid, struct liv_auth *a)
{
	uint32_t k = vrid;

	if (m->liv_auth < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(m->liv_auth, &k, a) < 0 ? -errno : 0;
}

int dp_liv_nonce_get(const struct xvip_maps *m, uint8_t vrid, uint32_t addr_be,
		     struct liv_nonce *n)
{
	struct liv_peer_key k = { .addr = addr_be, .vrid = vrid };

	if (m->liv_nonce < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(m->liv_nonce, &k, n) < 0 ? -errno : 0;
}

int dp_liv_peer_get(const struct xvip_maps *m, uint8_t vrid, uint32_t addr_be,
		    struct liv_peer *p)
{
	struct liv_peer_key k = { .addr = addr_be, .vrid = vrid };

	return bpf_map_lookup_elem(m->liv_peers, &k, p) < 0 ? -errno : 0;
}

void dp_liv_peers_clear(const struct xvip_maps *m, uint8_t vrid)
{
	struct liv_peer_key k, next, *prev = NULL;

	/* collect first, delete after: deleting while walking restarts the walk */
	struct liv_peer_key del[XVIP_LIV_PEERS_ENTRIES];
	size_t n = 0;

	while (n < XVIP_LIV_PEERS_ENTRIES && bpf_map_get_next_key(m->liv_peers, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (!vrid || next.vrid == vrid)
			del[n++] = next;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(m->liv_peers, &del[i]);
}

int dp_vrrp_stats(const struct xvip_maps *m, uint8_t vrid, struct vrrp_stats *out)
{
	__u32 k = vrid;

	return bpf_map_lookup_elem(m->vrrp_stats, &k, out) < 0 ? -errno : 0;
}

int dp_svc_counters(const struct xvip_maps *m, uint32_t svc_id, struct svc_counters *out)
{
	int n = ncpus();
	struct svc_counters *per = calloc((size_t)n, sizeof(*per));

	memset(out, 0, sizeof(*out));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->svc_stats, &svc_id, per) == 0) {
		for (int i = 0; i < n; i++) {
			out->packets += per[i].packets;
			out->bytes += per[i].bytes;
			out->new_flows += per[i].new_flows;
			out->to_local += per[i].to_local;
			out->to_remote += per[i].to_remote;
			out->no_backend += per[i].no_backend;
		}
	}
	free(per);
	return 0;
}

static int service_id_for(const struct xvip_maps *m, const struct svc_key *k, uint32_t *id,
			  uint32_t *generation)
{
	struct svc_entry e;
	struct svc_key cur, next;
	uint8_t used[XVIP_MAX_SERVICES] = { 0 };
	int have = 0;

	if (bpf_map_lookup_elem(m->services, k, &e) == 0) {
		*id = e.id;
		*generation = e.generation;
		return 0;
	}
	*generation = 0;
	while (bpf_map_get_next_key(m->services, have ? &cur : NULL, &next) == 0) {
		if (bpf_map_lookup_elem(m->services, &next, &e) == 0 && e.id < XVIP_MAX_SERVICES)
			used[e.id] = 1;
		cur = next;
		have = 1;
	}
	for (uint32_t i = 0; i < XVIP_MAX_SERVICES; i++) {
		if (!used[i]) {
			*id = i;
			return 0;
		}
	}
	return -ENOSPC;
}

int dp_service_put(const struct xvip_maps *m, const struct svc_key *k, uint8_t sched,
		   uint32_t persistence_s, const struct backend *b, int n, uint32_t *id_out,
		   char *err, size_t errlen)
{
	struct slot_backend sb[XVIP_MAX_BACKENDS];
	uint32_t table[XVIP_SLOTS], keys[XVIP_SLOTS], id, gen, count = XVIP_SLOTS;
	struct slot vals[XVIP_SLOTS];
	struct svc_entry e = {};
	int rc;

	if (n < 0 || n > XVIP_MAX_BACKENDS)
		return fail(err, errlen, EINVAL, "a service takes at most %d backends, not %d",
			    XVIP_MAX_BACKENDS, n);
	rc = service_id_for(m, k, &id, &gen);
	if (rc < 0)
		return fail(err, errlen, rc, "no free service id (at most %d services)",
			    XVIP_MAX_SERVICES);
	for (int i = 0; i < XVIP_MAX_BACKENDS; i++) {
		struct backend empty = {};
		__u32 key = id * XVIP_MAX_BACKENDS + (uint32_t)i;

		if (bpf_map_update_elem(m->backends, &key, i < n ? &b[i] : &empty, BPF_ANY) < 0)
			return fail(err, errlen, errno, "cannot write backend %d: %s", i,
				    strerror(errno));
		if (i < n) {
			sb[i].weight = b[i].weight;
			sb[i].healthy = b[i].healthy;
		}
	}
	slots_build(sb, n, sched, table);
	for (int s = 0; s < XVIP_SLOTS; s++) {
		keys[s] = id * XVIP_SLOTS + (uint32_t)s;
		vals[s].backend = table[s];
	}
	if (bpf_map_update_batch(m->slots, keys, vals, &count, NULL) < 0) {
		/* Older kernels lack batch ops on arrays: one by one. */
		for (int s = 0; s < XVIP_SLOTS; s++)
			if (bpf_map_update_elem(m->slots, &keys[s], &vals[s], BPF_ANY) < 0)
				return fail(err, errlen, errno, "cannot write slot %d: %s", s,
					    strerror(errno));
	}
	e.id = id;
	e.persistence_s = persistence_s;
	e.sched = sched;
	e.nbackends = (uint8_t)n;
	e.generation = gen + 1;
	if (bpf_map_update_elem(m->services, k, &e, BPF_ANY) < 0)
		return fail(err, errlen, errno, "cannot write service entry: %s", strerror(errno));
	if (id_out)
		*id_out = id;
	return 0;
}

int dp_service_del(const struct xvip_maps *m, const struct svc_key *k)
{
	if (bpf_map_delete_elem(m->services, k) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
