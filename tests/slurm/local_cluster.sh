# A single-node Slurm cluster on localhost for tests (source it): munge with its own key and
# socket, slurmctld and slurmd on free ports, state and logs under one directory, no systemd
# and no cgroups. Only what this file started is stopped.
#   slurm_up DIR     start it (exports SLURM_CONF); returns non-zero with the logs on failure
#   slurm_down       stop the daemons it started
#   slurm_wait JOB.. wait until the jobs have left the queue
#   slurm_state JOB  the job's final state (COMPLETED, FAILED, ...)

slurm_up() {
  local dir=$1 host cpus mem port
  SLURM_TEST_DIR=$dir
  mkdir -p "$dir"/{munge,state,spool,log}
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
  port=$(( 17000 + RANDOM % 2000 ))
  # munge: a fresh key, a private socket (the daemon refuses group/world-readable keys).
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  chmod 700 "$dir/munge"
  munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" --force \
    || { cat "$dir/log/munged.log" >&2; return 1; }
  cat >"$dir/slurm.conf" <<CONF
ClusterName=autoscale-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=10
MinJobAge=600
SchedulerParameters=defer_batch=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$SLURM_CONF" || { cat "$dir/log/slurmctld.log" >&2; return 1; }
  slurmd -f "$SLURM_CONF" || { cat "$dir/log/slurmd.log" >&2; return 1; }
  local i
  for i in $(seq 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then return 0; fi
    sleep 0.5
  done
  echo "slurm_up: the node never became idle" >&2
  sinfo >&2; tail -20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2
  return 1
}

slurm_down() {
  local f
  [ -n "${SLURM_TEST_DIR:-}" ] || return 0
  scancel --quiet --full -u "$(id -un)" 2>/dev/null
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    [ -f "$SLURM_TEST_DIR/$f" ] && kill "$(cat "$SLURM_TEST_DIR/$f")" 2>/dev/null
  done
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do  # wait for them to go (their files go with them)
    for _ in $(seq 50); do
      [ -f "$SLURM_TEST_DIR/$f" ] && kill -0 "$(cat "$SLURM_TEST_DIR/$f" 2>/dev/null)" 2>/dev/null || break
      sleep 0.1
    done
  done
}

slurm_wait() {  # slurm_wait JOB... (at most 10 minutes)
  local i
  for i in $(seq 1200); do
    [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  return 1
}

slurm_state() {  # the state of a finished job (array: every task's, one per line)
  scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2
}
