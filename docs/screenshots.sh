#!/usr/bin/env bash
# Build the site and take the screenshots kept in docs/assets/ with headless Chromium
# (Debian: apt-get install chromium). Run from the repository root after `pip install -e '.[docs]'`.
set -euo pipefail
site="$(mktemp -d)"
profile="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$site" "$profile"' EXIT
NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true mkdocs build --strict --site-dir "$site"
python3 -m http.server 8777 --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
server=$!
sleep 1
for spec in "index.html:home" "reference/index.html:api-reference"; do
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1280,900 \
    --screenshot="docs/assets/${spec##*:}.png" "http://127.0.0.1:8777/${spec%%:*}"
done
