#!/usr/bin/env bash
# slurm-setup.sh: brings up a one-node Slurm cluster on this machine for the
# integration tests of sweep/slurm (Debian packages munge, slurmctld, slurmd,
# slurm-client; no systemd needed). Idempotent: a second run finds the
# daemons up and only waits for the node to be idle.
#
# The configuration follows slurm.conf(5) for Slurm 22.05 (Debian 12):
# proctrack/linuxproc and task/none need neither cgroups nor systemd, and
# select/cons_tres with CR_CPU lets the node run one array task per CPU.
#
# It refuses to touch a slurm.conf that it did not write, so running it on a
# machine with a real cluster configuration changes nothing there.
set -euo pipefail

conf_dir=/etc/slurm
conf="$conf_dir/slurm.conf"
marker="# written by fluens .ci/slurm-setup.sh"
log_dir=/var/log/slurm
state_dir=/var/lib/slurm/slurmctld
spool_dir=/var/lib/slurm/slurmd

say() { echo "slurm-setup: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
	say "must run as root (installs packages and starts daemons)"
	exit 1
fi

# 1. Packages.
need=()
command -v munged >/dev/null 2>&1 || need+=(munge)
command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || need+=(slurmd)
command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# 2. Munge: a key, then the daemon.
if [ ! -s /etc/munge/munge.key ]; then
	say "creating /etc/munge/munge.key"
	mkdir -p /etc/munge
	if command -v mungekey >/dev/null 2>&1; then
		mungekey --create --keyfile=/etc/munge/munge.key
	else
		dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
	fi
fi
chown munge:munge /etc/munge/munge.key 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
	say "starting munged"
	rm -f /run/munge/munge.socket.2.lock
	if id munge >/dev/null 2>&1; then
		runuser -u munge -- /usr/sbin/munged
	else
		/usr/sbin/munged --force
	fi
	for _ in $(seq 50); do
		munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
		sleep 0.1
	done
	munge -n </dev/null | unmunge >/dev/null
fi

# 3. slurm.conf for this host.
host=$(hostname -s)
cpus=$(nproc)
# RealMemory must not exceed what slurmd finds, or the node is drained:
# offer half of the total, in MiB.
mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 / 2 }' /proc/meminfo)
mkdir -p "$conf_dir" "$log_dir" "$state_dir" "$spool_dir"
new=$(cat <<CONF
$marker
ClusterName=fluens
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=$state_dir
SlurmdSpoolDir=$spool_dir
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$log_dir/slurmctld.log
SlurmdLogFile=$log_dir/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
MinJobAge=300
KillWait=5
InactiveLimit=0
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
)
if [ -e "$conf" ] && ! head -n1 "$conf" | grep -qF "$marker"; then
	say "$conf exists and was not written by this script: leaving it alone"
elif [ ! -e "$conf" ] || [ "$(cat "$conf")" != "$new" ]; then
	say "writing $conf ($host, $cpus CPUs, $mem MiB)"
	printf '%s\n' "$new" >"$conf.tmp"
	mv "$conf.tmp" "$conf"
	# A running controller must pick up the new file.
	if [ -s /run/slurmctld.pid ] && [ "$(cat "/proc/$(cat /run/slurmctld.pid)/comm" 2>/dev/null)" = slurmctld ]; then
		scontrol reconfigure || true
	fi
fi

# 4. Daemons (daemon mode: they detach and write their pid files).
# running PIDFILE NAME: the pid file names a live process called NAME (a
# stale file left by a killed daemon may name a reused pid).
running() {
	[ -s "$1" ] || return 1
	local pid
	pid=$(cat "$1")
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}
if ! running /run/slurmctld.pid slurmctld; then
	say "starting slurmctld"
	/usr/sbin/slurmctld
fi
if ! running /run/slurmd.pid slurmd; then
	say "starting slurmd"
	/usr/sbin/slurmd
fi

# 5. Wait for the node to take jobs.
for _ in $(seq 60); do
	state=$(sinfo --noheader --nodes="$host" --format=%t 2>/dev/null | head -n1 || true)
	case "$state" in
	idle | mix | alloc)
		say "node $host is $state"
		exit 0
		;;
	down* | drain* | drng*)
		scontrol update nodename="$host" state=resume 2>/dev/null || true
		;;
	esac
	sleep 1
done
say "node $host did not become idle (state '${state:-none}'); logs in $log_dir"
tail -n 20 "$log_dir/slurmctld.log" "$log_dir/slurmd.log" >&2 || true
exit 1
