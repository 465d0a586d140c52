// SPDX-License-Identifier: GPL-2.0
/* The local mysqld's death watch: two BTF tracepoints, filtered on the
 * thread-group ids in mysqld_pids (written by xvipd), report to xvipd
 * through a ring buffer the instant the kernel dooms the process (SIGKILL
 * generated) or starts its group exit, and when the last thread is gone.
 * Everything else (any other process, any other signal) costs one hash
 * lookup. See include/xvip_watch.h and user/deathwatch.c. */
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

/* events the ring buffer had no room for (read by xvipd, logged) */
__u64 lost_events = 0;

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
