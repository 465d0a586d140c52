/* The daemon's one event loop (after Redis' ae.c): epoll for file events,
 * one timerfd for all timers, no threads. Callbacks run to completion, so
 * nothing in them may block: a slow job (a script, a MySQL probe) is a file
 * descriptor the loop watches, never a call the loop waits on. */
#ifndef XVIP_LOOP_H
#define XVIP_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

struct loop;
typedef void (*loop_fd_cb)(struct loop *l, int fd, uint32_t events, void *arg);
typedef void (*loop_timer_cb)(struct loop *l, uint64_t id, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watch fd for events (EPOLLIN, EPOLLOUT ...); one callback per fd.
 * loop_mod_fd changes the events. Returns 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
void loop_del_fd(struct loop *l, int fd);

/* A one-shot timer at an absolute CLOCK_MONOTONIC time in microseconds.
 * Returns an id > 0 (0 on allocation failure). Cancelling a fired or
 * unknown id is harmless. */
uint64_t loop_add_timer(struct loop *l, uint64_t when_us, loop_timer_cb cb, void *arg);
void loop_cancel_timer(struct loop *l, uint64_t id);

/* Run until loop_stop(). Returns 0, or -errno if epoll itself failed. */
int loop_run(struct loop *l);

/* What a stall report says of where the time went (pure): TOOK_US of wall
 * time, CPU_US of it on a CPU, NVCSW voluntary (blocked) and NIVCSW
 * involuntary (preempted) context switches; with the advice to run at
 * real-time priority when the time was mostly spent waiting for a CPU and
 * xvipd is not (REALTIME). snprintf's return. */
int loop_stall_cause(char *buf, size_t len, uint64_t took_us, uint64_t cpu_us, long nvcsw,
		     long nivcsw, bool realtime);
void loop_stop(struct loop *l);


#endif
