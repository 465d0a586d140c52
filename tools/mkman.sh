#!/bin/sh
# mkman.sh SRC.md NAME SECTION "SUMMARY" > NAME.SECTION
# A man page from one of docs/' markdown files, so that the page cannot
# drift from the document (docs/configuration.md -> xvipd.conf(5),
# docs/xvipd.8.md -> xvipd(8), docs/xvipctl.8.md -> xvipctl(8)). Knows the
# markdown those files use: headings, paragraphs, `code`, **bold**, *it*,
# [links](...), bullet lists, fenced code blocks, tables (each row a tagged
# paragraph: the first cell as the tag, the others after it).
set -eu
[ $# -eq 4 ] || { echo "usage: $0 SRC.md NAME SECTION SUMMARY" >&2; exit 2; }
src=$1 name=$2 sect=$3 summary=$4
version=${XVIP_VERSION:-xvip}
${AWK:-awk} -v name="$name" -v sect="$sect" -v summary="$summary" -v version="$version" '
function esc(s) {
	gsub(/\\/, "\\e", s)
	return s
}
# inline markup of an already escaped text
function inline(s,   out, m, st, ln) {
	# links: keep the text
	while (match(s, /\[[^]]*\]\([^)]*\)/)) {
		m = substr(s, RSTART, RLENGTH)
		sub(/\]\(.*/, "", m)
		s = substr(s, 1, RSTART - 1) substr(m, 2) substr(s, RSTART + RLENGTH)
	}
	out = ""
	while (match(s, /`[^`]*`/)) {
		st = RSTART; ln = RLENGTH # emph() matches too
		out = out emph(substr(s, 1, st - 1)) "\\fB" substr(s, st + 1, ln - 2) "\\fR"
		s = substr(s, st + ln)
	}
	return out emph(s)
}
function emph(s) {
	while (match(s, /\*\*[^*]+\*\*/))
		s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) "\\fR" substr(s, RSTART + RLENGTH)
	while (match(s, /\*[^* ][^*]*\*/))
		s = substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
	return s
}
# a line of text must not start with a control character
function line(s) {
	if (s ~ /^[.\047]/)
		s = "\\&" s
	print s
}
function cells(row, c,   n, i, t) {
	gsub(/\\e\|/, "\001", row) # an escaped | (\| in the table, \e| once escaped)
	sub(/^[ \t]*\|/, "", row)
	sub(/\|[ \t]*$/, "", row)
	n = split(row, c, "|")
	for (i = 1; i <= n; i++) {
		t = c[i]
		gsub(/\001/, "|", t)
		gsub(/^[ \t]+|[ \t]+$/, "", t)
		c[i] = t
	}
	return n
}
# a paragraph or list item is gathered first: emphasis may span lines
function flush() {
	if (buf == "")
		return
	if (kind == "item")
		print ".IP \\(bu 2"
	else if (kind == "para")
		print ".PP"
	line(inline(esc(buf)))
	buf = ""; kind = ""
}
function add(k, t) {
	if (k != "" && buf != "")
		flush()
	if (k != "")
		kind = k
	buf = buf (buf == "" ? "" : " ") t
}
BEGIN {
	printf ".TH %s %s \"\" \"%s\" \"xvip\"\n", toupper(name), sect, version
	print ".SH NAME"
	printf "%s \\- %s\n", name, summary
	code = 0; header = 0; buf = ""; kind = ""
}
code {
	if ($0 ~ /^```/) { print ".fi"; print ".RE"; code = 0; next }
	line(esc($0))
	next
}
/^```/ { flush(); print ".PP"; print ".RS 4"; print ".nf"; code = 1; next }
/^# / { next } # the title: NAME says it
# section names in capitals, as man pages have them; the section of a
# keyword (global_defs, vrrp_sync_group NAME) as it is written in a file
/^## / {
	flush(); t = esc(substr($0, 4)); gsub(/`/, "", t)
	print ".SH " (t ~ /^[a-z]+_[a-z_]+/ ? "\"" t "\"" : toupper(t)); header = 0; next
}
/^### / { flush(); print ".SS " inline(esc(substr($0, 5))); header = 0; next }
/^\|/ {
	flush()
	n = cells(esc($0), c)
	if (!header) { header = 1; next } # the header row
	if (c[1] ~ /^-+$/) next            # the rule under it
	print ".TP"
	line(inline(c[1]))
	t = ""
	for (i = 2; i <= n; i++) {
		if (c[i] == "" || c[i] == "—") continue
		if (i == n && n >= 3 && t != "")
			t = t " (default: " inline(c[i]) ")"
		else
			t = t (t == "" ? "" : "; ") inline(c[i])
	}
	line(t)
	next
}
/^[ \t]*$/ { flush(); header = 0; next }
/^[-*] / { add("item", substr($0, 3)); next }
/^[0-9]+\. / { add("item", $0); next }
{
	header = 0
	t = $0
	sub(/^ +/, "", t)
	if (buf == "")
		add("para", t)
	else
		add("", t) # a continuation line
}
END { flush(); if (code) { print ".fi"; print ".RE" } }
' "$src"
