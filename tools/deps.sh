#!/bin/sh
# Install every build and test dependency that is missing (Debian/Ubuntu);
# the argument `bench` is still accepted (gnuplot, which the bench's
# pictures need, is now one of the test dependencies: test_bench_plots.sh).
# Idempotent: does nothing, quickly, when all are there.
set -eu
PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
default-libmysqlclient-dev libnl-3-dev libnl-route-3-dev libcmocka-dev
mariadb-server mariadb-client keepalived iproute2 arping tcpdump nftables procps
psmisc ethtool libzookeeper-st-dev zookeeper libmicrohttpd-dev jq
libcurl4-openssl-dev libssl-dev python3-aiosmtpd dpkg-dev debhelper lintian gnuplot-nox openssl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# promtool (Prometheus' checker, for tests/e2e/test_metrics_http.sh) is
# taken out of Debian's prometheus package without installing it: no
# Prometheus server gets installed or enabled on the machine for it.
PROMTOOL_DIR=/usr/local/lib/xvip-test
fetch_promtool() {
	command -v promtool >/dev/null 2>&1 && return 0
	[ -x "$PROMTOOL_DIR/promtool" ] && return 0
	[ "$(id -u)" = 0 ] || { echo "deps: need root to fetch promtool" >&2; return 1; }
	t=$(mktemp -d)
	if (cd "$t" && apt-get download -q prometheus >/dev/null 2>&1) ||
	   { apt-get update -q >/dev/null && (cd "$t" && apt-get download -q prometheus >/dev/null); }; then
		dpkg-deb -x "$t"/prometheus_*.deb "$t/x" && mkdir -p "$PROMTOOL_DIR" &&
			cp "$t/x/usr/bin/promtool" "$PROMTOOL_DIR/promtool" &&
			echo "deps: promtool from Debian's prometheus package in $PROMTOOL_DIR"
	else
		echo "deps: cannot download the prometheus package for promtool" >&2
	fi
	rm -rf "$t"
}
if [ -z "$missing" ]; then
	fetch_promtool
	exit 0
fi
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install packages:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# The distribution's services must not start on install (mariadb, keepalived, zookeeper):
# tests start their own instances inside network namespaces.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -q --no-install-recommends $missing
fetch_promtool
