#!/bin/sh
# Install every build and test dependency that is missing (Debian/Ubuntu);
# with the argument `bench`, also the bench's (gnuplot for its pictures).
# Idempotent: does nothing, quickly, when all are there.
set -eu
PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
default-libmysqlclient-dev libnl-3-dev libnl-route-3-dev libcmocka-dev
mariadb-server mariadb-client keepalived iproute2 arping tcpdump nftables procps
psmisc ethtool libzookeeper-st-dev zookeeper"
# tools/deps.sh bench: also what `make bench` alone needs (its pictures)
if [ "${1:-}" = bench ]; then PKGS="$PKGS gnuplot-nox"; fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
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
