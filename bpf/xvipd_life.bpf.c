// SPDX-License-Identifier: GPL-2.0
/* xvipd's own death, seen by the kernel: two BTF tracepoints, filtered on
 * the tgid in xvipd_life (written by xvipd at its start), set dead_ns the
 * instant the kernel dooms the daemon (SIGKILL generated for it), delivers
 * it a signal whose default action kills it (a crash: SIGSEGV, SIGABRT...,
 * seen before its core dump, which can take long), or starts its group
 * exit (exit()). The XDP program then
 * stops answering ARP, steering and liveness echoes for every VIP that
 * daemon wrote with its tgid (vip_entry.life): a backup with fast liveness
 * takes over within liveness_multiplier intervals of the death, and the old
 * master fell silent first. xvipd pins the links, so that they outlive it;
 * the next xvipd replaces them. See user/selflife.c and include/xvip.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "xvip.h"

#define SIGKILL_ 9
#define SIGNAL_GROUP_EXIT_ 0x00000004 /* include/linux/sched/signal.h */
#define TRACE_SIGNAL_DELIVERED_ 0     /* include/trace/events/signal.h */

char LICENSE[] SEC("license") = "GPL";

#include "lib/life_map.h"

static __always_inline struct xvipd_life *life_of(__u32 tgid)
{
	__u32 zero = 0;
	struct xvipd_life *l = bpf_map_lookup_elem(&xvipd_life, &zero);

	if (!l || !l->tgid || l->tgid != tgid || l->dead_ns)
		return 0;
	return l;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(xvipd_signal, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct xvipd_life *l;

	if (sig != SIGKILL_ || result != TRACE_SIGNAL_DELIVERED_)
		return 0;
	l = life_of(task->tgid);
	if (!l)
		return 0;
	l->cause = SIGKILL_;
	l->dead_ns = bpf_ktime_get_ns();
	return 0;
}

/* signals whose default action does not end the process */
static __always_inline bool harmless_default(int sig)
{
	switch (sig) {
	case 17: /* SIGCHLD */
	case 18: /* SIGCONT */
	case 19: /* SIGSTOP */
	case 20: /* SIGTSTP */
	case 21: /* SIGTTIN */
	case 22: /* SIGTTOU */
	case 23: /* SIGURG */
	case 28: /* SIGWINCH */
		return true;
	default:
		return sig <= 0 || sig >= 32; /* real-time signals: xvipd uses none */
	}
}

/* In the receiving task, as get_signal() acts: a default action that ends
 * it (the core dump, if any, comes after) */
SEC("tp_btf/signal_deliver")
int BPF_PROG(xvipd_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct xvipd_life *l = life_of(task->tgid);

	if (!l || harmless_default(sig) || BPF_CORE_READ(ka, sa.sa_handler))
		return 0; /* not ours, not fatal, or handled (or ignored: SIG_IGN is 1) */
	l->cause = (__u32)sig;
	l->dead_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(xvipd_exit, struct task_struct *task, bool group_dead)
{
	struct xvipd_life *l = life_of(task->tgid);
	unsigned int flags;

	if (!l)
		return 0;
	/* a thread ending on its own (the release thread) is no news; the
	 * group's exit is: exit_group() and a fatal signal's default action
	 * set SIGNAL_GROUP_EXIT before the first thread goes */
	flags = BPF_CORE_READ(task, signal, flags);
	if (!group_dead && !(flags & SIGNAL_GROUP_EXIT_))
		return 0;
	l->cause = 0;
	l->dead_ns = bpf_ktime_get_ns();
	return 0;
}
