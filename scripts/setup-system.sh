#!/usr/bin/env bash
# What the tests need from the system, installed where missing (Debian): Chromium drives the end-to-end tests
# (playwright-core cannot download a browser here), Java runs the W3C Nu HTML Checker (npm vnu-jar), and the
# Noto fonts render every Vietnamese tone mark in screenshots. Needs root, or sudo, when something is missing.
set -euo pipefail

packages=()
[ -x /usr/bin/chromium ] || [ -n "${CHROMIUM_PATH:-}" ] || packages+=(chromium)
command -v java >/dev/null || packages+=(default-jre-headless)
[ -d /usr/share/fonts/truetype/noto ] || [ -d /usr/share/fonts/opentype/noto ] || packages+=(fonts-noto-core)
if [ "${#packages[@]}" -eq 0 ]; then
  echo "setup: chromium, java and the Noto fonts are installed"
  exit 0
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "setup: installing ${packages[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null
