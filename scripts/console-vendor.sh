#!/usr/bin/env bash
# Installs the console's front-end parts (htmx, Leaflet, ECharts) from the npm registry, exactly as
# console/package-lock.json pins them, and copies their distribution files into console/static/vendor/
# (git-ignored; collectstatic/WhiteNoise serve them). Third-party minified code is never committed and
# never loaded from a CDN. Used by `make vendor` and by the Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/../console"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
dist=node_modules
out=static/vendor
rm -rf "$out"
mkdir -p "$out/htmx" "$out/leaflet" "$out/echarts"
cp "$dist/htmx.org/dist/htmx.min.js" "$out/htmx/"
cp -r "$dist/leaflet/dist/leaflet.js" "$dist/leaflet/dist/leaflet.js.map" "$dist/leaflet/dist/leaflet.css" \
  "$dist/leaflet/dist/images" "$out/leaflet/"
cp "$dist/echarts/dist/echarts.min.js" "$out/echarts/"
touch "$out/.installed"
