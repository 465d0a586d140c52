/* libFuzzer: random frames through the XDP program (BPF_PROG_TEST_RUN; run
 * as root). Maps: 10.0.0.100 owned with a fresh lease, 10.0.0.101 owned with
 * its lease run out, 10.0.0.102 not owned; fast liveness on VRID 51 with a
 * peer. Invariants: a verdict is PASS, DROP or TX (never ABORTED); an ARP
 * reply is sent only for 10.0.0.100, from its MAC, to a unicast MAC; an
 * XDP_TX frame is never longer than the frame that came in. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "xvip.h"
#include "xvip.skel.h"

static struct xvip_bpf *skel;
static int prog_fd;
static const uint8_t VIP_MAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static void put_vip(uint32_t addr, int owner, uint64_t lease)
{
	struct vip_key k = { .addr = htonl(addr) };
	struct vip_entry v = { .lease_expires_ns = lease, .vrid = 51, .owner = (uint8_t)owner };

	memcpy(v.mac, VIP_MAC, 6);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.vips), &k, &v, BPF_ANY) < 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct bpf_map *map;
	struct liv_cfg lc = { .on = 1, .vip = htonl(0x0a000064), .rate_per_s = 1000, .burst = 100 };
	uint32_t vrid = 51;

	(void)argc;
	(void)argv;
	libbpf_set_print(NULL);
	skel = xvip_bpf__open();
	if (!skel)
		abort();
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	if (xvip_bpf__load(skel) < 0) {
		fprintf(stderr, "fuzz_xdp: cannot load the XDP program (root needed): %s\n",
			strerror(errno));
		exit(1);
	}
	prog_fd = bpf_program__fd(skel->progs.xvip_xdp);
	put_vip(0x0a000064, 1, mono_ns() + 3600ull * 1000000000ull);
	put_vip(0x0a000065, 1, 1);
	put_vip(0x0a000066, 0, mono_ns() + 3600ull * 1000000000ull);
	bpf_map_update_elem(bpf_map__fd(skel->maps.liv_cfg), &vrid, &lc, BPF_ANY);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[2048];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = (uint32_t)size,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	if (size < 14 || size > 1514)
		return 0; /* the kernel refuses runts itself (test_golden) */
	if (bpf_prog_test_run_opts(prog_fd, &o) < 0)
		return 0;
	if (o.retval != XDP_PASS && o.retval != XDP_DROP && o.retval != XDP_TX) {
		fprintf(stderr, "verdict %u\n", o.retval);
		abort();
	}
	if (o.retval != XDP_TX)
		return 0;
	if (o.data_size_out > size)
		abort(); /* an answer never grows */
	if (o.data_size_out >= 42 && out[12] == 0x08 && out[13] == 0x06 && out[20] == 0 &&
	    out[21] == 2) {
		uint32_t spa;

		memcpy(&spa, out + 28, 4);
		if (spa != htonl(0x0a000064) || memcmp(out + 6, VIP_MAC, 6) ||
		    memcmp(out + 22, VIP_MAC, 6) || (out[0] & 1)) {
			fprintf(stderr, "ARP reply for %08x from %02x:..:%02x to %02x:..\n", ntohl(spa),
				out[6], out[11], out[0]);
			abort();
		}
	}
	return 0;
}
