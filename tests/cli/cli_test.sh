#!/usr/bin/env bash
# End-to-end checks of the `autoscale` binary on the embedded real data: what a user types,
# what they see, and that bad input gives one clear line, a non-zero exit and no partial output.
# usage: cli_test.sh AUTOSCALE_BIN TEST_DATA_DIR SHARED_DIR PYTHON
set -u
BIN=$1 DATA=$2 SHARED=$3 PY=$4
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"

# --- the command line itself ------------------------------------------------------------------
"$BIN" --version >"$T/out" 2>&1
check "--version prints the version, exit 0" bash -c "[ $? -eq 0 ] && grep -q '^autoscale [0-9]' '$T/out'"
"$BIN" evl --scenes x >"$T/out" 2>"$T/err"
check "a mistyped command: exit 1" [ $? -eq 1 ]
check "  ...named, with the command meant" contains "$T/err" 'unknown command "evl" (did you mean "eval"?)'

# --- import + inspect on the embedded NGSIM data -------------------------------------------
"$BIN" import "$DATA/commonroad-ngsim" -o "$T/ngsim" --quiet >"$T/out" 2>"$T/err"
check "import exits 0" [ $? -eq 0 ]
check "import reports 109 scenes" contains "$T/out" "imported 109 scenes from 4 files"
check "import writes the resolved config" bash -c "ls '$T'/ngsim/provenance/import-*.yaml >/dev/null"
"$BIN" inspect "$T/ngsim" >"$T/out" 2>"$T/err"
check "inspect exits 0" [ $? -eq 0 ]
check "inspect counts scenes" contains "$T/out" "scenes      109"
check "inspect lists logs" contains "$T/out" "USA_US101-4_1_T-1"
check "inspect validates" contains "$T/out" "all scenes and maps valid"
"$BIN" inspect "$T/ngsim" --json >"$T/json" 2>/dev/null
check "inspect --json is JSON" "$PY" -c "import json,sys; d=json.load(open('$T/json')); sys.exit(d['scenes']!=109)"
"$BIN" bench store "$T/ngsim" --raw "$DATA/commonroad-ngsim" --random 200 >"$T/out" 2>&1
check "bench store reports rates" contains "$T/out" "sequential read"

# --- sharded import: contiguous blocks of the input files, merged in order = one import -------
for i in 0 1; do "$BIN" import "$DATA/commonroad-ngsim" -o "$T/ngsim-part$i" --shard $i/2 -q >/dev/null 2>&1; done
"$BIN" merge stores --parts "$T/ngsim-part0" "$T/ngsim-part1" -o "$T/ngsim-merged" -q >"$T/out" 2>&1
check "merge stores joins the import shards" contains "$T/out" "merged 109 scenes from 2 stores"
for s in ngsim ngsim-merged; do
  "$BIN" eval --scenes "$T/$s" --agent pdm_closed --out "$T/$s.csv" -q eval.ego_size=recorded >/dev/null 2>&1
done
check "  ...into the store one import makes (same scenes, order and scores)" cmp -s "$T/ngsim.csv" "$T/ngsim-merged.csv"
check "  ...(scored)" [ "$(wc -l <"$T/ngsim.csv")" -eq 111 ]
check "  ...ending with NAVSIM's average row (means over valid rows)" "$PY" - "$T/ngsim.csv" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
avg, rows = rows[-1], rows[:-1]
assert avg["token"] == "average" and len(rows) == 109, avg
assert avg["valid"] == ("True" if all(r["valid"] == "True" for r in rows) else "False")
for col in list(avg)[2:]:
    vals = [float(r[col]) for r in rows if not math.isnan(float(r[col]))]
    assert abs(float(avg[col]) - sum(vals) / len(vals)) < 1e-12, col
PY
"$BIN" merge stores --parts "$T/ngsim-part0" "$T/ngsim-part0" -o "$T/ngsim-twice" -q >"$T/out" 2>"$T/err"
check "merging a part twice fails" contains "$T/err" "merging store"
check "  ...leaving no store" [ ! -e "$T/ngsim-twice" ]
"$BIN" import "$DATA/commonroad-ngsim" -o "$T/too-many" --shard 0/9 -q >"$T/out" 2>"$T/err"
check "more import shards than files fail" contains "$T/err" "import --shard 0/9: 9 shards of only 4 input files"

# --- synthetic data: perturbed starts labelled by PDM-Closed, and the domain gap ---------------
"$BIN" synth perturb --scenes "$T/ngsim" -o "$T/perturbed" --shard 0/2 -q eval.ego_size=recorded >"$T/out" 2>&1
check "synth perturb exits 0" [ $? -eq 0 ]
check "  ...reports the pseudo-expert" contains "$T/out" "pseudo-expert: DAC 1 in"
"$BIN" inspect "$T/perturbed" --strict >"$T/out" 2>/dev/null
check "  ...writes valid synthetic scenes" contains "$T/out" "generators  perturb:"
"$BIN" inspect "$T/ngsim" --compare "$T/perturbed" >"$T/out" 2>/dev/null
check "inspect --compare prints the gap" contains "$T/out" "curvature [rad/m]"
"$BIN" encode --scenes "$T/ngsim" "$T/perturbed" -o "$T/emb.h5" -q encode.embedding=descriptor >"$T/out" 2>&1
check "encode embeds real and synthetic scenes" contains "$T/out" "(descriptor, 28 dims)"
RAE="encode.graph_rae.epochs=2 encode.graph_rae.hidden=16 encode.graph_rae.dim=8 encode.graph_rae.rounds=1"
"$BIN" encode --scenes "$T/ngsim" "$T/perturbed" -o "$T/rae.h5" --checkpoint "$T/rae.pt" -q $RAE >"$T/out" 2>&1
check "encode trains the Graph-RAE" contains "$T/out" "trained the Graph-RAE on"
check "  ...and embeds with it" contains "$T/out" "(graph_rae, 8 dims)"
"$BIN" encode --scenes "$T/ngsim" "$T/perturbed" -o "$T/rae2.h5" --load "$T/rae.pt" -q $RAE >"$T/out" 2>&1
# The fitting process embeds from the graphs it holds, the loading one in a streamed pass: the
# same batches of 64, so the same bits.
check "  ...a saved model embeds the same, bit for bit" "$PY" -c "import h5py, numpy; a = h5py.File('$T/rae.h5')['z'][...]; b = h5py.File('$T/rae2.h5')['z'][...]; assert a.shape[0] % 64 and a.shape[0] > 128 and numpy.array_equal(a, b)"
# Fitted on a seeded sample (encode.fit_scenes), then every scene embedded in a streamed pass.
"$BIN" encode --scenes "$T/ngsim" "$T/perturbed" -o "$T/rae-s.h5" --checkpoint "$T/rae-s.pt" -q $RAE \
  encode.fit_scenes=50 >"$T/out" 2>&1
check "encode fits the Graph-RAE on a sample" contains "$T/out" "trained the Graph-RAE on 50 scenes"
"$BIN" encode --scenes "$T/ngsim" "$T/perturbed" -o "$T/rae-s2.h5" --load "$T/rae-s.pt" -q $RAE >/dev/null 2>&1
check "  ...embeds every scene, as its saved model does" "$PY" -c "
import h5py, numpy
a, b, c = (h5py.File('$T/' + n + '.h5') for n in ('rae-s', 'rae-s2', 'rae'))
assert len(a['token']) == len(c['token']) > 50 and numpy.array_equal(a['z'][...], b['z'][...])
assert not numpy.allclose(a['z'][...], c['z'][...], atol=1e-3)"
for i in 0 1 2; do
  "$BIN" encode --scenes "$T/ngsim" "$T/perturbed" -o "$T/rae-part$i.h5" --load "$T/rae.pt" --shard $i/3 -q $RAE >/dev/null 2>&1
done
"$BIN" merge embeddings --scenes "$T/ngsim" "$T/perturbed" --parts "$T"/rae-part{0,1,2}.h5 -o "$T/rae3.h5" -q >"$T/out" 2>&1
check "sharded embedding merges" [ $? -eq 0 ]
check "  ...into what one process makes" "$PY" -c "
import h5py, numpy
a, b = h5py.File('$T/rae2.h5'), h5py.File('$T/rae3.h5')
assert list(a['token'].asstr()) == list(b['token'].asstr())
assert (a['domain'][...] == b['domain'][...]).all() and list(a['source_log'].asstr()) == list(b['source_log'].asstr())
assert numpy.array_equal(a['z'][...], b['z'][...])
assert len(h5py.File('$T/rae-part0.h5')['token']) < len(a['token'])"
"$BIN" merge embeddings --scenes "$T/ngsim" "$T/perturbed" --parts "$T"/rae-part{0,1}.h5 -o "$T/rae4.h5" -q >/dev/null 2>"$T/err"
check "a missing part fails" contains "$T/err" "is in no part"
check "  ...writing nothing" [ ! -e "$T/rae4.h5" ]
"$BIN" encode --scenes "$T/ngsim" -o "$T/rae5.h5" --shard 0/2 -q $RAE >/dev/null 2>"$T/err"
check "sharded encode without --load fails" contains "$T/err" "needs a trained Graph-RAE (--load)"
"$BIN" cluster --embeddings "$T/emb.h5" -q mixture.kmeans.k=4 >"$T/out" 2>&1
check "cluster reports the composition" contains "$T/out" "4 clusters of"
"$BIN" index --embeddings "$T/emb.h5" -o "$T/index" -q >"$T/out" 2>&1
check "index builds global and per-cluster indexes" contains "$T/out" "4 per-cluster indexes"
QUERY=$("$PY" -c "import h5py; print(h5py.File('$T/emb.h5')['token'].asstr()[0])")
"$BIN" retrieve --index "$T/index" --embeddings "$T/emb.h5" --query "$QUERY" -k 3 -q >"$T/out" 2>&1
check "retrieve returns k synthetic neighbours" [ "$(awk -F'\t' '$2 ~ /-p[0-9]+$/' "$T/out" | wc -l)" -eq 3 ]
# Bulk retrieval for every real scene, sharded by contiguous query blocks, merged = one process.
"$BIN" retrieve --index "$T/index" --embeddings "$T/emb.h5" --all-real -k 3 --out "$T/nb.tsv" -q >"$T/out" 2>&1
check "retrieve --all-real --out writes a neighbour table" contains "$T/out" "retrieved 3 neighbours for each of 109 queries"
for i in 0 1 2; do
  "$BIN" retrieve --index "$T/index" --embeddings "$T/emb.h5" --all-real -k 3 --shard $i/3 --out "$T/nb$i.tsv" -q \
    >/dev/null 2>&1
done
"$BIN" merge neighbours --embeddings "$T/emb.h5" --parts "$T/nb2.tsv" "$T/nb0.tsv" "$T/nb1.tsv" -o "$T/nb-merged.tsv" -q \
  >"$T/out" 2>&1
check "merge neighbours joins 3 retrieve shards (in any order)" contains "$T/out" "merged 3 parts: 109 queries, 327 neighbours"
check "  ...into the single-process table" cmp -s "$T/nb.tsv" "$T/nb-merged.tsv"
"$BIN" merge neighbours --embeddings "$T/emb.h5" --parts "$T/nb0.tsv" "$T/nb0.tsv" -o "$T/nb-bad.tsv" -q >"$T/out" 2>"$T/err"
check "  ...a part given twice fails" contains "$T/err" "appears in $T/nb0.tsv and again in $T/nb0.tsv"
check "  ...writing nothing" [ ! -e "$T/nb-bad.tsv" ]
"$BIN" cluster --embeddings "$T/emb.h5" -q mixture.kmeans.k=100000 2>"$T/err" >/dev/null
check "  ...and refuses more clusters than scenes" contains "$T/err" "mixture.kmeans.k: 100000 clusters for"
"$BIN" synth perturb --scenes "$T/ngsim" -o "$T/x" --shard 2/2 2>"$T/err" >/dev/null
check "a bad shard is refused" contains "$T/err" "--shard: expected i/N with 0 <= i < N, or slurm, got \"2/2\""

if command -v netgenerate >/dev/null 2>&1; then
  "$BIN" synth sumo -o "$T/sumo" --shard 1/2 -q synth.sumo.worlds=2 synth.sumo.duration_s=50 synth.sumo.warmup_s=10 \
      synth.sumo.max_egos_per_world=3 >"$T/out" 2>&1
  check "synth sumo exits 0" [ $? -eq 0 ]
  check "  ...reports its worlds" contains "$T/out" "simulated 1 SUMO worlds (shard 1/2)"
  "$BIN" inspect "$T/sumo" --strict >"$T/out" 2>/dev/null
  check "  ...writes valid synthetic scenes" contains "$T/out" "generators  sumo:"
  "$BIN" synth sumo -o "$T/sumo-bad" --scenario "$T/no.sumocfg" 2>"$T/err" >/dev/null
  check "a missing SUMO scenario is refused" [ $? -ne 0 ]
  check "  ...naming the flag and the file" contains "$T/err" "--scenario: synth.sumo.scenario: \"$T/no.sumocfg\" is not a file"
  check "  ...and writing nothing" [ ! -e "$T/sumo-bad" ]
else
  echo "SKIPPED synth sumo checks: SUMO is not installed"
fi

# --- planner training: split by log, kill and resume, evaluate the model on the test split ----
TRAIN="train.steps=30 train.batch=16 train.log_every=5 train.checkpoint_every=10 train.eval_every=10
       train.planner.d_model=32 train.planner.layers=1 train.planner.heads=2 train.planner.feedforward=64
       encode.graph.max_agents=8 encode.graph.max_lanes=16 data.split.test_logs=[USA_Peach-4_8_T-1]
       data.split.val_fraction=0 train.device=cpu"
"$BIN" train --scenes "$T/ngsim" --synthetic "$T/perturbed" -o "$T/run" -q --stop-after 20 $TRAIN >"$T/out" 2>&1
check "train --stop-after exits 0" [ $? -eq 0 ]
check "  ...guards against leakage" contains "$T/out" "dropped: derived from held-out logs"
check "  ...leaves a checkpoint, no final model" bash -c "[ -f '$T/run/checkpoint.pt' ] && [ ! -f '$T/run/planner.pt' ]"
"$BIN" train --scenes "$T/ngsim" --synthetic "$T/perturbed" -o "$T/run" -q --resume $TRAIN >"$T/out" 2>&1
check "train --resume finishes" contains "$T/out" "trained transformer for 30 steps"
check "  ...writes the split and the config" bash -c "[ -f '$T/run/split.json' ] && [ -f '$T/run/config.yaml' ]"
check "  ...logs 6 metric lines" [ "$(wc -l <"$T/run/metrics.jsonl")" -eq 6 ]
"$BIN" eval --scenes "$T/ngsim" --agent "$T/run/planner.pt" --split test -q $TRAIN >"$T/out" 2>&1
check "eval --agent PLANNER --split test scores it" contains "$T/out" "agent planner:transformer"
check "  ...on the test log only" contains "$T/out" "split test: "
"$BIN" eval --scenes "$T/ngsim" --agent "$T/run/planner.pt" --split test -q $TRAIN \
  "data.split.test_logs=[USA_US101-4_1_T-1]" >"$T/out" 2>"$T/err"
check "eval --split with a config that contradicts the model's split is refused" [ $? -ne 0 ]
check "  ...naming the log and the model's split" contains "$T/err" "was trained with it in test"
"$BIN" eval --scenes "$T/ngsim" --agent "$T/run/metrics.jsonl" -q >"$T/out" 2>"$T/err"
check "a non-planner file is refused" contains "$T/err" "not a readable planner file"
"$BIN" train --scenes "$T/ngsim" -o "$T/run2" -q train.lr=nan >"$T/out" 2>"$T/err"
check "a NaN learning rate is refused by key" contains "$T/err" "train.lr"

# --- data-parallel training: 2 ranks as 2 processes (RANK/WORLD_SIZE on loopback, Gloo) -------
# A 2-rank run killed after step 20 and resumed equals an uninterrupted 2-rank run: the same
# model (scored byte for byte), with dropout on, so every rank's generator state is restored.
ddp() {  # ddp OUT ARGS...: both ranks, exit status of the worse one
  local out=$1 port=$((20000 + RANDOM % 20000)) rc=0 pids=(); shift
  for r in 0 1; do
    RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$BIN" train --scenes "$T/ngsim" \
      --synthetic "$T/perturbed" -o "$out" -q --threads 1 $TRAIN "$@" >"$T/ddp$r.out" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=$?; done
  return $rc
}
ddp "$T/ddp"
check "2-rank training exits 0" [ $? -eq 0 ]
check "  ...rank 0 reports both ranks" contains "$T/ddp0.out" "trained transformer for 30 steps on cpu x 2 ranks"
check "  ...rank 1 stays quiet" [ ! -s "$T/ddp1.out" ]
ddp "$T/ddp-resumed" --stop-after 20 && ddp "$T/ddp-resumed" --resume
check "2-rank training killed and resumed finishes" contains "$T/ddp0.out" "trained transformer for 30 steps"
for d in ddp ddp-resumed; do
  "$BIN" eval --scenes "$T/ngsim" --agent "$T/$d/planner.pt" --split test -q --out "$T/$d.csv" $TRAIN >/dev/null 2>&1
done
check "  ...and scores the same as the uninterrupted 2-rank run" cmp -s "$T/ddp.csv" "$T/ddp-resumed.csv"
check "  ...(and the scores exist)" [ -s "$T/ddp.csv" ]
RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 "$BIN" train --scenes "$T/ngsim" -o "$T/ddp-alone" -q \
  --resume $TRAIN train.batch=15 >"$T/out" 2>"$T/err"
check "a global batch that does not split over the ranks fails" contains "$T/err" "train.batch 15 is the global batch"

# --- Slurm without a cluster: submit --dry-run writes the job scripts, --shard slurm needs an array
"$BIN" slurm submit --config "$(dirname "$0")/../../configs/ci-smoke.yaml" -o "$T/sl" --dry-run slurm.partition=gpu \
  slurm.gpus=1 slurm.time=01:00:00 'slurm.extra=[--qos=high]' >"$T/out" 2>&1
check "slurm submit --dry-run exits 0" [ $? -eq 0 ]
check "  ...prints the prepare, step and continue submissions" [ "$(grep -c '^would submit:' "$T/out")" -eq 3 ]
check "  ...the step after the prepare (afterok)" grep -q "'--dependency=afterok:DRY1' '--kill-on-invalid-dep=yes'.*step.sbatch" "$T/out"
check "  ...the continue after the step" grep -q "'--dependency=afterok:DRY2'.*continue.sbatch" "$T/out"
check "  ...steps are requeueable GPU jobs on the partition" bash -c "grep -q '^#SBATCH --requeue' '$T/sl/slurm/step.sbatch' &&
  grep -q '^#SBATCH --gpus=1' '$T/sl/slurm/step.sbatch' && grep -q '^#SBATCH --partition=gpu' '$T/sl/slurm/step.sbatch' &&
  grep -q '^#SBATCH --qos=high' '$T/sl/slurm/step.sbatch' && grep -q '^#SBATCH --time=01:00:00' '$T/sl/slurm/step.sbatch'"
check "  ...running one loop step" grep -q "run --resume '$T/sl' --max-steps 1 --no-report" "$T/sl/slurm/step.sbatch"
check "  ...and keeps the resolved config" grep -q 'partition: "gpu"' "$T/sl/slurm/config.yaml"
"$BIN" slurm submit --config "$(dirname "$0")/../../configs/ci-smoke.yaml" -o "$T/sl2" --dry-run --compare \
  slurm.parallel_jobs=true >"$T/out" 2>&1
check "a parallel compare steps as a job array, a task per job" grep -q "'--array=0-[0-9]*'.*step.sbatch" "$T/out"
check "  ...each task running its job" grep -q 'compare --resume .* --max-steps 1 --no-report --job "$SLURM_ARRAY_TASK_ID"' \
  "$T/sl2/slurm/step.sbatch"
"$BIN" slurm submit --config "$(dirname "$0")/../../configs/ci-smoke.yaml" -o "$T/sl3" --dry-run slurm.encode_shards=4 \
  encode.embedding=graph_rae >"$T/out" 2>&1
check "slurm.encode_shards=4: fit, a 4-task embed array, merge, then prepare" bash -c "grep -c '^would submit:' '$T/out' |
  grep -qx 6 && grep -q \"'--array=0-3'.*embed.sbatch\" '$T/out' && grep -q -- '--fit-only' '$T/sl3/slurm/fit.sbatch'"
"$BIN" slurm submit --config "$(dirname "$0")/../../configs/ci-smoke.yaml" -o "$T/sl4" --dry-run slurm.encode_shards=4 \
  >"$T/out" 2>"$T/err"
check "  ...refused for the descriptor embedding" contains "$T/err" "slurm.encode_shards: needs encode.embedding=graph_rae"
check "  ...before writing anything" [ ! -e "$T/sl4" ]
"$BIN" encode --scenes "$T/ngsim" --fit-only -q >"$T/out" 2>"$T/err"
check "encode --fit-only without --checkpoint fails clearly" contains "$T/err" "encode --fit-only: trains a Graph-RAE"
env -u SLURM_ARRAY_TASK_ID "$BIN" eval --scenes "$T/ngsim" --agent human --shard slurm -q >"$T/out" 2>"$T/err"
check "--shard slurm outside an array fails clearly" contains "$T/err" "--shard slurm: SLURM_ARRAY_TASK_ID is not set"
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=2 "$BIN" eval --scenes "$T/ngsim" --agent human \
  --shard slurm --out "$T/slurm-part.csv" -q >"$T/out" 2>&1
"$BIN" eval --scenes "$T/ngsim" --agent human --shard 0/2 --out "$T/plain-part.csv" -q >/dev/null 2>&1
check "--shard slurm is the task's offset in the array" cmp -s "$T/slurm-part.csv" "$T/plain-part.csv"

# --- append, and refusing to clobber ----------------------------------------------------------
"$BIN" import "$DATA/commonroad-ngsim/USA_Peach-4_8_T-1.xml" -o "$T/two" -q >/dev/null 2>&1
"$BIN" import "$DATA/commonroad-ngsim/USA_US101-4_1_T-1.xml" -o "$T/two" --append -q >/dev/null 2>&1
"$BIN" inspect "$T/two" >"$T/out" 2>/dev/null
check "append adds to a store" contains "$T/out" "scenes      89"
"$BIN" import "$DATA/commonroad-ngsim/USA_Peach-4_8_T-1.xml" -o "$T/two" -q >"$T/out" 2>"$T/err"
check "import into a non-empty store without --append fails" [ $? -ne 0 ]
check "  ...saying why" contains "$T/err" "already exists and is not empty"
"$BIN" inspect "$T/two" >"$T/out" 2>/dev/null
check "  ...and leaves it intact" contains "$T/out" "scenes      89"

# --- bad input: one line, non-zero exit, nothing half-written ---------------------------------
head -c 20000 "$DATA/commonroad-ngsim/USA_Peach-4_8_T-1.xml" >"$T/truncated.xml"
"$BIN" import "$T/truncated.xml" -o "$T/bad" -q >"$T/out" 2>"$T/err"
check "truncated XML fails" [ $? -eq 1 ]
check "  ...naming the file" contains "$T/err" "error: $T/truncated.xml: malformed XML"
check "  ...on one line" one_line "$T/err"
check "  ...leaving no store" [ ! -e "$T/bad" ]
: >"$T/empty.xml"
"$BIN" import "$T/empty.xml" -o "$T/bad" 2>"$T/err" >/dev/null
check "empty file fails clearly" contains "$T/err" "empty.xml: empty file"
"$BIN" import "$T/nothing.xml" -o "$T/bad" 2>"$T/err" >/dev/null
check "missing input fails clearly" contains "$T/err" "no such file or directory"
printf 'store:\n  shard_sise: 10\n' >"$T/typo.yaml"
"$BIN" config -c "$T/typo.yaml" >/dev/null 2>"$T/err"
check "unknown config key fails" contains "$T/err" "typo.yaml:2: store.shard_sise: unknown key (did you mean 'store.shard_size'?)"
"$BIN" config -c "$T" >/dev/null 2>"$T/err"
check "a directory given as the config fails" [ $? -eq 1 ]
check "  ...saying so" contains "$T/err" "is a directory"
"$BIN" imprt x >/dev/null 2>"$T/err"
check "a mistyped subcommand exits 1" [ $? -eq 1 ]
check "  ...with one error line" [ "$(grep -c '^error: ' "$T/err")" -eq 1 ]
"$BIN" eval --agent >/dev/null 2>"$T/err"
check "an option without its value exits 1" [ $? -eq 1 ]
check "  ...naming the option" contains "$T/err" "error: --agent"
"$BIN" --help >/dev/null 2>&1
check "--help still exits 0" [ $? -eq 0 ]
"$BIN" config store.compression=abc >/dev/null 2>"$T/err"
check "bad bare override fails" contains "$T/err" "store.compression: expected an integer in [0, 9], got \"abc\""
"$BIN" config --set store.compression=2 >"$T/out" 2>/dev/null
check "config prints the resolved value" contains "$T/out" "compression: 2"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
"$BIN" config -q | diff - <("$BIN" config -c "$ROOT/configs/default.yaml" -q) >/dev/null
check "configs/default.yaml is the resolved default config" [ $? -eq 0 ]
diff <(tail -n +3 "$ROOT/configs/default.yaml") <("$BIN" config -q) >/dev/null
check "  ...and up to date with the code" [ $? -eq 0 ]
printf 'not hdf5' >"$T/ngsim/index.h5"
"$BIN" inspect "$T/ngsim" >/dev/null 2>"$T/err"
check "foreign index fails" contains "$T/err" "is not an HDF5 file"
check "  ...on one line" one_line "$T/err"
"$BIN" inspect "$T/none" >/dev/null 2>"$T/err"
check "missing store fails" contains "$T/err" "not a directory"

# --- NAVSIM logs: the nuPlan devkit's environment stands in for import.navsim.maps_root -------
: >"$T/openscene.pkl"
env -u NUPLAN_MAPS_ROOT "$BIN" import "$T/openscene.pkl" -o "$T/ns" -q import.format=navsim >/dev/null 2>"$T/err"
check "navsim without a maps root names the key and the variable" contains "$T/err" "(or set \$NUPLAN_MAPS_ROOT)"
NUPLAN_MAPS_ROOT="$T/maps" "$BIN" import "$T/openscene.pkl" -o "$T/ns" -q import.format=navsim >/dev/null 2>"$T/err"
check "  ...with \$NUPLAN_MAPS_ROOT set the importer runs (and names the bad file)" contains "$T/err" "openscene.pkl: empty file"
check "  ...leaving no store" [ ! -e "$T/ns" ]
NUPLAN_MAPS_ROOT="$T/maps" "$BIN" import "$T/openscene.pkl" -o "$T/ns" -q import.format=navsim \
  import.navsim.scene_filter="$T/navtest.yaml" >/dev/null 2>"$T/err"
check "a missing NAVSIM scene filter names the key and file" contains "$T/err" "import.navsim.scene_filter: no such file"
(cd "$T" && OPENSCENE_DATA_ROOT="$DATA" "$BIN" import commonroad-ngsim -o "$T/from-root" -q >"$T/out" 2>"$T/err")
check "a relative input absent here is read from \$OPENSCENE_DATA_ROOT" contains "$T/out" "imported 109 scenes"

# --- ScenarioNet pickles through the same command (real nuScenes data from ../shared) --------
NUSC="$SHARED/data-samples/nuscenes-scenarionet"
if [ -d "$NUSC" ]; then
  "$BIN" import "$NUSC" -o "$T/nusc" -q >"$T/out" 2>"$T/err"
  check "scenarionet import exits 0" [ $? -eq 0 ]
  "$BIN" inspect "$T/nusc" --strict >"$T/out" 2>/dev/null
  check "scenarionet store validates" [ $? -eq 0 ]
  check "  ...with 7 logs" contains "$T/out" "logs        7"
  check "  ...made by the scenarionet importer" contains "$T/out" "scenarionet:"
  # Sharded scoring (whole logs per shard) merged in store order equals one process, also for
  # EPDMS whose two-frame comfort pairs consecutive scenes of a log.
  "$BIN" eval --scenes "$T/nusc" --agent constant_velocity --pdms-version v2 --out "$T/all.csv" -q >/dev/null 2>&1
  for i in 0 1 2; do
    "$BIN" eval --scenes "$T/nusc" --agent constant_velocity --pdms-version v2 --shard $i/3 --out "$T/part$i.csv" -q >/dev/null 2>&1
  done
  "$BIN" merge scores --scenes "$T/nusc" --parts "$T/part0.csv" "$T/part1.csv" "$T/part2.csv" -o "$T/merged.csv" -q >"$T/out" 2>&1
  check "merge scores exits 0" [ $? -eq 0 ]
  check "  ...sharded = single-process scores" cmp -s "$T/all.csv" "$T/merged.csv"
  check "  ...the parts split the scenes" [ "$(cat "$T/part0.csv" "$T/part1.csv" "$T/part2.csv" | grep -v '^average' | grep -vc '^token')" -eq 208 ]
  "$BIN" merge scores --scenes "$T/nusc" --parts "$T/part0.csv" "$T/part0.csv" -o "$T/bad.csv" -q >/dev/null 2>"$T/err"
  check "a part given twice fails" contains "$T/err" "is in more than one part"
  check "  ...writing nothing" [ ! -e "$T/bad.csv" ]
  "$BIN" eval --scenes "$T/nusc" --agent constant_velocity --shard 3/3 -q >/dev/null 2>"$T/err"
  check "a bad shard fails naming the flag" contains "$T/err" "--shard"
else
  echo "SKIPPED scenarionet checks: $NUSC is absent"
fi

# --- Argoverse 2 logs through the same command (real AV2 data from ../shared) -----------------
AV2="$SHARED/data-samples/av2-sensor"
if [ -d "$AV2" ]; then
  "$BIN" import "$AV2" -o "$T/av2" -q >"$T/out" 2>"$T/err"
  check "av2 import exits 0 (directory of logs, format told by .feather)" [ $? -eq 0 ]
  "$BIN" inspect "$T/av2" --strict >"$T/out" 2>/dev/null
  check "av2 store validates" [ $? -eq 0 ]
  check "  ...with 4 logs and 4 maps" contains "$T/out" "logs        4"
  check "  ...made by the av2 importer" contains "$T/out" "av2: 84"
  # The recorded expert at its own size: no collision anywhere (two logs carry the ego's own
  # box, which must not become an agent) and never off the drivable area.
  "$BIN" eval --scenes "$T/av2" --agent human -q eval.ego_size=recorded --out "$T/av2.csv" >"$T/out" 2>&1
  check "human on av2 exits 0" [ $? -eq 0 ]
  check "  ...scores every scene" contains "$T/out" "84 of 84 scenes valid"
  check "  ...no collision and always on the drivable area (NC = DAC = 1)" "$PY" - "$T/av2.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["token"] != "average"]
assert len(rows) == 84, len(rows)
assert all(r["no_at_fault_collisions"] == "1" and r["drivable_area_compliance"] == "1" for r in rows), \
    [r["token"] for r in rows if r["no_at_fault_collisions"] != "1" or r["drivable_area_compliance"] != "1"]
mean = sum(float(r["score"]) for r in rows) / len(rows)
assert mean > 0.85, mean
PY
  "$BIN" inspect "$T/av2" --by-source >"$T/out" 2>"$T/err"
  check "inspect --by-source: one real source has no reference" contains "$T/out" \
    "av2-sensor       real            84     4                      -"
  if [ -d "$T/nusc" ]; then
    "$BIN" inspect "$T/av2" --by-source --compare "$T/nusc" "$T/perturbed" >"$T/out" 2>"$T/err"
    check "inspect --by-source: counts and the gap per data set and generator" "$PY" - "$T/out" <<'PY'
import sys
text = open(sys.argv[1]).read()
rows = {l.split()[0]: l.split() for l in text.splitlines()[2:]}
assert {"av2-sensor", "nuscenes", "perturb"} == set(rows), text
assert rows["av2-sensor"][1:4] == ["real", "84", "4"], rows["av2-sensor"]
assert rows["nuscenes"][1:4] == ["real", "208", "7"], rows["nuscenes"]
assert rows["perturb"][1] == "synthetic", rows
ks = [float(v) for r in rows.values() for v in r[4:8]]
assert all(0 <= v <= 1 for v in ks) and max(ks) > 0.1, rows  # the data sets do differ
PY
  fi
  "$BIN" inspect "$T/av2" >"$T/out" 2>&1
  check "  ...and plain inspect lists the sources" contains "$T/out" "sources     av2-sensor: 84 scenes / 4 logs"
  "$BIN" import "$AV2" -o "$T/av2bad" -q import.av2.window.min_future_s=9 >/dev/null 2>"$T/err"
  check "av2 window errors are the config's" contains "$T/err" "min_future_s"
else
  echo "SKIPPED av2 checks: $AV2 is absent"
fi

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
