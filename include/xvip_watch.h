/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local mysqld's death watch (bpf/mysqld_watch.bpf.c): types shared by
 * the tracepoint programs and user/deathwatch.c. Plain fixed-width data,
 * BTF-typed, so that `bpftool map dump pinned <root>/mysqld_pids` prints the
 * watched processes by field name.
 *
 * Pids are the kernel's (the initial pid namespace's) thread-group ids;
 * times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns()).
 */
#ifndef XVIP_WATCH_H
#define XVIP_WATCH_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define XVIP_WATCH_MAX_PIDS 64
#define XVIP_WATCH_RINGBUF_BYTES (64 * 1024)

/* mysqld_pids: key __u32 tgid -> value. Written by xvipd (watch), updated
 * by the programs (the first kill and the first exit are reported once). */
struct xvip_mysqld_watch {
	__u64 since_ns;   /* when xvipd started watching it */
	__u64 killed_ns;  /* SIGKILL seen (0: not yet) */
	__u64 exiting_ns; /* its group exit began (0: not yet) */
	__u32 port;       /* the server's TCP port (for bpftool readers) */
	__u32 stops;      /* SIGSTOPs seen */
};

enum xvip_mysqld_event_type {
	/* SIGKILL generated for one of its threads: it is dead from here on
	 * (nothing of it runs in user space again), though its teardown
	 * (unmapping memory, closing sockets) takes milliseconds more */
	XVIP_MYSQLD_KILLED = 1,
	/* a thread exits while the process's group exit runs (exit_group,
	 * a fatal signal's default action, the end of a crash handler) */
	XVIP_MYSQLD_EXITING = 2,
	/* the last thread is exiting (sched_process_exit with group_dead,
	 * which fires before it unmaps the memory and closes the files) */
	XVIP_MYSQLD_DEAD = 3,
	/* SIGSTOP/SIGTSTP generated for it: it will hang until SIGCONT
	 * (reported, not acted on: a hang is declared by the probes) */
	XVIP_MYSQLD_STOPPED = 4,
};

struct xvip_mysqld_event {
	__u64 ts_ns;
	__u32 type;        /* enum xvip_mysqld_event_type */
	__u32 tgid;        /* the watched process */
	__u32 tid;         /* the thread the event is about */
	__s32 sig;         /* KILLED/STOPPED: the signal; EXITING/DEAD: 0 */
	__s32 exit_code;   /* EXITING/DEAD: task->exit_code (signal | status << 8) */
	__u32 sender_tgid; /* KILLED/STOPPED: who sent it (0: the kernel) */
	char sender_comm[16];
};

/* ---- the local server's connections, kept by the kernel ----
 *
 * mysqld_ports: which local TCP ports (of which network namespace) to keep
 * a table of. Written by xvipd when it watches a local mysqld.
 * mysqld_conns: the sockets on those ports in a state a release destroys
 * (the server's side of a connection, and the listener), kept by a
 * tracepoint on every TCP state change (inet_sock_set_state): inserted on
 * entering such a state, removed on leaving them. xvipd seeds it with one
 * sock_diag dump when it starts tracking a port, so that a release needs
 * no dump of the kernel's whole connection hash (milliseconds of CPU at
 * the moment the promotion needs it) but one exact lookup per socket. */
#define XVIP_WATCH_MAX_PORTS 16
#define XVIP_WATCH_MAX_CONNS 65536

struct xvip_port_key {
	__u32 netns; /* the network namespace's inode number (/proc/self/ns/net) */
	__u32 port;  /* local TCP port, host order */
};

/* mysqld_conns: key the socket's cookie (the one sock_diag reports, so a
 * destroy by 4-tuple and cookie can never hit another socket). Keyed by
 * the cookie, not the 4-tuple: when a socket closes the kernel has already
 * released its local port (inet_num is 0 at the CLOSE transition). */
struct xvip_conn {
	__u64 since_ns;  /* when it entered the table */
	__u32 netns;
	__u32 state;     /* the kernel's TCP state (1 ESTABLISHED, 10 LISTEN, ...) */
	__u16 lport;     /* host order */
	__u16 rport;     /* host order; 0 for a listener */
	__u8 family;     /* AF_INET or AF_INET6 (v4-mapped addresses stay AF_INET6) */
	__u8 pad[3];
	__u8 laddr[16];  /* network order; AF_INET: the first 4 bytes */
	__u8 raddr[16];
	__u32 ifindex;   /* the device it is bound to (0: none; a VRF's sockets) */
	__u32 pad2;
};

#endif
