#!/usr/bin/env bash
# autoscale on a real Slurm: a single-node cluster (munge, slurmctld, slurmd from Debian's
# slurm-wlm) started on localhost by this test and stopped at its end.
#   - a sharded eval as a job array (scripts/slurm/shard.sbatch, --shard slurm) and the merge
#     chained with afterok (merge.sbatch) give byte for byte the single-process score table;
#   - data-parallel training as 2 srun tasks (train.sbatch) equals 2 ranks launched by hand;
#   - a training job requeued mid-run (SIGTERM, then requeue) checkpoints, resumes and ends
#     with the model of an uninterrupted run;
#   - `autoscale slurm submit` runs the closed loop as a chain of one-step jobs to the report,
#     with the result of a local run.
# usage: slurm_test.sh AUTOSCALE_BIN REPO_DIR SHARED_DIR PYTHON
set -u
BIN=$1 REPO=$2 SHARED=$3 PY=$4
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/local_cluster.sh"
trap 'slurm_down; rm -rf "$T"' EXIT
export AUTOSCALE=$BIN
cd "$T"

for p in munged slurmctld slurmd sbatch; do
  check "$p is installed (scripts/setup.sh installs slurm-wlm and munge)" bash -c "command -v $p >/dev/null"
done
slurm_up "$T/cluster"
check "a single-node cluster starts on localhost" [ $? -eq 0 ]
if [ "$failures" -ne 0 ]; then echo "$checks checks, $failures failures"; exit 1; fi

"$BIN" import "$REPO/tests/data/commonroad-ngsim" -o out/smoke/real -q >/dev/null 2>&1
"$BIN" import "$SHARED/data-samples/nuscenes-scenarionet" -o out/smoke/real --append -q >/dev/null 2>&1
check "stores made" test -d out/smoke/real

wait_for_chain() {  # wait_for_chain FILE: until a job chain writes FILE and leaves the queue, or the queue stays empty
  for _ in $(seq 1200); do
    if [ -s "$1" ]; then  # the last job wrote it; let that job end too
      for _ in $(seq 120); do [ -z "$(squeue -h)" ] && return 0; sleep 0.5; done
      return 1
    fi
    [ -z "$(squeue -h)" ] && sleep 2 && [ -z "$(squeue -h)" ] && return 1
    sleep 0.5
  done
  return 1
}

# --- sharded eval: a job array and the merge, chained with afterok -----------------------------
"$BIN" eval --scenes out/smoke/real --agent pdm_closed --out single.csv -q eval.pdms_version=v2 >/dev/null 2>&1
mkdir -p parts
J=$(sbatch --parsable --cpus-per-task=1 --array=0-2 "$REPO/scripts/slurm/shard.sbatch" \
      eval --scenes out/smoke/real --agent pdm_closed --out 'parts/scores-{shard}.csv' -q eval.pdms_version=v2)
M=$(sbatch --parsable --dependency=afterok:$J --kill-on-invalid-dep=yes "$REPO/scripts/slurm/merge.sbatch" \
      scores --scenes out/smoke/real --parts 'parts/scores-*.csv' -o merged.csv)
slurm_wait "$J" "$M"
check "the eval array's 3 tasks complete" [ "$(slurm_state "$J" | sort | uniq -c | awk '{print $1 $2}')" = 3COMPLETED ]
check "  ...each writes its part" [ "$(ls parts/scores-*.csv | wc -l)" -eq 3 ]
check "the merge job ran after them and completed" [ "$(slurm_state "$M")" = COMPLETED ]
check "  ...and its table equals the single-process one" cmp -s single.csv merged.csv
check "  ...(which is not empty)" [ "$(wc -l <single.csv)" -gt 200 ]

# --- data-parallel training: 2 srun tasks = 2 ranks launched by hand ----------------------------
TRAIN="train.steps=40 train.batch=16 train.log_every=5 train.checkpoint_every=10 train.eval_every=0
       train.planner.d_model=32 train.planner.layers=1 train.planner.heads=2 train.planner.feedforward=64
       encode.graph.max_agents=8 encode.graph.max_lanes=16 data.split.test_logs=[USA_Peach-4_8_T-1]
       data.split.val_fraction=0 train.device=cpu"
J=$(sbatch --parsable --ntasks=2 --cpus-per-task=1 "$REPO/scripts/slurm/train.sbatch" \
      --scenes out/smoke/real -o ddp-slurm -q --threads 1 $TRAIN)
port=$((20000 + RANDOM % 20000))
for r in 0 1; do
  RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$BIN" train --scenes out/smoke/real -o ddp-hand -q \
    --threads 1 $TRAIN >"ddp-hand$r.out" 2>&1 &
done
wait
slurm_wait "$J"
check "2-task training job completes" [ "$(slurm_state "$J")" = COMPLETED ]
check "  ...as 2 ranks of one group" contains "autoscale-autoscale-train-$J.out" "on cpu x 2 ranks"
for d in ddp-slurm ddp-hand; do
  "$BIN" eval --scenes out/smoke/real --agent "$d/planner.pt" --split test --out "$d.csv" -q $TRAIN >/dev/null 2>&1
done
check "  ...and trains the model 2 hand-launched ranks train" cmp -s ddp-slurm.csv ddp-hand.csv

# --- preemption: SIGTERM, checkpoint, requeue, resume ------------------------------------------
LONG="$TRAIN train.steps=400 train.checkpoint_every=1000"
"$BIN" train --scenes out/smoke/real -o uninterrupted -q --threads 1 $LONG >/dev/null 2>&1
J=$(sbatch --parsable --cpus-per-task=1 "$REPO/scripts/slurm/train.sbatch" --scenes out/smoke/real -o preempted -q \
      --threads 1 $LONG)
for _ in $(seq 600); do [ -s preempted/metrics.jsonl ] && break; sleep 0.1; done
scontrol requeue "$J"
check "a running training job is requeued" [ $? -eq 0 ]
# Slurm holds a requeued job for 2 minutes (BeginTime); release it now, as an admin would.
sleep 1 && scontrol update jobid="$J" StartTime=now
slurm_wait "$J"
check "  ...and completes after its restart" [ "$(slurm_state "$J")" = COMPLETED ]
LOG="autoscale-autoscale-train-$J.out"
check "  ...having checkpointed on SIGTERM" contains "$LOG" "stopped: train: stopped by SIGTERM after step"
check "  ...and resumed from it" contains "$LOG" "trained transformer for 400 steps"
for d in uninterrupted preempted; do
  "$BIN" eval --scenes out/smoke/real --agent "$d/planner.pt" --split test --out "$d.csv" -q $LONG >/dev/null 2>&1
done
check "  ...with the model of an uninterrupted run" cmp -s uninterrupted.csv preempted.csv
check "  ...(scored)" [ -s preempted.csv ]

# --- the closed loop as a chain of one-step jobs -------------------------------------------------
"$BIN" synth perturb --scenes out/smoke/real -o out/smoke/perturbed -q eval.ego_size=recorded >/dev/null 2>&1
CFG="$REPO/configs/ci-smoke.yaml"
"$BIN" run --config "$CFG" -o local -q --threads 1 >/dev/null 2>&1
"$BIN" slurm submit --config "$CFG" -o chained slurm.cpus_per_task=1 >submit.out 2>&1
check "slurm submit exits 0" [ $? -eq 0 ]
check "  ...submits prepare, step and continue" [ "$(grep -c '^submitted [0-9]*:' submit.out)" -eq 3 ]
check "  ...the step after the prepare job (afterok)" grep -q "afterok:[0-9]*' '--kill-on-invalid-dep=yes'.*step.sbatch" submit.out
wait_for_chain chained/report.html
check "the chain runs the loop to its report" test -s chained/report.html
check "  ...one step per job: prepare, then 3 steps each with its continue job" \
  [ "$(wc -l <chained/slurm/submissions.jsonl)" -eq 7 ]
check "  ...every job completed" bash -c "! scontrol show job | grep JobState= | grep -v COMPLETED | grep -q ."
check "  ...with the test scores of a local run" cmp -s local/jobs/autoscale_n40_s0/final/test_scores.csv \
  chained/jobs/autoscale_n40_s0/final/test_scores.csv
# A comparison with slurm.parallel_jobs: every step is a job array, one task per job of the plan.
PAR="loop.compare.methods=[vanilla_random,autoscale] loop.compare.seeds=1 loop.compare.curve_budgets=[]
     loop.compare.reference=vanilla_random"
"$BIN" compare --config "$CFG" -o local-compare -q --threads 1 $PAR >/dev/null 2>&1
"$BIN" slurm submit --compare --config "$CFG" -o parallel slurm.cpus_per_task=1 slurm.parallel_jobs=true $PAR \
  >submit.out 2>&1
check "a parallel compare is submitted" grep -q "'--array=0-1'.*step.sbatch" submit.out
wait_for_chain parallel/report.html
check "  ...runs to its report" test -s parallel/report.html
check "  ...both jobs as array tasks of one step" bash -c "ls parallel/slurm/logs/ | grep -q 'autoscale-step-[0-9]*_1.out'"
check "  ...every job completed" bash -c "! scontrol show job | grep JobState= | grep -v COMPLETED | grep -q ."
for j in vanilla_random_n40_s0 autoscale_n40_s0; do
  check "  ...$j scores as in a local compare" cmp -s "local-compare/jobs/$j/final/test_scores.csv" \
    "parallel/jobs/$j/final/test_scores.csv"
done
check "  ...and the comparison (minus wall times) is the local one" "$PY" -c "
import json, sys
def strip(x):
    if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if 'second' not in k and 'search' not in k}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
a, b = (strip(json.load(open(f + '/compare.json'))) for f in ('local-compare', 'parallel'))
sys.exit(a != b or not a)"

# A Graph-RAE run with the encoding fanned out: fit once, embed as a 2-task array, merge + cluster.
RAE="encode.embedding=graph_rae encode.graph_rae.epochs=1 encode.graph_rae.hidden=16 encode.graph_rae.dim=8
     encode.graph_rae.rounds=1"
"$BIN" run --config "$CFG" -o local-rae -q --threads 1 $RAE >/dev/null 2>&1
# run.threads=1 in the run's config: the jobs then use the thread count of the local run (the
# Graph-RAE's float sums depend on it; same threads, same bits).
"$BIN" slurm submit --config "$CFG" -o fanned slurm.cpus_per_task=1 slurm.encode_shards=2 run.threads=1 $RAE \
  >submit.out 2>&1
check "slurm submit with slurm.encode_shards=2 chains fit, embed array, merge, prepare" \
  bash -c "grep -c '^submitted' submit.out | grep -qx 6 && grep -q \"'--array=0-1'.*embed.sbatch\" submit.out"
wait_for_chain fanned/report.html
check "  ...runs to its report" test -s fanned/report.html
check "  ...every job completed" bash -c "! scontrol show job | grep JobState= | grep -v COMPLETED | grep -q ."
check "  ...embedding in 2 parts" bash -c "ls fanned/slurm/parts/emb-0.h5 fanned/slurm/parts/emb-1.h5 >/dev/null"
check "  ...into the clustered embeddings one process makes" "$PY" -c "
import h5py, numpy, sys
a, b = h5py.File('local-rae/embeddings.h5'), h5py.File('fanned/embeddings.h5')
sys.exit(not all(numpy.array_equal(a[k][...], b[k][...]) for k in ('z', 'cluster/assignment', 'cluster/centroids')))"
check "  ...and the test scores of a local run" cmp -s local-rae/jobs/autoscale_n40_s0/final/test_scores.csv \
  fanned/jobs/autoscale_n40_s0/final/test_scores.csv

"$BIN" slurm submit --config "$CFG" -o chained >again.out 2>again.err
check "submitting into an existing run fails" contains again.err "already holds a run; continue it with \`autoscale slurm submit --resume"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
