#!/usr/bin/env bash
# netns-hosts.sh: test hosts made on this machine — network namespaces joined by veth pairs, each
# running a real sshd (openssh-server) on its own 10.x address — so that the lab's SSH host layer
# (electron/engine/hosts) is tested against real OpenSSH without any traffic leaving this machine.
#
#   bash scripts/netns-hosts.sh up [2|3]   make the hosts (default 3: srv, gen1, gen2); idempotent
#   bash scripts/netns-hosts.sh down       remove everything up made (namespaces, links, keys, sshds)
#   bash scripts/netns-hosts.sh status     one line per host; exit 0 only when every host answers
#
# Layout (SUBNET defaults to 10.213.0; every address is in SUBNET.0/24):
#
#   this machine (the lab)        P-sw (a switch)          P-srv  / P-gen1 / P-gen2
#   P-lab  SUBNET.1/24  ===veth=== lab ─┐                   eth0  SUBNET.2 / .3 / .4
#                                       br0 ── to-srv ===veth=== eth0 (P-srv)
#                                       br0 ── to-gen1 ==veth=== eth0 (P-gen1) ...
#
# The bridge lives in its own namespace, so this machine gets exactly one link (P-lab, a veth
# whose peer is in P-sw) and one route (SUBNET.0/24 via P-lab): the namespaces have no default
# route and IPv6 is off on every link made here, so nothing addressed inside can go anywhere else.
# gen2 is a load-only host: nginx, lighttpd, redis-server and memcached are hidden in its mount
# namespace (bind-mounted /dev/null), so the host check has a real host without a server to
# fail on. srv and gen1 log root in with /bin/sh (a copy of /etc/passwd bind-mounted in their mount
# namespace): a login shell that reads rc files (bash reads ~/.bashrc under sshd) costs its
# startup on every command; gen2 keeps this machine's own login shell, so the lab is also tested
# against a bash login shell. Every namespace shares this machine's filesystem and process table (that is what
# `ip netns exec` gives): only the network is separate.
#
# Keys and configuration go to DIR (mode 700): a host key per sshd, one client key, known_hosts,
# and ssh_config — pass it to ssh with -F DIR/ssh_config (hosts by name P-srv, P-gen1, P-gen2, or by
# address). DIR/hosts lists "name address namespace" per host.
#
# Environment: SAIO_NETNS_PREFIX (P, default "saio"), SAIO_NETNS_SUBNET (default "10.213.0"),
# SAIO_NETNS_DIR (default /run/P-netns-hosts). Needs root, iproute2 (ip), openssh-server (sshd)
# and openssh-client (ssh-keygen), util-linux (mount).
set -euo pipefail

P=${SAIO_NETNS_PREFIX:-saio}
SUBNET=${SAIO_NETNS_SUBNET:-10.213.0}
DIR=${SAIO_NETNS_DIR:-/run/$P-netns-hosts}
SSHD=${SAIO_NETNS_SSHD:-/usr/sbin/sshd}
ALL_HOSTS=(srv gen1 gen2)
HIDDEN_ON_GEN2=(nginx lighttpd redis-server memcached)

die() {
	echo "netns-hosts: $*" >&2
	exit 1
}
usage() {
	echo "usage: netns-hosts.sh up [2|3] | down | status" >&2
	exit 2
}

[[ $P =~ ^[a-z][a-z0-9]{0,7}$ ]] || die "SAIO_NETNS_PREFIX=$P: expected 1 to 8 of a-z, 0-9 (it names links, at most 15 characters)"
[[ $SUBNET =~ ^10\.([0-9]{1,3})\.([0-9]{1,3})$ ]] && ((BASH_REMATCH[1] < 256 && BASH_REMATCH[2] < 256)) ||
	die "SAIO_NETNS_SUBNET=$SUBNET: expected the first three octets of a 10.x.y.0/24 network, e.g. 10.213.0"

host_index() { # srv -> 0
	local i
	for i in "${!ALL_HOSTS[@]}"; do [ "${ALL_HOSTS[$i]}" = "$1" ] && echo "$i" && return; done
	return 1
}
addr_of() { echo "$SUBNET.$(($(host_index "$1") + 2))"; }
ns_of() { echo "$P-$1"; }

preflight() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (it creates network namespaces and starts sshd): sudo bash $0 $*"
	command -v ip >/dev/null || die "'ip' is missing: apt-get install iproute2"
	[ -x "$SSHD" ] || die "$SSHD is missing: apt-get install openssh-server"
	command -v ssh-keygen >/dev/null || die "ssh-keygen is missing: apt-get install openssh-client"
	command -v mount >/dev/null || die "mount is missing: apt-get install mount"
}

# Every namespace and link this prefix may have made, whether or not up finished.
namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P-(sw|srv|gen1|gen2)$" || true; }

# 0 when `name` answers SSH on its address (a banner within 3 s).
answers() {
	local banner
	banner=$(timeout 3 bash -c "exec 3<>/dev/tcp/$(addr_of "$1")/22 && head -c 4 <&3" 2>/dev/null) || return 1
	[ "$banner" = "SSH-" ]
}

status() {
	local ok=0 n=0 name
	if [ ! -f "$DIR/hosts" ]; then
		echo "no hosts (run: bash scripts/netns-hosts.sh up)"
		return 1
	fi
	while read -r name addr ns; do
		n=$((n + 1))
		if ! ip netns list | awk '{print $1}' | grep -qx "$ns"; then
			echo "$name $addr $ns: namespace missing"
		elif answers "$name"; then
			echo "$name $addr $ns: up (ssh -F $DIR/ssh_config $P-$name)"
			ok=$((ok + 1))
		else
			echo "$name $addr $ns: sshd does not answer on $addr:22 (log: $DIR/$name/sshd.log)"
		fi
	done < "$DIR/hosts"
	[ "$n" -gt 0 ] && [ "$ok" -eq "$n" ]
}

down() {
	local ns pid
	for ns in $(namespaces); do
		# Everything still running in our namespaces (the sshds, anything a test left) goes first:
		# a namespace outlives `ip netns del` while a process holds it.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	# Deleting P-sw took the peer of P-lab with it; a half-made P-lab without a peer goes here.
	ip link del "$P-lab" 2>/dev/null || true
	rm -rf "$DIR"
}

check_subnet_free() {
	# A route of this machine that already covers SUBNET (other than the default route) means
	# that network exists here: refuse rather than shadow it.
	local clash
	clash=$(ip -4 route show to match "$SUBNET.2" | grep -v '^default ' | grep -v " dev $P-lab " || true)
	[ -z "$clash" ] || die "$SUBNET.0/24 is already routed on this machine ($clash): choose another SAIO_NETNS_SUBNET"
	clash=$(ip -4 -o addr show | grep -F " $SUBNET." | grep -v " $P-lab " || true)
	[ -z "$clash" ] || die "an address in $SUBNET.0/24 is already assigned here ($clash): choose another SAIO_NETNS_SUBNET"
}

no_ipv6() { # no_ipv6 NS: no IPv6 at all inside the namespace (no link-local chatter)
	ip netns exec "$1" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null || true
}

start_sshd() { # start_sshd NAME
	local name=$1 addr ns hide=""
	addr=$(addr_of "$name")
	ns=$(ns_of "$name")
	mkdir -p "$DIR/$name"
	ssh-keygen -q -t ed25519 -N '' -C "$P-$name host key" -f "$DIR/$name/ssh_host_ed25519_key"
	cat > "$DIR/$name/sshd_config" <<-EOF
		# sshd of test host $name ($ns), made by scripts/netns-hosts.sh
		ListenAddress $addr:22
		HostKey $DIR/$name/ssh_host_ed25519_key
		PidFile $DIR/$name/sshd.pid
		AuthorizedKeysFile $DIR/authorized_keys
		PermitRootLogin prohibit-password
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes yes
		PrintMotd no
		# one ControlMaster connection carries every command and process of a run
		MaxSessions 128
		MaxStartups 64
		Subsystem sftp internal-sftp
	EOF
	if [ "$name" != gen2 ]; then
		hide="mount --bind $DIR/passwd-sh /etc/passwd &&"
	else
		local b path
		for b in "${HIDDEN_ON_GEN2[@]}"; do
			path=$(command -v "$b" 2>/dev/null || true)
			[ -n "$path" ] && hide="$hide mount --bind /dev/null $path &&"
		done
	fi
	mkdir -p /run/sshd # sshd's privilege-separation directory
	# `ip netns exec` runs in a mount namespace of its own; gen2's hidden servers stay hidden there.
	ip netns exec "$ns" sh -c "$hide exec $SSHD -f $DIR/$name/sshd_config -E $DIR/$name/sshd.log" ||
		die "sshd of $name did not start (log: $DIR/$name/sshd.log)"
}

up() {
	local count=${1:-3} name ns i
	[[ $count =~ ^[23]$ ]] || usage
	local hosts=("${ALL_HOSTS[@]:0:$count}")
	if [ -f "$DIR/hosts" ] && [ "$(wc -l < "$DIR/hosts")" -eq "$count" ] && status > /dev/null; then
		status
		return 0
	fi
	down # a partial or different set: start over
	check_subnet_free
	mkdir -p "$DIR"
	chmod 700 "$DIR"

	ip netns add "$P-sw"
	ip -n "$P-sw" link set lo up
	no_ipv6 "$P-sw"
	ip -n "$P-sw" link add br0 type bridge
	ip -n "$P-sw" link set br0 up
	ip link add "$P-lab" type veth peer name lab netns "$P-sw"
	echo 1 > "/proc/sys/net/ipv6/conf/$P-lab/disable_ipv6" 2>/dev/null || true
	ip addr add "$SUBNET.1/24" dev "$P-lab"
	ip link set "$P-lab" up
	ip -n "$P-sw" link set lab master br0 up

	ssh-keygen -q -t ed25519 -N '' -C "saio-lab client ($P netns hosts)" -f "$DIR/client_ed25519"
	cp "$DIR/client_ed25519.pub" "$DIR/authorized_keys"
	: > "$DIR/known_hosts"
	awk -F: -v OFS=: '$1 == "root" { $7 = "/bin/sh" } { print }' /etc/passwd > "$DIR/passwd-sh"
	chmod 644 "$DIR/passwd-sh"
	: > "$DIR/hosts"
	for name in "${hosts[@]}"; do
		ns=$(ns_of "$name")
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		no_ipv6 "$ns"
		ip -n "$P-sw" link add "to-$name" type veth peer name eth0 netns "$ns"
		ip -n "$P-sw" link set "to-$name" master br0 up
		ip -n "$ns" addr add "$(addr_of "$name")/24" dev eth0
		ip -n "$ns" link set eth0 up
		start_sshd "$name"
		echo "$(addr_of "$name") $(cut -d' ' -f1,2 "$DIR/$name/ssh_host_ed25519_key.pub")" >> "$DIR/known_hosts"
		echo "$name $(addr_of "$name") $ns" >> "$DIR/hosts"
	done

	{
		echo "# ssh_config for the test hosts of scripts/netns-hosts.sh: ssh -F $DIR/ssh_config $P-srv"
		for name in "${hosts[@]}"; do
			printf 'Host %s\n  HostName %s\n' "$P-$name" "$(addr_of "$name")"
		done
		cat <<-EOF
			Host $P-* $SUBNET.*
			  User root
			  IdentityFile $DIR/client_ed25519
			  IdentitiesOnly yes
			  UserKnownHostsFile $DIR/known_hosts
			  GlobalKnownHostsFile /dev/null
			  StrictHostKeyChecking yes
			  BatchMode yes
			  ConnectTimeout 5
		EOF
	} > "$DIR/ssh_config"

	for i in $(seq 1 50); do
		ok=1
		for name in "${hosts[@]}"; do answers "$name" || ok=0; done
		[ $ok = 1 ] && break
		sleep 0.1
	done
	status || die "not every sshd answers (see above)"
	echo "ssh config: $DIR/ssh_config"
}

case ${1:-} in
up)
	preflight "$@"
	up "${2:-3}"
	;;
down)
	preflight "$@"
	down
	echo "netns-hosts: removed"
	;;
status)
	status
	;;
*) usage ;;
esac
