#!/usr/bin/env bash
# MYSQL_CHECK over TLS (issue 10): a real mariadbd that refuses plain TCP
# (require_secure_transport, its certificate signed by a CA made here, for
# its address), and xvipd's checks of it:
# - ssl_ca alone (verify_identity): UP; the server took it, so it was TLS;
# - no TLS settings: DOWN, the server's refusal as the reason (MariaDB
#   10.11 answers "Access denied" to the credentials that work over TLS);
# - ssl_ca of another CA: DOWN, the certificate as the reason (verified);
# - ssl_mode required with that wrong CA: UP (encrypted, not verified);
# - a certificate made for another address: verify_identity DOWN,
#   verify_ca (the chain only) UP;
# - xvipd -t prints the TLS settings.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql_lib.sh"
e2e_init mytls "$1"
need mariadbd mariadb openssl || summary

lab_bridge
lab_host db1 10.93.0.1/24
VIP=10.93.0.100
N1=10.93.0.1
N2=10.93.0.2 # nobody: the second real server of the config is DOWN throughout

# a CA, and the server's certificate for its address (and one for another)
PKI=$WORK/pki
mkdir -p "$PKI"
mkcert() { # NAME CN SAN CA
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$2" \
		-keyout "$PKI/$1.key" -out "$PKI/$1.csr" 2>/dev/null &&
		printf 'subjectAltName=%s\n' "$3" >"$PKI/$1.ext" &&
		openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$4.pem" -CAkey "$PKI/$4.key" -CAcreateserial \
			-days 2 -extfile "$PKI/$1.ext" -out "$PKI/$1.pem" 2>/dev/null
}
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$PKI/$1.key" -out "$PKI/$1.pem" 2>/dev/null
}
check_here "a CA and a server certificate for $N1" sh -c \
	"$(declare -f mkca mkcert); PKI='$PKI'; mkca ca && mkca otherca && mkcert server db1 IP:$N1 ca && mkcert elsewhere db1 IP:10.93.0.9 ca"
chmod 644 "$PKI"/*.key

check_here "mariadbd starts on db1 with TLS, plain TCP refused" db_start db1 1 1 \
	--ssl-ca="$PKI/ca.pem" --ssl-cert="$PKI/server.pem" --ssl-key="$PKI/server.key" \
	--require-secure-transport=ON
plain_refused() {
	ns db1 env MYSQL_PWD="$DB_MON_PASS" mariadb --no-defaults --skip-ssl -h $N1 \
		-u "$DB_MON_USER" -e 'SELECT 1' 2>&1 | grep -q 'insecure transport\|Access denied'
}
check "a client without TLS is refused by the server itself" plain_refused

# run_case NAME CHECK_EXTRA: xvipd on db1 with these MYSQL_CHECK lines,
# its log in $L
run_case() {
	XC_CHECK_EXTRA=$2 xvipd_mysql_conf "$WORK/$1.conf" db1 100 $VIP 93 $N1 $N2
	L=$WORK/xvipd-$1.log
	bg_start db1 "$L" "$BUILD/xvipd" -n -l -f "$WORK/$1.conf" --pin-root "$(pin_of db1)"
	XPID=$BG_PID
}
end_case() { bg_stop "$XPID"; wait_gone "$XPID" 10; }
up_re="real server $N1:3306 is UP"
down_re="real server $N1:3306 is DOWN"

note "verify_identity (ssl_ca alone)"
run_case verify "ssl_ca $PKI/ca.pem"
check "xvipd -t accepts it and prints ssl_mode verify_identity" sh -c \
	"'$BUILD/xvipd' -t -f '$WORK/verify.conf' 2>&1 | grep -q 'ssl_mode verify_identity'"
check "the check of the TLS-only server is UP (the server took it: TLS)" wait_log "$L" "$up_re" 15
end_case

note "no TLS settings"
run_case plain ""
check "DOWN, with the server's refusal as the reason" \
	wait_until 15 sh -c "grep '$down_re' '$L' | grep -q 'insecure transport\\|Access denied'"
check "and never UP" sh -c "! grep -q '$up_re' '$L'"
end_case

note "ssl_ca of another CA"
run_case wrongca "ssl_ca $PKI/otherca.pem"
check "DOWN, the certificate as the reason" \
	wait_until 15 sh -c "grep '$down_re' '$L' | grep -qi 'certificate\|ssl\|tls'"
check "and never UP" sh -c "! grep -q '$up_re' '$L'"
end_case

note "ssl_mode required with that wrong CA: encrypted, not verified"
run_case required "ssl_mode required
ssl_ca $PKI/otherca.pem"
check "xvipd -t warns that required does not check the certificate" sh -c \
	"'$BUILD/xvipd' -t -f '$WORK/required.conf' 2>&1 | grep -q 'does not check the server.s certificate: its ssl_ca is not used'"
check "UP" wait_log "$L" "$up_re" 15
end_case

note "a certificate for another address"
db_stop db1
check_here "mariadbd restarts with a certificate for 10.93.0.9" db_start db1 1 1 \
	--ssl-ca="$PKI/ca.pem" --ssl-cert="$PKI/elsewhere.pem" --ssl-key="$PKI/elsewhere.key" \
	--require-secure-transport=ON
run_case wrongname "ssl_ca $PKI/ca.pem"
check "verify_identity: DOWN (the name is checked, not only the chain)" \
	wait_until 15 sh -c "grep '$down_re' '$L' | grep -qi 'certificate\|ssl\|tls\|hostname\|match'"
check "and never UP" sh -c "! grep -q '$up_re' '$L'"
grep -h "$down_re" "$L" | tail -1 | sed 's/^/# verify_identity: /'
end_case
run_case wrongname_ca "ssl_mode verify_ca
ssl_ca $PKI/ca.pem"
check "verify_ca (the chain only): UP" wait_log "$L" "$up_re" 15
end_case

summary
