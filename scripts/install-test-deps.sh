#!/usr/bin/env bash
# Installs the Debian packages the test suites use, on a fresh Debian 12 machine (as root).
# The product itself needs none of them: they build fixtures and serve as test oracles.
set -euo pipefail
PKGS=(debootstrap busybox gcc gcc-multilib binutils pax-utils python3-pyelftools chromium libkrb5-dev
      iproute2 util-linux openssl curl hyperfine)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: apt-get install ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
