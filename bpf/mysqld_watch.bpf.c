// SPDX-License-Identifier: GPL-2.0
/* The local mysqld's death watch: two BTF tracepoints, filtered on the
 * thread-group ids in mysqld_pids (written by xvipd), report to xvipd
 * through a ring buffer the instant the kernel dooms the process (SIGKILL
 * generated) or starts its group exit, and when the last thread is gone.
 * Everything else (any other process, any other signal) costs one hash
 * lookup. A third, on every TCP state change, keeps the table of the
 * server's connections (mysqld_conns) for the ports in mysqld_ports, which
 * a release destroys without dumping the kernel's connection hash. See
 * include/xvip_watch.h and user/deathwatch.c. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "xvip_watch.h"

#define SIGKILL_ 9
#define SIGSTOP_ 19
#define SIGTSTP_ 20
#define SIGNAL_GROUP_EXIT_ 0x00000004 /* include/linux/sched/signal.h */
#define TRACE_SIGNAL_DELIVERED_ 0     /* include/trace/events/signal.h */
#define AF_INET_ 2
#define AF_INET6_ 10
#define IPPROTO_TCP_ 6

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVIP_WATCH_MAX_PIDS);
	__type(key, __u32);
	__type(value, struct xvip_mysqld_watch);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mysqld_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XVIP_WATCH_RINGBUF_BYTES);
} mysqld_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVIP_WATCH_MAX_PORTS);
	__type(key, struct xvip_port_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mysqld_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVIP_WATCH_MAX_CONNS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64); /* socket cookie */
	__type(value, struct xvip_conn);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mysqld_conns SEC(".maps");

/* events the ring buffer had no room for (read by xvipd, logged) */
__u64 lost_events = 0;
/* sockets the connection table had no room for: xvipd then releases by a
 * dump, as without the table */
__u64 conns_full = 0;
/* xvipd's network namespace (inode): the only one whose sockets are kept;
 * set before the programs are attached */
__u32 netns_filter = 0;

static __always_inline void report(__u32 type, __u32 tgid, __u32 tid, int sig, int exit_code,
				   bool sender)
{
	struct xvip_mysqld_event *ev = bpf_ringbuf_reserve(&mysqld_events, sizeof(*ev), 0);

	if (!ev) {
		__sync_fetch_and_add(&lost_events, 1);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = type;
	ev->tgid = tgid;
	ev->tid = tid;
	ev->sig = sig;
	ev->exit_code = exit_code;
	if (sender) {
		ev->sender_tgid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(ev->sender_comm, sizeof(ev->sender_comm));
	}
	/* wake xvipd now: this is the one event it waits for */
	bpf_ringbuf_submit(ev, 0);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(mysqld_signal, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct xvip_mysqld_watch *w;
	__u32 tgid;

	if (sig != SIGKILL_ && sig != SIGSTOP_ && sig != SIGTSTP_)
		return 0;
	if (result != TRACE_SIGNAL_DELIVERED_)
		return 0;
	tgid = task->tgid;
	w = bpf_map_lookup_elem(&mysqld_pids, &tgid);
	if (!w)
		return 0;
	if (sig == SIGKILL_) {
		if (w->killed_ns)
			return 0; /* reported once */
		w->killed_ns = bpf_ktime_get_ns();
		report(XVIP_MYSQLD_KILLED, tgid, task->pid, sig, 0, true);
		return 0;
	}
	w->stops++;
	report(XVIP_MYSQLD_STOPPED, tgid, task->pid, sig, 0, true);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(mysqld_exit, struct task_struct *task, bool group_dead)
{
	struct xvip_mysqld_watch *w;
	__u32 tgid = task->tgid;
	unsigned int flags;

	w = bpf_map_lookup_elem(&mysqld_pids, &tgid);
	if (!w)
		return 0;
	if (group_dead) {
		report(XVIP_MYSQLD_DEAD, tgid, task->pid, 0, task->exit_code, false);
		return 0;
	}
	if (w->exiting_ns)
		return 0;
	/* a thread ending on its own (a pool shrinking, even the main
	 * thread's pthread_exit) is no news; any thread while the whole
	 * group exits is: exit_group() and a fatal signal's default action
	 * set SIGNAL_GROUP_EXIT before the first thread goes */
	flags = BPF_CORE_READ(task, signal, flags);
	if (!(flags & SIGNAL_GROUP_EXIT_))
		return 0;
	w->exiting_ns = bpf_ktime_get_ns();
	report(XVIP_MYSQLD_EXITING, tgid, task->pid, 0, task->exit_code, false);
	return 0;
}

/* The TCP states a release destroys (user/sockkill.c's state_wanted): the
 * server's side of a connection, and the listener. */
static __always_inline bool conn_state_kept(int state)
{
	switch (state) {
	case 1:  /* ESTABLISHED */
	case 4:  /* FIN_WAIT1 */
	case 5:  /* FIN_WAIT2 */
	case 8:  /* CLOSE_WAIT */
	case 9:  /* LAST_ACK */
	case 10: /* LISTEN */
	case 11: /* CLOSING */
		return true;
	default:
		return false;
	}
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(mysqld_conn_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct xvip_port_key pk = {};
	struct xvip_conn v = {};
	struct xvip_conn *e;
	__u64 cookie;
	__u16 family;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP_)
		return 0;
	/* a connection's child socket, cloned from its listener: not yet one */
	if (oldstate == 10 && newstate == 3)
		return 0;
	pk.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (pk.netns != netns_filter)
		return 0;
	if (!conn_state_kept(newstate)) {
		/* leaving the kept states: by then a closing socket's local
		 * port is gone (inet_num 0), its cookie is not */
		if (conn_state_kept(oldstate)) {
			cookie = bpf_get_socket_cookie((void *)sk);
			bpf_map_delete_elem(&mysqld_conns, &cookie);
		}
		return 0;
	}
	pk.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!bpf_map_lookup_elem(&mysqld_ports, &pk))
		return 0;
	cookie = bpf_get_socket_cookie((void *)sk);
	if (conn_state_kept(oldstate)) {
		e = bpf_map_lookup_elem(&mysqld_conns, &cookie);
		if (e) {
			e->state = newstate;
			return 0;
		}
	}
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	v.netns = pk.netns;
	v.lport = (__u16)pk.port;
	v.rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	v.family = (__u8)family;
	if (family == AF_INET_) {
		__u32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 b = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(v.laddr, &a, 4);
		__builtin_memcpy(v.raddr, &b, 4);
	} else if (family == AF_INET6_) {
		BPF_CORE_READ_INTO(&v.laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&v.raddr, sk, __sk_common.skc_v6_daddr);
	} else {
		return 0;
	}
	v.ifindex = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	v.since_ns = bpf_ktime_get_ns();
	v.state = newstate;
	if (bpf_map_update_elem(&mysqld_conns, &cookie, &v, BPF_ANY) < 0)
		__sync_fetch_and_add(&conns_full, 1);
	return 0;
}
