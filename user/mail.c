/* Mail on transitions (mail.h): the message (pure), and libcurl's multi
 * interface driven by the daemon's loop (its sockets watched by epoll, its
 * timeout a loop timer). */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mail.h"
#include "sbuf.h"

/* ---- the message --------------------------------------------------------- */

static void put_clean(struct sbuf *b, const char *s, bool multiline)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (multiline && c == '\r' && s[1] == '\n')
			continue; /* CRLF in: the LF below writes it */
		if (multiline && c == '\n')
			sb_printf(b, "\r\n");
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			sb_printf(b, "?");
		else
			sb_printf(b, "%c", c);
	}
}

char *mail_format(const char *from, char *const *to, size_t nto, const char *subject,
		  const char *body, int64_t wall_ms, const char *msgid, size_t *len)
{
	static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct sbuf b = { 0 };
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	sb_printf(&b, "From: ");
	put_clean(&b, from, false);
	sb_printf(&b, "\r\nTo: ");
	for (size_t i = 0; i < nto; i++) {
		if (i)
			sb_printf(&b, ", ");
		put_clean(&b, to[i], false);
	}
	sb_printf(&b, "\r\nSubject: ");
	put_clean(&b, subject, false);
	sb_printf(&b, "\r\nDate: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", wday[tm.tm_wday],
		  tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	sb_printf(&b, "Message-ID: <");
	put_clean(&b, msgid, false);
	sb_printf(&b, ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		      "Content-Transfer-Encoding: 8bit\r\nX-Mailer: xvipd\r\n\r\n");
	put_clean(&b, body, true);
	if (b.len < 2 || b.s[b.len - 1] != '\n')
		sb_printf(&b, "\r\n");
	if (b.oom || !b.s) {
		free(b.s);
		return NULL;
	}
	*len = b.len;
	return b.s;
}

/* ---- sending ----------------------------------------------------------------- */

struct mail_job {
	struct mail_job *next;
	CURL *easy;
	struct curl_slist *rcpt;
	char *text;
	size_t len, off;
	char subject[128]; /* for the log */
	char errbuf[CURL_ERROR_SIZE];
};

struct mailer {
	struct loop *l;
	CURLM *multi;
	uint64_t timer;
	struct mail_job *jobs;
	unsigned n_jobs, seq;
	uint64_t sent, failed, dropped;
	uint64_t dropped_logged_us;
};

static void job_free(struct mailer *m, struct mail_job *j)
{
	for (struct mail_job **p = &m->jobs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			break;
		}
	}
	m->n_jobs--;
	curl_multi_remove_handle(m->multi, j->easy);
	curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->rcpt);
	free(j->text);
	free(j);
}

static void reap(struct mailer *m)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m->multi, &left))) {
		struct mail_job *j = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		if (!j)
			continue;
		if (msg->data.result == CURLE_OK) {
			m->sent++;
			xlog(LOG_INFO, "mail sent: %s", j->subject);
		} else {
			m->failed++;
			xlog(LOG_WARNING, "mail '%s' not sent: %s", j->subject,
			     j->errbuf[0] ? j->errbuf : curl_easy_strerror(msg->data.result));
		}
		job_free(m, j);
	}
}

static void socket_ready(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct mailer *m = arg;
	int flags = 0, running;

	(void)l;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(m->multi, fd, flags, &running);
	reap(m);
}

/* libcurl says which of its sockets to watch, for what */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct mailer *m = userp;
	uint32_t ev = (what == CURL_POLL_IN ? EPOLLIN : what == CURL_POLL_OUT ? EPOLLOUT
					       : EPOLLIN | EPOLLOUT);

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (socketp)
			loop_del_fd(m->l, s);
		curl_multi_assign(m->multi, s, NULL);
		return 0;
	}
	if (!socketp) {
		if (loop_add_fd(m->l, s, ev, socket_ready, m) < 0)
			return -1;
		curl_multi_assign(m->multi, s, m);
	} else {
		loop_mod_fd(m->l, s, ev);
	}
	return 0;
}

static void timer_fired(struct loop *l, uint64_t id, void *arg)
{
	struct mailer *m = arg;
	int running;

	(void)l;
	if (id != m->timer)
		return;
	m->timer = 0;
	curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	reap(m);
}

/* libcurl's one timeout: -1 none, else in ms from now */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct mailer *m = userp;

	(void)multi;
	if (m->timer)
		loop_cancel_timer(m->l, m->timer);
	m->timer = 0;
	if (timeout_ms >= 0)
		m->timer = loop_add_timer(m->l, now_us() + (uint64_t)timeout_ms * 1000, timer_fired, m);
	return 0;
}

static size_t read_text(char *buf, size_t size, size_t n, void *arg)
{
	struct mail_job *j = arg;
	size_t want = size * n, left = j->len - j->off;

	if (want > left)
		want = left;
	memcpy(buf, j->text + j->off, want);
	j->off += want;
	return want;
}

struct mailer *mailer_new(struct loop *l)
{
	static bool global_done;
	struct mailer *m;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		global_done = true;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->l = l;
	m->multi = curl_multi_init();
	if (!m->multi) {
		free(m);
		return NULL;
	}
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	return m;
}

void mailer_free(struct mailer *m)
{
	if (!m)
		return;
	while (m->jobs) {
		m->failed++;
		job_free(m, m->jobs);
	}
	if (m->timer)
		loop_cancel_timer(m->l, m->timer);
	curl_multi_cleanup(m->multi);
	free(m);
}

struct mailer_stats mailer_stats(const struct mailer *m)
{
	struct mailer_stats s = { 0 };

	if (m) {
		s.sent = m->sent;
		s.failed = m->failed;
		s.dropped = m->dropped;
		s.in_flight = m->n_jobs;
	}
	return s;
}

static int drop(struct mailer *m, const char *subject, const char *why)
{
	uint64_t t = now_us();

	m->dropped++;
	if (!m->dropped_logged_us || t - m->dropped_logged_us > 1000000) {
		xlog(LOG_WARNING, "mail '%s' dropped: %s (%llu dropped so far)", subject, why,
		     (unsigned long long)m->dropped);
		m->dropped_logged_us = t;
	}
	return -1;
}

int mailer_send(struct mailer *m, const struct mail_settings *s, const char *subject,
		const char *body)
{
	char url[512], from[320], msgid[320];
	struct mail_job *j;

	if (!m || !s->server || !s->nto)
		return -1;
	if (m->n_jobs >= MAIL_MAX_IN_FLIGHT)
		return drop(m, subject, "too many mails waiting for the SMTP server");
	j = calloc(1, sizeof(*j));
	if (!j)
		return drop(m, subject, "out of memory");
	snprintf(j->subject, sizeof(j->subject), "%s", subject);
	snprintf(msgid, sizeof(msgid), "%lld.%d.%u.xvipd@%s", (long long)realtime_ms(),
		 (int)getpid(), ++m->seq, s->helo);
	j->text = mail_format(s->from, s->to, s->nto, subject, body, realtime_ms(), msgid, &j->len);
	j->easy = curl_easy_init();
	for (size_t i = 0; j->text && j->easy && i < s->nto; i++) {
		char rcpt[320];
		struct curl_slist *n;

		snprintf(rcpt, sizeof(rcpt), "<%s>", s->to[i]);
		n = curl_slist_append(j->rcpt, rcpt);
		if (!n) {
			curl_easy_cleanup(j->easy);
			j->easy = NULL;
			break;
		}
		j->rcpt = n;
	}
	if (!j->text || !j->easy) {
		if (j->easy)
			curl_easy_cleanup(j->easy);
		curl_slist_free_all(j->rcpt);
		free(j->text);
		free(j);
		return drop(m, subject, "out of memory");
	}
	/* the URL's path is the name said in EHLO */
	snprintf(url, sizeof(url), "smtp://%s:%u/%s", s->server, s->port, s->helo);
	snprintf(from, sizeof(from), "<%s>", s->from);
	curl_easy_setopt(j->easy, CURLOPT_URL, url);
	curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "smtp");
	curl_easy_setopt(j->easy, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(j->easy, CURLOPT_MAIL_RCPT, j->rcpt);
	curl_easy_setopt(j->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(j->easy, CURLOPT_READFUNCTION, read_text);
	curl_easy_setopt(j->easy, CURLOPT_READDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)s->connect_timeout_ms);
	curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS,
			 (long)s->connect_timeout_ms + (long)MAIL_SESSION_TIMEOUT_MS);
	curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
	/* a connection of its own for every mail: they are rare, and a kept
	 * one would carry the next mail into whatever broke it meanwhile */
	curl_easy_setopt(j->easy, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(j->easy, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
	if (curl_multi_add_handle(m->multi, j->easy) != CURLM_OK) {
		curl_easy_cleanup(j->easy);
		curl_slist_free_all(j->rcpt);
		free(j->text);
		free(j);
		return drop(m, subject, "libcurl refused the transfer");
	}
	j->next = m->jobs;
	m->jobs = j;
	m->n_jobs++;
	return 0;
}
