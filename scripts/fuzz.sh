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
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  count=$((count + 1))
done < <(git ls-files '*_test.go' | xargs grep -o '^func Fuzz[A-Za-z0-9_]*' | sed 's/func //' | sort)
echo "fuzz: $count targets passed"
