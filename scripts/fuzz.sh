#!/usr/bin/env bash
# Runs every fuzz target of the module for a fixed number of executions each (default 200000x,
# about 10 s a target here). go test runs one fuzz target per invocation, so the targets are
# found and run one by one. The budget is a count, not a duration: Go 1.26's fuzz coordinator
# can report its own -fuzztime deadline as a failure without any failing input (golang/go#75804,
# fixed in Go 1.27), and a count sets no deadline. Any failure fails the run.
set -euo pipefail
fuzztime=${1:-200000x}
cd "$(dirname "$0")/.."
count=0
while IFS=: read -r file target; do
  pkg=./$(dirname "$file")
  echo "fuzz: $target in $pkg, $fuzztime"
  if ! out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
    echo "$out"
    exit 1
  fi
  echo "$out" | tail -1
  count=$((count + 1))
done < <(git ls-files '*_test.go' | xargs grep -o '^func Fuzz[A-Za-z0-9_]*' | sed 's/func //' | sort)
echo "fuzz: $count targets passed"
