#!/usr/bin/env bash
# Debian packages the tests use: independent protocol implementations for
# interoperability tests, CUPS for printing, Ghostscript for conversion,
# Chromium for the web console's browser tests (playwright-core drives it).
set -euo pipefail
PACKAGES=(python3-slixmpp python3-zeroconf avahi-utils cups cups-ipp-utils cups-client ghostscript iproute2 openssl faketime chromium)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
