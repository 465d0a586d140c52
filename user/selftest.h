/* xvipctl selftest: proves on the live interface that an ARP request for a
 * VIP owned here gets a reply that leaves the host, and says plainly what
 * is wrong otherwise.
 *
 * For every VIP in the pinned maps (or those on one interface):
 *  1. the attached program is asked, through BPF_PROG_TEST_RUN, to answer
 *     a request "who has VIP? tell <this interface>": an owned VIP with a
 *     fresh lease must give XDP_TX and a well-formed reply, a VIP owned by
 *     another node XDP_DROP;
 *  2. for an owned VIP, the reply is sent the way the interface's mode
 *     sends it, N times: native mode runs the program on live frames
 *     (BPF_F_TEST_XDP_LIVE_FRAMES: XDP_TX goes to the driver's
 *     ndo_xdp_xmit, exactly as for a received frame), generic mode hands
 *     the reply to the driver's transmit path as generic XDP does;
 *  3. the interface's counters before and after tell where the frames went:
 *     tx_dropped / tx_errors and the driver's XDP error counters (ethtool
 *     -S: rx_queue_N_xdp_tx_errors on a veth) say dropped; tx_packets or
 *     the driver's XDP transmit counters say sent.
 * The replies go to this interface's own MAC (a switch or bridge does not
 * send a frame back out of the port it came from, so nothing is flooded)
 * and count as ARP replies in the VIP's counters.
 * Returns SELFTEST_PASS, _FAIL, or _UNKNOWN (the driver counts nothing that
 * tells); the report goes to out. */
#ifndef XVIP_SELFTEST_H
#define XVIP_SELFTEST_H

struct sbuf;

enum selftest_verdict { SELFTEST_PASS = 0, SELFTEST_FAIL = 1, SELFTEST_UNKNOWN = 2 };

/* ifname NULL: every interface that carries a VIP. */
enum selftest_verdict selftest_run(const char *pin_root, const char *ifname, unsigned frames,
				   struct sbuf *out);

#endif
