/*
 * xvipd's own death, seen by the kernel (bpf/xvipd_life.bpf.c): the fence of
 * fast liveness when the daemon alone dies. life_open() loads the two
 * tracepoints, writes this daemon's tgid and a random token into the pinned map xvipd_life
 * and pins their links under the pin root (XVIP_LIFE_LINKS), replacing a
 * dead predecessor's, so that they stay attached after this process is
 * gone: when the kernel dooms it (SIGKILL, a crash, exit()), the XDP
 * program stops answering for every VIP written with that token
 * (vip_entry.life) at once. Without it (no BTF, no CAP_BPF, a pid namespace
 * of xvipd's own) the fast-liveness lease is short instead (two intervals,
 * renewed every interval), as before. docs/architecture.md, "The fence".
 */
#ifndef XVIP_SELFLIFE_H
#define XVIP_SELFLIFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* This daemon's token (random, non-zero; what its VIPs carry in
 * vip_entry.life) once the watch runs, 0 (err says why) if it cannot. */
uint32_t life_open(const char *pin_root, char *err, size_t errlen);
/* A clean stop: the links unpinned and detached (their pins removed). */
void life_close(void);

#endif /* XVIP_SELFLIFE_H */
