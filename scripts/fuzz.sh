#!/usr/bin/env bash
# Runs every fuzz target of the module for a fixed time each (default 10s). go test runs one
# fuzz target per invocation, so the targets are found and run one by one.
set -euo pipefail
fuzztime=${1:-10s}
cd "$(dirname "$0")/.."
count=0
while IFS=: read -r file target; do
  pkg=./$(dirname "$file")
  echo "fuzz: $target in $pkg for $fuzztime"
  # Go 1.26's fuzz coordinator can report its own -fuzztime deadline as a failure ("context
  # deadline exceeded") without any failing input, a race fixed in Go 1.27 (golang/go#75804);
  # that run is tried once more. A finding always fails.
  if ! out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
    echo "$out"
    if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
      echo "fuzz: $target missed its deadline without a finding; running it once more"
      go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
    else
      exit 1
    fi
  else
    echo "$out" | tail -1
  fi
  count=$((count + 1))
done < <(git ls-files '*_test.go' | xargs grep -o '^func Fuzz[A-Za-z0-9_]*' | sed 's/func //' | sort)
echo "fuzz: $count targets passed"
