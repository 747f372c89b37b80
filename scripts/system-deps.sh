#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages mapdash needs, only when they are missing.
#   system-deps.sh            python's venv module
#   system-deps.sh postgis    + PostgreSQL server and the matching PostGIS
#   system-deps.sh browser    + Chromium and Thai fonts, for the browser tests
set -euo pipefail

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: $*" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "installing OS packages with apt-get (a minute or more): $* ..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

server_version() {
  ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sed -E 's#.*/postgresql/([0-9]+)/bin.*#\1#' \
    | sort -n | tail -1
}

python3 -c "import ensurepip, venv" 2>/dev/null || apt_install python3-venv

for want in "$@"; do
  case "$want" in
    postgis)
      [ -n "$(server_version)" ] || apt_install postgresql
      version=$(server_version)
      [ -f "/usr/share/postgresql/$version/extension/postgis.control" ] \
        || apt_install "postgresql-$version-postgis-3"
      ;;
    browser)
      command -v chromium >/dev/null || apt_install chromium
      fc-list 2>/dev/null | grep -qiE "Loma|Garuda|Noto Sans Thai" || apt_install fonts-thai-tlwg fonts-noto-core
      ;;
    *) echo "unknown: $want" >&2; exit 2 ;;
  esac
done
