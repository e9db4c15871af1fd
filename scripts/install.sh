#!/usr/bin/env bash
# Installs what onair needs on Debian/Ubuntu: system packages, npm packages, and the build.
#   bash scripts/install.sh          what `onair serve` needs
#   bash scripts/install.sh --test   plus what the test suite needs (Chromium, Postgres, GStreamer, srt-tools, nginx)
#   bash scripts/install.sh --bench  plus the peers the benchmarks compare against (nginx-rtmp, wrk)
set -euo pipefail
cd "$(dirname "$0")/.."

want=(ffmpeg openssl pkg-config python3 make g++ libsrt-openssl-dev)
for arg in "$@"; do
  case "$arg" in
    --test) want+=(chromium postgresql srt-tools nginx gstreamer1.0-tools gstreamer1.0-plugins-base
                   gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav) ;;
    --bench) want+=(nginx libnginx-mod-rtmp wrk srt-tools) ;;
    *) echo "install.sh: unknown option $arg (use --test or --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "install.sh: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build
