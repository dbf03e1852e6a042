#!/usr/bin/env bash
# An external planner's trajectories, scored by token (`eval --trajectories`), on the embedded
# real NGSIM recordings: the same per-token numbers as the built-in path for the same plans, in
# both file formats and both PDMS versions; a split with plans for some scenes; bad files.
# usage: trajectories_test.sh AUTOSCALE_BIN TEST_DATA_DIR PYTHON
set -u
BIN=$1 DATA=$2 PY=$3
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
R=eval.ego_size=recorded

"$BIN" import "$DATA/commonroad-ngsim" -o "$T/real" -q >/dev/null 2>&1
check "import the NGSIM recordings" [ $? -eq 0 ]

# --- the built-in agents' plans, written and read back: identical scores ----------------------
for v in v1 v2; do
  for agent in pdm_closed constant_velocity; do
    "$BIN" eval --scenes "$T/real" --agent $agent --pdms-version $v --out "$T/$agent-$v.csv" \
      --write-trajectories "$T/$agent-$v.jsonl" -q $R >"$T/out" 2>&1
    check "$agent ($v): --write-trajectories writes every scored plan" contains "$T/out" "wrote 109 trajectories"
    "$BIN" eval --scenes "$T/real" --trajectories "$T/$agent-$v.jsonl" --pdms-version $v --out "$T/file-$v.csv" \
      -q $R >"$T/out" 2>&1
    check "  ...--trajectories (JSON lines) exits 0" [ $? -eq 0 ]
    check "  ...and gives the same per-token CSV" cmp -s "$T/$agent-$v.csv" "$T/file-$v.csv"
  done
done

# --- CSV, one row per pose, with and without t --------------------------------------------------
"$PY" - "$T/constant_velocity-v1.jsonl" "$T/cv-t.csv" "$T/cv.csv" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[2], "w") as timed, open(sys.argv[3], "w") as plain:
    timed.write("token,t,x,y,heading\n")
    plain.write("token,x,y,heading\n")
    for r in rows:
        for k, (x, y, h) in enumerate(r["poses"]):
            timed.write(f"{r['token']},{r['interval'] * (k + 1)!r},{x!r},{y!r},{h!r}\n")
            plain.write(f"{r['token']},{x!r},{y!r},{h!r}\n")
EOF
"$BIN" eval --scenes "$T/real" --trajectories "$T/cv-t.csv" --out "$T/cv-t-scores.csv" -q $R >/dev/null 2>&1
check "CSV with t gives the same per-token CSV" cmp -s "$T/constant_velocity-v1.csv" "$T/cv-t-scores.csv"
"$BIN" eval --scenes "$T/real" --trajectories "$T/cv.csv" --out "$T/cv-scores.csv" -q $R >"$T/out" 2>&1
check "CSV without t: the pose count gives the interval (8 at 0.5 s, 40 at 0.1 s)" \
  cmp -s "$T/constant_velocity-v1.csv" "$T/cv-scores.csv"

# --- NAVSIM's sampling: 8 poses at 0.5 s, every 5th pose of the 0.1 s plan ------------------------
"$PY" - "$T/pdm_closed-v1.jsonl" "$T/navsim8.jsonl" "$T/half.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[2], "w") as out, open(sys.argv[3], "w") as half:
    for r in rows:
        poses = r["poses"][4:40:5]
        assert len(poses) == 8
        out.write(json.dumps({"token": r["token"], "poses": poses}) + "\n")
    for r in rows[::2]:
        half.write(json.dumps(r) + "\n")
EOF
"$BIN" eval --scenes "$T/real" --trajectories "$T/navsim8.jsonl" --out "$T/navsim8.csv" -q $R >"$T/out" 2>&1
check "8 poses without an interval are NAVSIM's 0.5 s" contains "$T/out" "(109 of 109 scenes valid"
"$BIN" eval --scenes "$T/real" --agent pdm_closed --write-trajectories "$T/pc.jsonl" --out "$T/pc.csv" -q $R >/dev/null 2>&1
check "  ...and score close to the 0.1 s plan they sample" "$PY" -c "
import csv
a = {r['token']: float(r['score']) for r in csv.DictReader(open('$T/pc.csv'))}
b = {r['token']: float(r['score']) for r in csv.DictReader(open('$T/navsim8.csv'))}
assert a.keys() == b.keys()
d = sum(abs(a[k] - b[k]) for k in a) / len(a)
assert d < 0.05, d"

# --- a split: the file's plans for part of it; the rest is reported invalid by token ----------------
"$BIN" eval --scenes "$T/real" --trajectories "$T/half.jsonl" --out "$T/half.csv" -q $R >"$T/out" 2>&1
check "without --split, the file's tokens are the scenes" contains "$T/out" "(55 of 55 scenes valid"
"$BIN" eval --scenes "$T/real" --trajectories "$T/half.jsonl" --split test -q $R data.split.test_logs=[USA_Peach-4_8_T-1] \
  >"$T/out" 2>&1
check "with --split, the split's scenes without a plan are counted" contains "$T/out" "trajectories for"
check "  ...and reported invalid by token" contains "$T/out" "has no plan for it"

# --- bad files: one line naming the file, line and field; nothing written ------------------------------
bad() {  # bad NAME FILE-CONTENT EXPECTED-MESSAGE
  printf '%b' "$2" >"$T/bad.$4"
  "$BIN" eval --scenes "$T/real" --trajectories "$T/bad.$4" --out "$T/bad-scores.csv" -q $R >"$T/out" 2>"$T/err"
  local rc=$?
  check "$1: exit 1" [ $rc -eq 1 ]
  check "  ...naming it: $3" contains "$T/err" "$3"
  check "  ...in one line" one_line "$T/err"
  check "  ...and no CSV" [ ! -e "$T/bad-scores.csv" ]
}
TOK=$(head -1 "$T/navsim8.jsonl" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['token'])")
bad "NaN in a CSV" "token,x,y,heading\n$TOK,1,nan,0\n" "bad.csv:2: y: expected a finite number" csv
bad "a token the store does not hold" '{"token": "nope", "poses": [[1,0,0],[2,0,0],[3,0,0],[4,0,0],[5,0,0],[6,0,0],[7,0,0],[8,0,0]]}\n' \
  "1 of 1 tokens are not scenes of" jsonl
bad "5 poses, no interval" "{\"token\": \"$TOK\", \"poses\": [[1,0,0],[2,0,0],[3,0,0],[4,0,0],[5,0,0]]}\n" \
  "bad.jsonl:1: 5 poses and no interval" jsonl
bad "a token twice" "token,t,x,y,heading\n$TOK,0.5,1,0,0\n${TOK}x,0.5,1,0,0\n$TOK,1.0,2,0,0\n" \
  "continues after other tokens' rows" csv
bad "uneven t" "token,t,x,y,heading\n$TOK,0.5,1,0,0\n$TOK,1.5,2,0,0\n" "expected 1 (uniform steps" csv
bad "an interval in microseconds" "{\"token\": \"$TOK\", \"poses\": [[1,0,0]], \"interval\": 1e-9}\n" \
  "interval 1e-09 s, expected 0.01 .. 10 s" jsonl
bad "no heading column" "token,x,y\n$TOK,1,0\n" "bad.csv:1: no column heading" csv
bad "a pose of two numbers" "{\"token\": \"$TOK\", \"poses\": [[1,0]], \"interval\": 0.5}\n" "poses[0]: expected [x, y, heading]" jsonl
printf '\xef\xbb\xbf' | cat - "$T/navsim8.jsonl" >"$T/bom.jsonl"
"$BIN" eval --scenes "$T/real" --trajectories "$T/bom.jsonl" -q $R >"$T/out" 2>&1
check "a byte-order mark before JSON lines is skipped" contains "$T/out" "(109 of 109 scenes valid"
printf '{"token": "nope", "poses": [[1,0,0],[2,0,0],[3,0,0],[4,0,0],[5,0,0],[6,0,0],[7,0,0],[8,0,0]]}\n' >"$T/other.jsonl"
"$BIN" eval --scenes "$T/real" --trajectories "$T/other.jsonl" --split test -q $R >"$T/out" 2>"$T/err"
check "with --split too, a token the store lacks is refused" contains "$T/err" "1 of 1 tokens are not scenes of"
"$BIN" eval --scenes "$T/real" --agent human --trajectories "$T/half.jsonl" >"$T/out" 2>"$T/err"
check "--agent with --trajectories is refused" [ $? -ne 0 ]
"$BIN" eval --scenes "$T/real" >"$T/out" 2>"$T/err"
check "neither --agent nor --trajectories is refused" contains "$T/err" "give exactly one of --agent"

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
