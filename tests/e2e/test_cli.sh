#!/usr/bin/env bash
# The command-line contract: xvipd -t on our users' keepalived.conf files and
# on broken ones, refusing to start on errors, make install, the systemd unit.
# Needs no network: nothing here sends a packet.
. "$(dirname "$0")/lib.sh"
e2e_init cli "$1"
SEED=tests/unit/config
XVIPD=$BUILD/xvipd

note "xvipd -t on the seed files"
for f in seed-master1 seed-master2; do
	"$XVIPD" -t -f "$SEED/$f.conf" >"$WORK/$f.out" 2>"$WORK/$f.err"
	check_eq "$f.conf is accepted (exit 0)" 0 $?
	check "$f.conf: nb_get_retry warned at its line" grep -q "$f.conf:39: warning: 'nb_get_retry' is deprecated" "$WORK/$f.err"
	check "$f.conf: unclosed virtual_server warned with the line it opened" grep -q "$f.conf:28: warning: 'virtual_server' block opened here is not closed" "$WORK/$f.err"
	check "$f.conf: normalized config printed" grep -q "^vrrp_instance VI_1 {" "$WORK/$f.out"
done
check "seed-master1.conf: state MASTER + nopreempt explained" grep -q "seed-master1.conf:18: warning: .*nopreempt.*starts as BACKUP" "$WORK/seed-master1.err"
"$XVIPD" -t -f "$WORK/seed-master1.out" >"$WORK/again.out" 2>"$WORK/again.err"
check_eq "the normalized config loads again (exit 0)" 0 $?
check "with no warning left (but this host's: the seed's scripts do not exist here)" \
	sh -c "! grep -v -e 'disabled: ' -e 'scripts run as root' -e 'script(s) disabled' '$WORK/again.err'"
check "-t hides auth_pass" grep -q "^        auth_pass \*\*\*\*\*\*\*\*$" "$WORK/seed-master1.out"
check "-t does not print the seed's auth_pass" sh -c "! grep -q '1111' '$WORK/seed-master1.out'"
check "-t: a notify script missing on this host is disabled, at its line" \
	grep -q "seed-master1.conf:36: warning: real_server notify_down disabled: /etc/keepalived/check_mysql.sh: No such file" "$WORK/seed-master1.err"
check "and normalizing it again changes nothing" sh -c "'$XVIPD' -t -f '$WORK/again.out' 2>/dev/null | diff - '$WORK/again.out'"

note "broken configuration"
cat >"$WORK/bad.conf" <<'EOC'
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority abc
    virtual_ipaddress {
        10.0.0.300
    }
}
}
EOC
"$XVIPD" -t -f "$WORK/bad.conf" >/dev/null 2>"$WORK/bad.err"
check_eq "xvipd -t exits 1 on errors" 1 $?
check "bad number reported as file:line" grep -q "bad.conf:4: error: .*abc" "$WORK/bad.err"
check "bad address reported as file:line" grep -q "bad.conf:6: error: .*10.0.0.300" "$WORK/bad.err"
check "stray brace reported as file:line" grep -q "bad.conf:9: error" "$WORK/bad.err"
timeout 10 "$XVIPD" -n -l -f "$WORK/bad.conf" --pin-root "$WORK/bpf/none" >"$WORK/start.out" 2>&1
check_eq "the daemon refuses to start on a broken config (exit 1)" 1 $?
check "and says why, with file:line" grep -q "bad.conf:4: error" "$WORK/start.out"
check "nothing was pinned" test ! -e "$WORK/bpf/none/vips"
"$XVIPD" -t -f "$WORK/missing.conf" >/dev/null 2>"$WORK/missing.err"
check_eq "a missing file exits 1" 1 $?
check "and is named" grep -q "missing.conf" "$WORK/missing.err"
"$XVIPD" --generic --native -t -f "$WORK/missing.conf" >/dev/null 2>"$WORK/modes.err"
check_eq "--generic with --native exits 1" 1 $?
check "and says they exclude each other" grep -q "generic and --native exclude each other" "$WORK/modes.err"

note "make install into a scratch tree"
ROOT=$WORK/root
# -o all: install what the build under test holds, never rebuild it here. A
# source edited since the build made this make recompile objects into a
# sanitized BUILD without the sanitizer flags (SAN is not passed), fail to
# link and leave the build dir mixed.
check "make install succeeds" make -s -o all BUILD="$BUILD" LIB_SRCS="${LIB_SRCS:-$(ls user/*.c | grep -v xvipd.c)}" install \
	PREFIX="$ROOT/usr" SYSCONFDIR="$ROOT/etc" SYSTEMD_DIR="$ROOT/unit" ENABLE=0
check "binaries installed" test -x "$ROOT/usr/sbin/xvipd" -a -x "$ROOT/usr/bin/xvipctl"
check "man pages installed: xvipd(8), xvipctl(8), xvipd.conf(5)" test -s "$ROOT/usr/share/man/man8/xvipd.8" \
	-a -s "$ROOT/usr/share/man/man8/xvipctl.8" -a -s "$ROOT/usr/share/man/man5/xvipd.conf.5"
check "example config installed, mode 0600" sh -c "[ \"\$(stat -c %a '$ROOT/etc/xvip/xvipd.conf')\" = 600 ]"
check "the example config is valid" "$ROOT/usr/sbin/xvipd" -t -f "$ROOT/etc/xvip/xvipd.conf"
echo "! edited by the operator" >>"$ROOT/etc/xvip/xvipd.conf"
make -s -o all BUILD="$BUILD" LIB_SRCS="${LIB_SRCS:-$(ls user/*.c | grep -v xvipd.c)}" install \
	PREFIX="$ROOT/usr" SYSCONFDIR="$ROOT/etc" SYSTEMD_DIR="$ROOT/unit" ENABLE=0 >/dev/null 2>&1
check "a second install keeps the operator's config" grep -q "edited by the operator" "$ROOT/etc/xvip/xvipd.conf"
check "unit points at the installed binary" grep -q "ExecStart=$ROOT/usr/sbin/xvipd -n -l -f $ROOT/etc/xvip/xvipd.conf" "$ROOT/unit/xvipd.service"
check "unit is enabled for boot (WantedBy=multi-user.target)" grep -q "WantedBy=multi-user.target" "$ROOT/unit/xvipd.service"
check "unit reloads with SIGHUP" grep -q 'ExecReload=/bin/kill -HUP $MAINPID' "$ROOT/unit/xvipd.service"
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify accepts the unit" systemd-analyze verify "$ROOT/unit/xvipd.service"
else
	note "systemd-analyze not installed: unit not verified"
fi
summary
