#!/usr/bin/env bash
# Mail on transitions, as keepalived sends it (smtp_alert), to a real SMTP
# server (aiosmtpd, writing a Maildir) on the node's loopback:
# - a VRRP transition: subject and first line as keepalived's;
# - a real server DOWN (TCP_CHECK on an address nobody serves on);
# - a black-holed SMTP server (connects dropped) holds nothing up: the
#   instance still enters FAULT at once, the mail fails after
#   smtp_connect_timeout, logged and counted;
# - smtp_alert off: no mail.
. "$(dirname "$0")/lib.sh"
e2e_init mail "$1"
# Debian's python3-aiosmtpd: its own command (runs /usr/bin/python3, not
# whatever python3 comes first in PATH)
need aiosmtpd jq nft || summary

lab_bridge
lab_host node1 10.91.0.1/24
# the tracked link: a veth pair inside node1
ns node1 ip link add trk0 type veth peer name trk1
ns node1 ip link set trk0 up
ns node1 ip link set trk1 up
# the service keeps one real server UP (a responder on node1), so that the
# instance carries something; the other (10.91.0.5: an address nobody
# serves on) is DOWN from the start
ns node1 ip addr add 10.91.0.5/32 dev lo
bg_start node1 "$WORK/serve.log" "$BUILD/xvip-probe" serve 10.91.0.1 3307 node1
MAILDIR=$WORK/maildir
bg_start node1 "$WORK/smtpd.log" aiosmtpd -n -l 127.0.0.1:2525 \
	-c aiosmtpd.handlers.Mailbox "$MAILDIR"
smtp_up() { ns node1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2525' 2>/dev/null; }
check "aiosmtpd listens on node1's 127.0.0.1:2525" wait_until 15 smtp_up

# conf ALERT: smtp_alert ALERT in global_defs
conf() {
	cat >"$WORK/node1.conf" <<EOC
global_defs {
    router_id node1
    vrrp_version 3
    notification_email {
        ops@example.com
        dba@example.com
    }
    notification_email_from xvipd@node1.example
    smtp_server 127.0.0.1 2525
    smtp_helo_name node1.example
    smtp_connect_timeout 2
    smtp_alert $1
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 91
    priority 100
    advert_int 0.1
    track_interface {
        trk0
    }
    virtual_ipaddress {
        10.91.0.100
    }
}
virtual_server 10.91.0.100 3307 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    delay_loop 1
    real_server 10.91.0.1 3307 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 10.91.0.5 3307 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOC
}
js() { xctl node1 status --json 2>/dev/null; }
state_is() { [ "$(js | jq -r '.daemon.instances[0].state')" = "$1" ]; }
# mail_with TEXT: a mail in the Maildir contains TEXT (a fixed string)
mail_with() { grep -rlF -- "$1" "$MAILDIR/new" 2>/dev/null | grep -q .; }
mails() { ls "$MAILDIR/new" 2>/dev/null | wc -l; }

conf on
bg_start node1 "$WORK/node1.log" "$BUILD/xvipd" -n -l -f "$WORK/node1.conf" --pin-root "$(pin_of node1)"
XV=$BG_PID
check "node1 becomes MASTER" wait_until 10 state_is MASTER
check "the MASTER mail arrives, with keepalived's subject" wait_until 10 mail_with \
	"Subject: [node1] VRRP Instance VI_1 - Entering MASTER state"
f=$(grep -rlF "Entering MASTER state" "$MAILDIR/new" | head -1)
check "  and keepalived's first line" grep -qF "=> VRRP Instance is now owning VRRP VIPs <=" "$f"
check "  from notification_email_from, to every notification_email" sh -c \
	"grep -q '^From: xvipd@node1.example' '$f' && grep -q '^To: ops@example.com, dba@example.com' '$f'"
check "  saying why, with the VIPs" sh -c "grep -q '^why: ' '$f' && grep -q '^VIPs: 10.91.0.100' '$f'"
check "the real server DOWN mail arrives" wait_until 10 mail_with \
	"Subject: [node1] Realserver [10.91.0.5]:tcp:3307 - DOWN"
check "status counts the mails sent" wait_until 5 sh -c "[ \$('$BUILD/xvipctl' --pin-root '$(pin_of node1)' status --json | jq .daemon.mail.sent) -ge 2 ]"

# --- a black hole where the SMTP server was: nothing waits for it ---------
ns node1 nft -f - <<'EON'
table inet xvmail {
    chain out {
        type filter hook output priority 0;
        tcp dport 2525 drop
    }
}
EON
n0=$(mails)
t0=$(date +%s%N)
ns node1 ip link set trk0 down
check "the tracked link goes down: FAULT at once, the SMTP server black-holed" wait_until 10 state_is FAULT
t1=$(date +%s%N)
note "FAULT $(((t1 - t0) / 1000000)) ms after the link went down (smtp_connect_timeout 2 s)"
check "  in well under smtp_connect_timeout (2 s)" test $(((t1 - t0) / 1000000)) -lt 1500
check "the mail fails after the connect timeout, logged" wait_log "$WORK/node1.log" \
	"VRRP Instance VI_1 - Entering FAULT state' not sent: Failed to connect" 10
check "  and counted" sh -c "[ \$('$BUILD/xvipctl' --pin-root '$(pin_of node1)' status --json | jq .daemon.mail.failed) -ge 1 ]"
check "  no mail arrived meanwhile" test "$(mails)" -eq "$n0"
ns node1 nft delete table inet xvmail
ns node1 ip link set trk0 up
check "the link is back: MASTER again, mailed again" wait_until 10 mail_with \
	"Subject: [node1] VRRP Instance VI_1 - Entering MASTER state" 
check "  a second MASTER mail" wait_until 10 sh -c "[ \$(grep -rlF 'Entering MASTER state' '$MAILDIR/new' | wc -l) -ge 2 ]"

# --- smtp_alert off: nothing ---------------------------------------------
conf off
kill -HUP "$XV"
check "reload with smtp_alert off applied" wait_log "$WORK/node1.log" "reload" 10
sleep 0.5 # the reload is in (the log said so)
n0=$(mails)
ns node1 ip link set trk0 down
check "FAULT again" wait_until 10 state_is FAULT
ns node1 ip link set trk0 up
check "MASTER again" wait_until 10 state_is MASTER
# sampled after both transitions and 2 s for any mail to arrive
sleep 2
check_eq "smtp_alert off: no mail for either transition" "$n0" "$(mails)"

stop_all_gently
sanitizer_check
summary
