# Shared by the end-to-end test scripts (source it): a scratch directory $T removed on exit,
# and named checks counted into $checks / $failures.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0 checks=0

check() {  # check NAME CONDITION...
  local name=$1; shift
  checks=$((checks + 1))
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
contains() { grep -qF -- "$2" "$1"; }
one_line() { [ "$(grep -c . "$1")" -eq 1 ]; }
