#!/usr/bin/env bash
# Debian packages the tests use: independent protocol implementations for
# interoperability tests, CUPS for printing, the cloud's document
# converters (src/cloud/conversion/): Ghostscript, img2pdf, tiff2pdf
# (libtiff-tools), rsvg-convert (librsvg2-bin) and headless Chromium (also
# for the web console's browser tests, through playwright-core), systemd for
# `systemd-analyze verify` of the packaged unit, and HAProxy, the load
# balancer in front of the cluster tests (test/cluster/).
set -euo pipefail
PACKAGES=(python3-slixmpp python3-zeroconf avahi-utils cups cups-ipp-utils cups-client ghostscript img2pdf libtiff-tools librsvg2-bin chromium iproute2 openssl faketime systemd haproxy)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
