#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static bool use_stderr = true;
static bool debug_on;
static const char *log_ident = "xvipd";

void log_init(const char *ident, bool to_stderr, bool debug)
{
	log_ident = ident;
	use_stderr = to_stderr;
	debug_on = debug;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void xlog(int prio, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error",
					     "warning", "notice", "info", "debug" };
	char msg[1024];
	va_list ap;

	if (prio == LOG_DEBUG && !debug_on)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!use_stderr) {
		syslog(prio, "%s", msg);
		return;
	}
	struct timeval tv;
	struct tm tm;
	char ts[32];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s[%d]: %s: %s\n", ts, (long)(tv.tv_usec / 1000), log_ident,
		(int)getpid(), names[prio & 7], msg);
}
