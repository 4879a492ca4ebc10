#!/usr/bin/env bash
# Installs the system libraries Hezhang needs on Debian/Ubuntu when they are missing:
# GDAL (with GEOS and PROJ), SpatiaLite, Python's venv module, gettext. `--postgis` adds PostgreSQL's PostGIS and QGIS's Python (CI)
# (CI and PostGIS development). Idempotent: does nothing when everything is there.
set -euo pipefail

# gettext: msgfmt compiles the apps' translation catalogues (make compilemessages).
# fonts-wqy-zenhei: a TrueType-outline CJK font that reportlab can embed in PDF reports (Noto CJK is
# CFF-outlined, which reportlab cannot embed).
pkgs=(gdal-bin libgdal-dev libsqlite3-mod-spatialite python3-venv python3-dev gettext fonts-wqy-zenhei)
# The console's browser tests drive Debian's chromium (Playwright cannot download a browser here);
# fonts-noto-cjk draws Chinese in it (and in screenshots) with a system font, never a web font.
pkgs+=(chromium fonts-noto-cjk)
# node + npm install the console's front-end parts from package-lock.json (make vendor). Any node >= 18
# already on PATH will do (this machine kind has one from another source); otherwise Debian's.
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
# python3-qgis: the QGIS 3.22 client test of /ogc/ (Basic with a token) runs QGIS's own Python in CI.
[[ "${1:-}" == "--postgis" ]] && pkgs+=(postgresql-15-postgis-3 postgresql-client python3-qgis)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${missing[*]}. This script knows apt only (Debian/Ubuntu); install them by hand." >&2
  exit 1
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "Need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
