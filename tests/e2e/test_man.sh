#!/usr/bin/env bash
# The man pages: made from docs/ by tools/mkman.sh (make builds them into
# BUILD/man), so they cannot drift from the documents; this test keeps the
# documents from drifting from the programs.
# - each page renders without a groff warning;
# - xvipd.conf(5) names every keyword the parser knows (user/config_*.c);
# - xvipd(8) names every option of `xvipd --help`, xvipctl(8) every command
#   of `xvipctl --help`;
# - the pages in BUILD/man are the ones docs/ makes now (not stale).
. "$(dirname "$0")/lib.sh"
e2e_init man "$1"
need man groff col || summary
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAN=$BUILD/man

for p in xvipd.8 xvipctl.8 xvipd.conf.5; do
	check "$p is built" test -s "$MAN/$p"
	check "$p renders without a warning" sh -c \
		"out=\$(man --warnings=w -l -Tutf8 '$MAN/$p' 2>&1 >/dev/null); [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
	man -l -Tutf8 "$MAN/$p" 2>/dev/null | col -b >"$WORK/$p.txt"
done
fresh() {
	local src=$1 name=$2 sect=$3
	XVIP_VERSION=x "$ROOT/tools/mkman.sh" "$ROOT/docs/$src" "$name" "$sect" s | sed '1,3d' >"$WORK/a"
	sed '1,3d' "$MAN/$name.$sect" >"$WORK/b"
	cmp -s "$WORK/a" "$WORK/b"
}
check "xvipd.conf.5 is docs/configuration.md as it is now" fresh configuration.md xvipd.conf 5
check "xvipd.8 is docs/xvipd.8.md as it is now" fresh xvipd.8.md xvipd 8
check "xvipctl.8 is docs/xvipctl.8.md as it is now" fresh xvipctl.8.md xvipctl 8

# every keyword of the parser's tables (KEY*("name", ...))
{
	grep -ho 'KEY[A-Z_]*("[a-zA-Z_0-9]*"' "$ROOT"/user/config_*.c | sed 's/.*("//; s/"//'
	# and the blocks (vrrp_instance, real_server, MYSQL_CHECK, ...)
	grep -ho 'block_def [a-z_]* = { "[A-Za-z_]*"' "$ROOT"/user/config_*.c | sed 's/.*{ "//; s/"//'
} | sort -u >"$WORK/keywords"
missing() { # LIST PAGE.txt: the words of LIST that PAGE never names
	local w
	while read -r w; do
		grep -qE -- "(^|[^a-zA-Z0-9_-])$w([^a-zA-Z0-9_]|\$)" "$2" || echo "$w"
	done <"$1"
}
check "the parser knows $(wc -l <"$WORK/keywords") keywords" test "$(wc -l <"$WORK/keywords")" -gt 90
check "xvipd.conf(5) names every one of them" sh -c \
	"m=\$(cd '$WORK' && $(declare -f missing); missing keywords xvipd.conf.5.txt); [ -z \"\$m\" ] || { echo \"not in the page: \$m\"; exit 1; }"

"$BUILD/xvipd" --help 2>&1 | grep -oE -- '(^| )--?[a-zA-Z][a-zA-Z-]*' | tr -d ' ' | sort -u >"$WORK/options"
check "xvipd --help lists options" test "$(wc -l <"$WORK/options")" -ge 10
check "xvipd(8) names every option of xvipd --help" sh -c \
	"m=\$(cd '$WORK' && $(declare -f missing); missing options xvipd.8.txt); [ -z \"\$m\" ] || { echo \"not in the page: \$m\"; exit 1; }"
"$BUILD/xvipctl" --help 2>&1 | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' | sort -u >"$WORK/commands"
check "xvipctl --help lists commands" test "$(wc -l <"$WORK/commands")" -ge 10
check "xvipctl(8) names every command of xvipctl --help" sh -c \
	"m=\$(cd '$WORK' && $(declare -f missing); missing commands xvipctl.8.txt); [ -z \"\$m\" ] || { echo \"not in the page: \$m\"; exit 1; }"

summary
