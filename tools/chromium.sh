#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the docs check (`make docs-check`): install it when it is
# missing and this user is root or may sudo without a password; otherwise stop with the command to run.
set -euo pipefail
[ -n "${CHROMIUM:-}" ] && exit 0  # check_docs.py takes this path
command -v chromium >/dev/null || command -v chromium-browser >/dev/null && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=(); elif sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
  echo "The docs check needs Chromium, and this user cannot install it. Run once:" >&2
  echo "    sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "installing Debian's chromium for the docs check" >&2
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null || { echo "apt-get ran, but there is still no chromium on PATH" >&2; exit 1; }
