/* selflife.c - xvipd's own death watched by the kernel (selflife.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "deathwatch.h"
#include "selflife.h"
#include "xvip.h"
#include "xvipd_life.skel.h"

static struct {
	struct xvipd_life_bpf *skel;
	uint32_t token;
	char root[256];
} g_life;

static const char *const link_pins[] = { XVIP_LIFE_LINKS };

/* Pin the new links where the old ones were: unpinning a dead daemon's
 * link detaches it (nobody else holds it). */
static int pin_links(struct bpf_link *const links[XVIP_LIFE_NLINKS], char *err, size_t errlen)
{
	char path[512];

	for (size_t i = 0; i < XVIP_LIFE_NLINKS; i++) {
		snprintf(path, sizeof(path), "%s/%s", g_life.root, link_pins[i]);
		if (unlink(path) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot remove the old pin %s: %s", path,
				 strerror(errno));
			return -1;
		}
		if (bpf_link__pin(links[i], path) < 0) {
			snprintf(err, errlen, "cannot pin %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

uint32_t life_open(const char *pin_root, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
	struct xvipd_life life = { .tgid = (uint32_t)getpid() };
	struct bpf_link *links[XVIP_LIFE_NLINKS];
	__u32 zero = 0;
	int rc;

	if (g_life.skel)
		return g_life.token;
	while (!life.token)
		if (getrandom(&life.token, sizeof(life.token), 0) != sizeof(life.token)) {
			snprintf(err, errlen, "getrandom: %s", strerror(errno));
			return 0;
		}
	if (!dw_self_in_initial_pidns()) {
		snprintf(err, errlen, "xvipd runs in a pid namespace of its own: the kernel's pids "
			 "and the ones it reads differ");
		return 0;
	}
	snprintf(g_life.root, sizeof(g_life.root), "%s", pin_root);
	g_life.skel = xvipd_life_bpf__open_opts(&opts);
	if (!g_life.skel) {
		snprintf(err, errlen, "cannot open the program: %s", strerror(errno));
		return 0;
	}
	rc = xvipd_life_bpf__load(g_life.skel);
	if (rc) {
		snprintf(err, errlen, "cannot load the program: %s", strerror(-rc));
		goto fail;
	}
	/* ours before the tracepoints run: a predecessor's death is past */
	if (bpf_map_update_elem(bpf_map__fd(g_life.skel->maps.xvipd_life), &zero, &life,
				BPF_ANY) < 0) {
		snprintf(err, errlen, "cannot write xvipd_life: %s", strerror(errno));
		goto fail;
	}
	rc = xvipd_life_bpf__attach(g_life.skel);
	if (rc) {
		snprintf(err, errlen, "cannot attach to signal_generate, signal_deliver and sched_process_exit: %s",
			 strerror(-rc));
		goto fail;
	}
	links[0] = g_life.skel->links.xvipd_signal;
	links[1] = g_life.skel->links.xvipd_exit;
	links[2] = g_life.skel->links.xvipd_deliver;
	if (pin_links(links, err, errlen) < 0)
		goto fail;
	g_life.token = life.token;
	return life.token;
fail:
	life_close();
	return 0;
}

void life_close(void)
{
	char path[512];

	if (!g_life.skel)
		return;
	for (size_t i = 0; i < XVIP_LIFE_NLINKS; i++) {
		snprintf(path, sizeof(path), "%s/%s", g_life.root, link_pins[i]);
		(void)unlink(path);
	}
	xvipd_life_bpf__destroy(g_life.skel);
	g_life.skel = NULL;
}
