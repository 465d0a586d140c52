#!/usr/bin/env bash
# make deb: debhelper builds xvip_VERSION_ARCH.deb from a copy of the tree
# and lintian finds no error or warning (debian/xvip.lintian-overrides says
# why each overridden tag stays). Then the package is installed with dpkg -i
# (binaries, the unit enabled for boot and not started, the configuration as
# a conffile, mode 0600, the BPF objects, man pages, documents), its
# configuration checked with xvipd -t, and purged with dpkg -P.
. "$(dirname "$0")/lib.sh"
e2e_init deb "$1"
need dpkg-buildpackage dh lintian dpkg || summary
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# never over an install that is not this package's
if [ -e /etc/xvip/xvipd.conf ] && ! dpkg -S /etc/xvip/xvipd.conf >/dev/null 2>&1; then
	note "skipped: /etc/xvip/xvipd.conf exists and no package owns it (make install?)"
	summary
fi
INSTALLED=0
trap '[ $INSTALLED = 0 ] || dpkg -P xvip >/dev/null 2>&1; e2e_cleanup' EXIT

check "make deb builds the package, lintian clean" sh -c \
	"cd '$ROOT' && make -s BUILD='$WORK/deb' deb >'$WORK/deb.log' 2>&1 || { tail -30 '$WORK/deb.log'; exit 1; }"
DEB=$(ls "$WORK"/deb/xvip_*.deb 2>/dev/null | head -1)
check "named xvip_VERSION_ARCH.deb" sh -c "basename '$DEB' | grep -qE '^xvip_[0-9][^_]*_[a-z0-9]+\\.deb\$'"
check "it holds the binaries, the unit, the BPF objects, the man pages" sh -c \
	"dpkg-deb -c '$DEB' > '$WORK/contents' && for f in ./usr/sbin/xvipd ./usr/bin/xvipctl ./lib/systemd/system/xvipd.service \
	./usr/lib/xvip/xvip.bpf.o ./usr/share/man/man5/xvipd.conf.5.gz ./usr/share/man/man8/xvipd.8.gz \
	./usr/share/man/man8/xvipctl.8.gz ./usr/share/doc/xvip/configuration.md.gz; do grep -q \" \$f\\\$\" '$WORK/contents' || { echo \"missing \$f\"; exit 1; }; done"

INSTALLED=1
check "dpkg -i installs it" sh -c "dpkg -i '$DEB' >'$WORK/dpkg.log' 2>&1 || { cat '$WORK/dpkg.log'; exit 1; }"
check "/etc/xvip/xvipd.conf is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' xvip | grep -q '/etc/xvip/xvipd.conf'"
check "  mode 0600 (it holds passwords)" sh -c "[ \"\$(stat -c %a /etc/xvip/xvipd.conf)\" = 600 ]"
check "the unit is enabled for boot" test -L /etc/systemd/system/multi-user.target.wants/xvipd.service
check "  and not started: no xvipd runs from the package" sh -c "! pgrep -x -f '/usr/sbin/xvipd -n -l -f /etc/xvip/xvipd.conf' >/dev/null"
check "xvipd -t accepts the installed configuration" /usr/sbin/xvipd -t -f /etc/xvip/xvipd.conf
check "man finds xvipd.conf(5)" sh -c "man -w 5 xvipd.conf | grep -q /usr/share/man/man5/xvipd.conf.5.gz"
check "xvipctl runs" sh -c "/usr/bin/xvipctl --help 2>&1 | grep -q 'usage: xvipctl'"
check "dpkg -P removes it" sh -c "dpkg -P xvip >'$WORK/dpkg-r.log' 2>&1 || { cat '$WORK/dpkg-r.log'; exit 1; }"
INSTALLED=0
check "  binaries, unit link and configuration gone" sh -c \
	"[ ! -e /usr/sbin/xvipd ] && [ ! -e /etc/xvip/xvipd.conf ] && [ ! -L /etc/systemd/system/multi-user.target.wants/xvipd.service ]"
summary
