#!/usr/bin/env bash
# Installs the Debian packages cnzoo builds against. Idempotent: returns in well under a second when everything is
# already installed. Needs root (or sudo) only when something is missing.
set -euo pipefail
packages=(pkg-config libzip-dev libprotobuf-c-dev protobuf-c-compiler libhdf5-dev libopenblas-dev
          libjpeg62-turbo-dev libpng-dev libssl-dev zlib1g-dev
          time)   # /usr/bin/time: the robustness tests measure peak RSS of hostile inputs with it
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
