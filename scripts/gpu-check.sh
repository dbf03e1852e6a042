#!/usr/bin/env bash
# The CUDA path, checked in one prepared run on a GPU machine (issue 22), and rehearsed on a CPU.
#
#   scripts/gpu-check.sh prepare [DIR]       here (Debian 12, registry, CPU build in build/): the
#                                            .deb bundle and the demo's scene stores into DIR
#                                            (default .gpu-check, git-ignored: carry it)
#   scripts/gpu-check.sh run [DIR] [options] on the GPU machine: build against its CUDA libtorch,
#                                            run the `gpu` tests, measure, write DIR/report.json
#   scripts/gpu-check.sh run --cpu-dry-run   the same steps on this machine with Debian's CPU
#                                            libtorch: what needs no GPU runs for real, the GPU
#                                            figures are null (CI runs it: ctest -L gpu_check)
# Options of run:
#   --build DIR       build directory (default DIR/build; with --cpu-dry-run an existing build is
#                     brought up to date, not reconfigured)
#   --stages LIST     comma-separated subset of build,test,train,encode,demo (default: all). The
#                     report keeps what earlier calls on the same DIR measured, so a run that would
#                     not fit one 10-minute call is two: --stages build,test then train,encode,demo
#   --steps N         optimiser steps per training measurement (default 300; dry run 20)
#   --jobs N          build jobs (default: all cores)
#   --report FILE     also copy the report there (for example "$OUT/gpu-check.json")
#
# The report (DIR/report.json): build seconds and result (NCCL on, or the retry without it),
# the gpu tests passed/failed/skipped, planner training samples/s in fp32 and bf16 autocast at
# batch 64 (the default) and 512 with the GPU busy share over each timed window and the share of
# time the optimiser waited for data, Graph-RAE fit seconds and embedding scenes/s, peak GPU
# memory, the demo's wall time on the GPU and on the CPU of the same machine, and the machine.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

die() { echo "gpu-check: error: $*" >&2; exit 1; }
say() { echo "== gpu-check: $*"; }
now() { date +%s.%N; }

# ---------------------------------------------------------------------------------------- prepare
prepare() {
  local dir=${1:-.gpu-check}
  [ -x build/autoscale ] || die "prepare needs the CPU build here (scripts/setup.sh builds build/autoscale)"
  local shared=${AUTOSCALE_SHARED_DIR:-../shared}
  mkdir -p "$dir"
  grep -qx "/$dir/" .git/info/exclude 2>/dev/null || echo "/$dir/" >>.git/info/exclude
  make_stores "$dir/stores" build/autoscale "$shared"
  scripts/offline-bundle.sh collect "$dir/bundle"
  say "prepared $dir ($(du -sh "$dir" | cut -f1)); on the GPU machine: scripts/gpu-check.sh run $dir (carry $dir)"
}

# The demo's inputs (scripts/demo.sh steps 1 and 3), made where their tools are: the real NGSIM
# and nuScenes store (the nuScenes importer needs ../shared) and one SUMO world of 60 s instead of
# two of 120 s (the GPU machine has no SUMO, and what travels there is limited to 64 MiB: these
# two are 26 MiB, the bundle about 20). The perturbed starts are made by the run itself.
make_stores() {
  local out=$1 bin=$2 shared=$3
  local nusc=$shared/data-samples/nuscenes-scenarionet
  [ -d "$nusc" ] || die "$nusc is missing (the demo holds out its nuScenes logs for validation and test)"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  "$bin" import tests/data/commonroad-ngsim -o "$out.tmp/real" -q &&
    "$bin" import "$nusc" -o "$out.tmp/real" --append -q &&
    "$bin" synth sumo -o "$out.tmp/sumo" -q synth.sumo.worlds=1 synth.sumo.duration_s=60 ||
    die "making the demo's stores failed"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

make_perturbed() {  # C++ only (PDM-Closed labels the perturbed starts): runs on either machine
  [ -d "$STORES/perturbed" ] && return 0
  "$BIN" synth perturb --scenes "$STORES/real" -o "$STORES/perturbed.tmp" -q eval.ego_size=recorded >"$WORK/perturb.log" 2>&1 ||
    die "synth perturb failed: $(tail -3 "$WORK/perturb.log")"
  mv "$STORES/perturbed.tmp" "$STORES/perturbed"
}

# --------------------------------------------------------------------------------- facts, report
# Each measured fact is one JSON line {"key": ..., "value": ...} in DIR/facts.jsonl; the report
# is rebuilt from all of them after every stage, so a stage that dies leaves the others' figures.
fact() {  # fact KEY JSON-VALUE (a value that is not JSON, an empty one too, is kept as a string)
  "$PY" - "$1" "$2" >>"$WORK/facts.jsonl" <<'EOF'
import json, sys
key, value = sys.argv[1], sys.argv[2]
try:
    value = json.loads(value)
except ValueError:
    value = {"unparsed": value}
print(json.dumps({"key": key, "value": value}))
EOF
}
fact_str() { fact "$1" "$(printf '%s' "$2" | "$PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')"; }

write_report() {
  "$PY" - "$WORK/facts.jsonl" "$WORK/report.json" <<'EOF'
import json, os, sys
report = {}
if os.path.exists(sys.argv[1]):
    for line in open(sys.argv[1]):
        try:
            f = json.loads(line)
        except ValueError:  # a line cut by a killed call
            continue
        node = report
        *path, last = f["key"].split(".")
        for p in path:
            node = node.setdefault(p, {})
        node[last] = f["value"]
tmp = sys.argv[2] + ".tmp"
with open(tmp, "w") as out:
    json.dump(report, out, indent=2, sort_keys=True)
    out.write("\n")
os.replace(tmp, sys.argv[2])
EOF
  [ -z "$REPORT_COPY" ] || cp "$WORK/report.json" "$REPORT_COPY"
}

# GPU utilisation and memory, sampled every 100 ms into DIR/smi.csv while the stages run.
start_sampler() {
  SAMPLER=
  command -v nvidia-smi >/dev/null || return 0
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader,nounits -lms 100 \
    >>"$WORK/smi.csv" 2>/dev/null &
  SAMPLER=$!
}
stop_sampler() { [ -z "${SAMPLER:-}" ] || kill "$SAMPLER" 2>/dev/null; }

# busy FROM TO: mean GPU utilisation (share) and peak memory (MiB) between two epoch times.
gpu_window() {
  "$PY" - "$WORK/smi.csv" "$1" "$2" <<'EOF'
import datetime, json, os, sys
path, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
util, mem = [], []
if os.path.exists(path):
    for line in open(path):
        parts = [p.strip() for p in line.split(",")]
        try:
            t = datetime.datetime.strptime(parts[0], "%Y/%m/%d %H:%M:%S.%f").timestamp()
            u, m = float(parts[1]), float(parts[2])
        except (ValueError, IndexError):
            continue
        if t0 <= t <= t1:
            util.append(u)
            mem.append(m)
print(json.dumps({"busy": round(sum(util) / len(util) / 100, 3) if util else None,
                  "peak_memory_mib": max(mem) if mem else None, "samples": len(util)}))
EOF
}

# The unpacked bundle's environment (its LD_LIBRARY_PATH: OpenBLAS and gfortran for FAISS) and
# CUDA's: every stage that runs the binary needs them, also in a later call than the build's.
use_bundle() {
  if [ -f /tmp/autoscale-deps/autoscale-env.sh ]; then
    # shellcheck disable=SC1091
    source /tmp/autoscale-deps/autoscale-env.sh
  fi
  export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
  export PATH=$CUDA_HOME/bin:$PATH
}

# ------------------------------------------------------------------------------------------ stages
stage_build() {
  local t0 log=$WORK/build.log args=()
  : >"$log"  # this call's build only: the NCCL retry reads it
  if [ "$DRY" = 1 ] && [ -f "$BUILD/build.ninja" ]; then
    say "build: bringing $BUILD up to date (CPU libtorch)"
  else
    if [ "$DRY" = 0 ]; then
      [ -d "$DIR/bundle" ] || die "$DIR/bundle is missing: run 'scripts/gpu-check.sh prepare $DIR' where the registry is reachable"
      scripts/offline-bundle.sh install "$DIR/bundle" /tmp/autoscale-deps >>"$log" 2>&1 || die "unpacking the bundle failed (see $log)"
      use_bundle
      read -r -a args <<<"$AUTOSCALE_CMAKE_ARGS"
      args+=(-DAUTOSCALE_CUDA=ON "-DCMAKE_CUDA_COMPILER=$CUDA_HOME/bin/nvcc")
    fi
    say "build: configuring $BUILD"
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${args[@]}" >>"$log" 2>&1 ||
      { fact_str build.error "$(tail -25 "$log")"; fact build.ok false; return 1; }
  fi
  t0=$(now)
  if ! cmake --build "$BUILD" -j "$JOBS" --target autoscale gpu_tests >>"$log" 2>&1; then
    if [ "$DRY" = 0 ] && grep -q "NCCL: ON" "$log"; then  # the one part no CPU machine compiled
      fact_str build.nccl_error "$(grep -m5 -A3 'error' "$log" | head -30)"
      say "build failed with NCCL: once more without it"
      cmake -S . -B "$BUILD" -DAUTOSCALE_NCCL=OFF >>"$log" 2>&1 &&
        cmake --build "$BUILD" -j "$JOBS" --target autoscale gpu_tests >>"$log" 2>&1 ||
        { fact_str build.error "$(tail -40 "$log")"; fact build.ok false; return 1; }
    else
      fact_str build.error "$(tail -40 "$log")"; fact build.ok false; return 1
    fi
  fi
  fact build.seconds "$("$PY" -c "print(round($(now) - $t0, 1))")"
  fact build.ok true
  fact_str build.torch_dir "$(grep -m1 '^Torch_DIR:' "$BUILD/CMakeCache.txt" | cut -d= -f2)"
  # The configure's last word on NCCL (a retry without it comes after the first).
  fact build.nccl "$([ "$(grep -o 'NCCL: [A-Z]*' "$log" | tail -1)" = "NCCL: ON" ] && echo true || echo false)"
}

stage_test() {
  local junit=$WORK/gpu-tests.xml
  say "test: ctest -L gpu"
  rm -f "$junit"
  local env=()
  [ "$DRY" = 1 ] && env=(AUTOSCALE_GPU_TEST_DEVICE=cpu)
  env "${env[@]}" ctest --test-dir "$BUILD" -L '^gpu$' --output-on-failure --output-junit "$junit" >"$WORK/test.log" 2>&1
  local rc=$?
  "$PY" - "$junit" >"$WORK/test.json" <<'EOF'
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.iter("testcase")
out = {"passed": 0, "failed": 0, "skipped": 0, "failures": []}
for c in cases:
    status = c.get("status", "")
    if c.find("failure") is not None or status == "fail":
        out["failed"] += 1
        out["failures"].append(c.get("name"))
    elif c.find("skipped") is not None or status in ("notrun", "disabled"):
        out["skipped"] += 1
    else:
        out["passed"] += 1
print(json.dumps(out))
EOF
  fact tests "$(cat "$WORK/test.json")"
  grep -h "process group:" "$WORK/test.log" | head -1 | sed 's/^/  /'
  [ "$rc" = 0 ]
}

# One planner training through `autoscale train`: samples/s, data wait, and the GPU's busy share
# over the optimiser's own window (the process minus its set-up, which reads the stores).
train_once() {
  local name=$1 batch=$2 bf16=$3 steps=$4 out=$WORK/train-$1 log=$WORK/train-$1.log t0 t1
  rm -rf "$out"
  t0=$(now)
  "$BIN" train --scenes "$STORES/real" --synthetic "$STORES/perturbed" -o "$out" \
    "train.steps=$steps" "train.batch=$batch" "train.bf16=$bf16" "train.device=$DEVICE" train.warmup_steps=1 \
    train.eval_every=0 "train.checkpoint_every=$steps" "train.log_every=$steps" >"$log" 2>&1 ||
    { fact_str "train.$name.error" "$(tail -5 "$log")"; return 1; }
  t1=$(now)
  "$PY" - "$log" "$batch" "$bf16" "$t0" "$t1" "$steps" <<'EOF' >"$out.json"
import json, re, sys
log, batch, bf16, t0, t1, steps = sys.argv[1:7]
text = open(log).read()
m = re.search(r"trained \S+ for (\d+) steps on (\S+?)(?: x \d+ ranks)?: loss ([\d.]+), (\d+) samples/s, ([\d.]+)% of the time waiting", text)
if not m:
    raise SystemExit(f"{log}: no 'trained ...' line")
sps, wait = float(m.group(4)), float(m.group(5)) / 100
timed = int(steps) * int(batch) / sps
row = {"batch": int(batch), "steps": int(steps), "bf16": bf16 == "true", "device": m.group(2), "samples_per_s": sps,
       "data_wait_share": wait, "loss": float(m.group(3)), "timed_seconds": round(timed, 2),
       "process_seconds": round(float(t1) - float(t0), 2)}
print(json.dumps(row))
EOF
  # The busy share over the timed window: the last `timed_seconds` before the model was written.
  local timed
  timed=$("$PY" -c "import json; print(json.load(open('$out.json'))['timed_seconds'])")
  local window
  window=$(gpu_window "$("$PY" -c "print($t1 - $timed - 0.5)")" "$t1")
  fact "train.$name" "$("$PY" -c "import json,sys; r=json.load(open('$out.json')); w=json.loads(sys.argv[1]); r['gpu_busy']=w['busy']; r['gpu_peak_memory_mib']=w['peak_memory_mib']; print(json.dumps(r))" "$window")"
  "$PY" -c "import json; r=json.load(open('$out.json')); print('  %-10s %7.0f samples/s, data wait %.1f%%' % ('$name', r['samples_per_s'], 100*r['data_wait_share']))"
}

stage_train() {
  say "train: the default planner on $DEVICE"
  local ok=0
  train_once b64_fp32 64 false "$STEPS" || ok=1
  if [ "$DRY" = 0 ]; then
    train_once b512_fp32 512 false "$STEPS" || ok=1
    train_once b64_bf16 64 true "$STEPS" || ok=1  # bf16 autocast is a CUDA path (a no-op on the CPU)
    train_once b512_bf16 512 true "$STEPS" || ok=1
  else  # the rehearsal: the same samples as the batch-64 run, so it stays short on 2 cores
    train_once b512_fp32 512 false $(((STEPS + 7) / 8)) || ok=1
  fi
  return $ok
}

stage_encode() {
  say "encode: fit the Graph-RAE (configs/demo.yaml), then embed every scene with it"
  local log=$WORK/encode.log
  rm -f "$WORK/rae.pt" "$WORK/emb.h5" "$WORK/emb2.h5"
  "$BIN" encode --config configs/demo.yaml --scenes "$STORES/real" "$STORES/sumo" "$STORES/perturbed" \
    -o "$WORK/emb.h5" --checkpoint "$WORK/rae.pt" -q >"$log" 2>&1 || { fact_str encode.error "$(tail -5 "$log")"; return 1; }
  local t0 t1
  t0=$(now)
  "$BIN" encode --config configs/demo.yaml --scenes "$STORES/real" "$STORES/sumo" "$STORES/perturbed" \
    -o "$WORK/emb2.h5" --load "$WORK/rae.pt" -q >>"$log" 2>&1 || { fact_str encode.error "$(tail -5 "$log")"; return 1; }
  t1=$(now)
  fact encode "$("$PY" - "$log" "$(gpu_window "$t0" "$t1")" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
fit = re.search(r"trained the Graph-RAE on \d+ scenes .* in ([\d.]+) s", text)
embeds = re.findall(r"embedded (\d+) scenes .* \((\d+) scenes/s\)", text)
w = json.loads(sys.argv[2])
print(json.dumps({"fit_seconds": float(fit.group(1)) if fit else None,
                  "scenes": int(embeds[-1][0]) if embeds else None,
                  "embed_scenes_per_s": float(embeds[-1][1]) if embeds else None,
                  "gpu_busy_while_embedding": w["busy"]}))
EOF
)"
}

demo_once() {  # demo_once NAME [env...]: configs/demo.yaml end to end, wall seconds and test PDMS
  local name=$1; shift
  local out=$WORK/demo-$name log=$WORK/demo-$name.log t0 t1
  rm -rf "$out"
  t0=$(now)
  env "$@" "$BIN" run --config configs/demo.yaml -o "$out" "loop.real=[$STORES/real]" \
    "loop.synthetic=[$STORES/sumo,$STORES/perturbed]" >"$log" 2>&1 || { fact_str "demo.$name.error" "$(tail -5 "$log")"; return 1; }
  t1=$(now)
  fact "demo.$name" "$("$PY" - "$out" "$t0" "$t1" <<'EOF'
import json, os, sys
out, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
row = {"wall_seconds": round(t1 - t0, 1)}
for base, _, files in os.walk(out):  # the final job's result (jobs/<name>/result.json)
    if "result.json" in files:
        r = json.load(open(os.path.join(base, "result.json")))
        row.update(test_pdms=r["test"]["pdms"], search_seconds=r["search_seconds"], train_seconds=r["train_seconds"])
print(json.dumps(row))
EOF
)"
  echo "  $name: $(grep -o '"wall_seconds": [0-9.]*' <<<"$(tail -1 "$WORK/facts.jsonl")")"
}

stage_demo() {
  say "demo: autoscale run --config configs/demo.yaml"
  local ok=0
  if [ "$DRY" = 0 ]; then
    demo_once gpu || ok=1
    demo_once cpu CUDA_VISIBLE_DEVICES= || ok=1  # the same machine with the GPU hidden
    fact demo.gpu_over_cpu "$("$PY" - "$WORK/report.json" "$WORK/facts.jsonl" <<'EOF'
import json, sys
rows = {}
for line in open(sys.argv[2]):
    f = json.loads(line)
    if f["key"] in ("demo.gpu", "demo.cpu"):
        rows[f["key"]] = f["value"]
g, c = rows.get("demo.gpu"), rows.get("demo.cpu")
print(json.dumps(round(g["wall_seconds"] / c["wall_seconds"], 3) if g and c else None))
EOF
)"
  else
    demo_once cpu || ok=1
  fi
  return $ok
}

# ------------------------------------------------------------------------------------------- run
run() {
  DIR=.gpu-check DRY=0 BUILD= STAGES=build,test,train,encode,demo STEPS= JOBS=$(nproc) REPORT_COPY=
  [ $# -gt 0 ] && [ "${1#--}" = "$1" ] && { DIR=$1; shift; }
  while [ $# -gt 0 ]; do
    case "$1" in
      --cpu-dry-run) DRY=1 ;;
      --build) BUILD=$2; shift ;;
      --stages) STAGES=$2; shift ;;
      --steps) STEPS=$2; shift ;;
      --jobs) JOBS=$2; shift ;;
      --report) REPORT_COPY=$2; shift ;;
      *) die "run: unknown option $1 (see the header of $0)" ;;
    esac
    shift
  done
  for s in ${STAGES//,/ }; do
    case "$s" in build|test|train|encode|demo) ;; *) die "--stages: unknown stage '$s' (build,test,train,encode,demo)" ;; esac
  done
  PY=$(command -v python3) || die "python3 is needed for the report"
  [ "$DRY" = 1 ] && [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  WORK=$DIR/work
  mkdir -p "$WORK"
  BUILD=${BUILD:-$DIR/build}
  STEPS=${STEPS:-$([ "$DRY" = 1 ] && echo 20 || echo 300)}
  BIN=$BUILD/autoscale
  STORES=$DIR/stores
  if [ "$DRY" = 0 ]; then
    command -v nvidia-smi >/dev/null || die "no nvidia-smi: not a GPU machine (rehearse with --cpu-dry-run)"
    DEVICE=cuda
    use_bundle
  else
    DEVICE=cpu
  fi
  [[ ",$STAGES," == *,build,* ]] && rm -f "$WORK/facts.jsonl" "$WORK/smi.csv"  # a new build: a new report
  fact_str mode "$([ "$DRY" = 1 ] && echo cpu-dry-run || echo gpu)"
  fact_str machine.cpu_cores "$(nproc)"
  fact_str machine.gpu "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 || echo none)"
  fact_str machine.compiler "$(c++ --version 2>/dev/null | head -1 || echo none)"
  fact_str machine.python_torch "$("$PY" -c 'import torch; print(torch.__version__, torch.version.cuda)' 2>/dev/null || echo none)"
  trap stop_sampler EXIT
  start_sampler
  local failed=()
  for s in ${STAGES//,/ }; do
    if [ "$s" != build ] && [ ! -x "$BIN" ]; then
      failed+=("$s"); fact_str "$s.error" "no $BIN (run the build stage)"; continue
    fi
    if [[ "$s" =~ ^(train|encode|demo)$ ]] && [ ! -d "$STORES/real" ]; then
      if [ "$DRY" = 1 ]; then
        make_stores "$STORES" "$BIN" "${AUTOSCALE_SHARED_DIR:-$ROOT/../shared}"
      else
        die "$STORES is missing: run 'scripts/gpu-check.sh prepare $DIR' here and carry $DIR"
      fi
    fi
    [[ "$s" =~ ^(train|encode|demo)$ ]] && make_perturbed
    "stage_$s" || failed+=("$s")
    write_report
  done
  stop_sampler
  [ -z "${SAMPLER:-}" ] || fact gpu_peak_memory_mib "$(gpu_window 0 1e12 | "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["peak_memory_mib"]))')"
  fact_str failed_stages "${failed[*]:-}"
  write_report
  say "report: $WORK/report.json${REPORT_COPY:+ (and $REPORT_COPY)}"
  [ ${#failed[@]} -eq 0 ] || die "stages failed: ${failed[*]} (the report says why)"
}

case "${1:-}" in
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 prepare [DIR] | run [DIR] [--cpu-dry-run] [--build DIR] [--stages LIST] [--steps N] [--jobs N] [--report FILE]" >&2
     exit 2 ;;
esac
