#!/usr/bin/env bash
# Runs every test file through node:test + tsx. Node 20's --test does not expand
# globs, so the shell lists the files. Pass file paths to run only those.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find test -name '*.test.ts' | sort)
  # The console's component tests (Vitest, jsdom) first: node:test's summary stays the last lines.
  npx vitest run --config web/vite.config.ts --reporter dot
fi
exec node --import tsx --import ./test/helpers/setup.ts --test --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}"
