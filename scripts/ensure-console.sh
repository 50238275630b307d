#!/usr/bin/env bash
# `npm start` serves the web console from dist/web: build it when it is missing
# or older than its sources, so a fresh clone's first start shows the console.
set -euo pipefail
cd "$(dirname "$0")/.."
index=dist/web/index.html
if [ ! -f "$index" ] || [ -n "$(find web -newer "$index" -type f -not -path '*/node_modules/*' -print -quit)" ]; then
  echo "Compilando o console web (dist/web)…" >&2
  npm run -s build:web
fi
