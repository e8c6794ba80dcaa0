#!/usr/bin/env bash
# Installs what the dashboard's browser tests need: Debian's chromium (driven by Python Playwright through
# executable_path=/usr/bin/chromium) and CJK fonts (so screenshots show Chinese, not boxes).
# Non-interactive and quiet; needs root (as CI has). Does nothing when both are already there.
set -euo pipefail

need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  need+=(fonts-noto-cjk)
fi
if [[ ${#need[@]} -eq 0 ]]; then
  echo "browser: chromium and CJK fonts present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "browser: need root to install ${need[*]} (run as root or install them yourself)" >&2
    exit 1
  fi
fi

echo "browser: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
echo "browser: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium installed')"
