#!/usr/bin/env bash
# A real single-node Slurm cluster on loopback, for trying tools/slurm_train.sh
# (and for the test that proves it) on a machine without a cluster.
#
#   tools/local_slurm.sh start [STATE_DIR]   # prints: export SLURM_CONF=...
#   tools/local_slurm.sh stop  [STATE_DIR]
#
# Needs root and Debian's packages: apt-get install slurm-wlm munge
# The cluster has one node (this host on 127.0.0.1) with all its CPUs in one
# partition named "local"; proctrack/linuxproc and task/none, no cgroups.
set -euo pipefail
ACTION=${1:-}
STATE=${2:-/tmp/mmsoco-slurm}
CONF="$STATE/slurm.conf"
PARTITION=local

die() { echo "local_slurm: $*" >&2; exit 1; }

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd and munged are started here)"
  for b in slurmctld slurmd munged srun sinfo scontrol; do
    command -v "$b" >/dev/null 2>&1 || die "$b not found: apt-get install slurm-wlm munge"
  done
  mkdir -p "$STATE/ctld" "$STATE/d" "$STATE/munge" "$STATE/log"
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc --all)
  mem=$(awk '/MemTotal/ {printf "%d", $2/1024*0.9}' /proc/meminfo)

  # munge: a private key and socket so nothing system-wide is touched.
  if [ ! -s "$STATE/munge/munge.key" ]; then
    dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1 count=1024 status=none
    chmod 0400 "$STATE/munge/munge.key"
  fi
  munged --force --key-file="$STATE/munge/munge.key" \
         --socket="$STATE/munge/munge.socket" \
         --pid-file="$STATE/munge/munged.pid" \
         --log-file="$STATE/log/munged.log" \
         --seed-file="$STATE/munge/munge.seed"

  cat > "$CONF" <<EOF
ClusterName=mmsoco-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$STATE/munge/munge.socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# a job whose srun was killed (kill -9) ends after this many seconds instead
# of running on without it
InactiveLimit=${INACTIVE_LIMIT:-20}
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldPort=${SLURMCTLD_PORT:-16817}
SlurmdPort=${SLURMD_PORT:-16818}
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
  export SLURM_CONF="$CONF"
  slurmctld -f "$CONF"
  slurmd -f "$CONF"
  for _ in $(seq 1 60); do
    if sinfo -h -p "$PARTITION" -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
      echo "export SLURM_CONF=$CONF"
      return 0
    fi
    sleep 0.5
  done
  tail -5 "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log" >&2 || true
  die "the node did not come up within 30 s (logs above)"
}

stop() {
  for p in slurmd slurmctld munge/munged; do
    local f="$STATE/$p.pid"
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  for p in slurmd slurmctld munge/munged; do
    local f="$STATE/$p.pid"
    [ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

case "$ACTION" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [STATE_DIR]" >&2; exit 2 ;;
esac
