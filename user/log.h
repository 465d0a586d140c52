/* Logging with millisecond timestamps: to stderr (-l, or in the foreground
 * before the daemon detaches) or to syslog. */
#ifndef XVIP_LOG_H
#define XVIP_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_init(const char *ident, bool to_stderr, bool debug);
void xlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
