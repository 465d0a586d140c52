/* Mail on transitions, as keepalived sends it (smtp_alert): VRRP state
 * changes, real servers going up or down, the writer's events (a writer
 * change; a refused promotion, the mail an operator must not miss).
 *
 * Sent through libcurl's multi interface on the daemon's own loop: a dead
 * or slow SMTP server never holds anything up. At most MAIL_MAX_IN_FLIGHT
 * mails wait at once; more are dropped and counted; every failure is
 * logged with libcurl's reason and counted. */
#ifndef XVIP_MAIL_H
#define XVIP_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define MAIL_MAX_IN_FLIGHT 16
/* after the connection, the whole conversation may take this long */
#define MAIL_SESSION_TIMEOUT_MS 30000u

struct mail_settings {
	const char *server;    /* smtp_server: address or name; NULL: no mail */
	uint16_t port;
	const char *helo;      /* smtp_helo_name, else the host name; also
				* the domain of Message-ID */
	const char *from;      /* notification_email_from */
	char *const *to;       /* notification_email */
	size_t nto;
	uint32_t connect_timeout_ms;
};

/* One message, RFC 5322, CRLF lines: From, To, Subject, Date (wall_ms,
 * UTC), Message-ID (msgid), MIME headers, X-Mailer, then the body (its LF
 * or CRLF lines as CRLF). Control characters in the subject and body (but
 * tabs) become '?': nothing a name carries can add a header. Pure.
 * Returns malloc'd text (its length in *len), NULL without memory. */
char *mail_format(const char *from, char *const *to, size_t nto, const char *subject,
		  const char *body, int64_t wall_ms, const char *msgid, size_t *len);

struct mailer;

struct mailer_stats {
	uint64_t sent, failed, dropped;
	unsigned in_flight;
};

struct mailer *mailer_new(struct loop *l);
/* Aborts what is in flight (counted as failed, not logged). */
void mailer_free(struct mailer *m);
/* Queue one mail; 0, or -1 when not configured (no server, nobody to
 * send to) or dropped (too many in flight, no memory: logged). */
int mailer_send(struct mailer *m, const struct mail_settings *s, const char *subject,
		const char *body);
struct mailer_stats mailer_stats(const struct mailer *m);

#endif
