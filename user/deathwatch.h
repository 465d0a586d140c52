/*
 * The local mysqld's death watch: loads bpf/mysqld_watch.bpf.c (three BTF
 * tracepoints, signal_generate and sched_process_exit for the process,
 * inet_sock_set_state for its connections), keeps the watched thread-group
 * ids in its pinned map mysqld_pids, hands the ring buffer's events to the
 * subscribers of each pid from the daemon's loop, and keeps the table of
 * the server's connections (mysqld_ports, mysqld_conns) that a release
 * destroys without dumping the kernel's connection hash.
 *
 * One watch per daemon, opened on first use (dw_get()) so that a config
 * without MYSQL_CHECK loads nothing. A kernel or a process that cannot
 * have it (no BTF, no CAP_BPF, xvipd in a pid namespace of its own, where
 * the pids it reads are not the kernel's) gets one warning, and the checks
 * fall back to the held connection's EOF.
 *
 * Several subscribers may watch one pid (two services with the same real
 * server). After XVIP_MYSQLD_DEAD the pid's entry and its subscribers are
 * dropped (the pid may be reused); a subscriber is told first.
 */
#ifndef XVIP_DEATHWATCH_H
#define XVIP_DEATHWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "xvip_watch.h"

struct deathwatch;

typedef void (*dw_cb)(void *arg, const struct xvip_mysqld_event *ev);

/* Where and on which loop the watch opens when first asked for. */
void dw_configure(struct loop *l, const char *pin_root);
/* The daemon's watch, opened now if it was not (NULL: unavailable, said
 * once at warning level; or dw_configure was never called, as in the unit
 * tests of the checks). */
struct deathwatch *dw_get(void);
/* Closes the daemon's watch (programs detached, the map's pin removed). */
void dw_shutdown(void);

struct deathwatch *dw_open(struct loop *l, const char *pin_root, char *err, size_t errlen);
void dw_close(struct deathwatch *dw);
/* 0, or -errno (-ENOSPC: too many pids or subscribers). */
int dw_watch(struct deathwatch *dw, uint32_t tgid, uint16_t port, dw_cb cb, void *arg);
/* Removes arg's subscription to tgid (the map entry goes with the last). */
void dw_unwatch(struct deathwatch *dw, uint32_t tgid, void *arg);
/* The kernel's table of the local server's connections on port (this
 * network namespace's): from now on kept by the inet_sock_set_state
 * tracepoint, seeded now by one sock_diag dump (a few ms, once). Idempotent.
 * 0, or -errno with err (releases then dump the connection hash, as
 * without the table). */
int dw_track_port(struct deathwatch *dw, uint16_t port, char *err, size_t errlen);

/* A release's handle on the table, usable from another thread: its own fd. */
struct dw_table {
	int fd;
	uint32_t netns;
	uint16_t port;
};
struct sockkill_tuple;
/* 0 when port's table is complete (tracked, and no socket ever found it
 * full: -EOVERFLOW, said once), with t to read and put; -errno otherwise. */
int dw_table_get(struct deathwatch *dw, uint16_t port, struct dw_table *t);
/* The table's sockets of t's port: *out (malloc'd, the caller frees), *n. */
int dw_table_read(struct dw_table *t, struct sockkill_tuple **out, size_t *n);
void dw_table_put(struct dw_table *t);

/* Events the ring buffer had no room for, since the open. */
uint64_t dw_lost(const struct deathwatch *dw);

/* ---- pure helpers (unit-tested) ---- */

const char *dw_event_str(uint32_t type);
/* "killed by signal 9 (SIGKILL) from pid 1234 (bash)", "exiting (exit
 * status 1)", "exiting (signal 6)", "gone", "stopped by signal 19 ..." */
void dw_describe(const struct xvip_mysqld_event *ev, char *buf, size_t len);
/* The pid in a pid file's text ("1234\n"): > 0, or -1 when it holds
 * anything else. */
long dw_parse_pidfile(const char *text);
/* /proc/self/status's "NSpid:\t1234\n": true when the process sits in the
 * initial pid namespace (one pid on the line), false otherwise or when
 * the line is missing. */
bool dw_nspid_initial(const char *status_text);
/* The same for this process, from /proc/self/status. */
bool dw_self_in_initial_pidns(void);

#endif
