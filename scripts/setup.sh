#!/usr/bin/env bash
# Set-up for this repository on Debian 12 / Ubuntu 24.04: the Debian packages the kiosk, the native addons and the
# tests need, then `npm ci`. It checks first and changes nothing when everything is there (~0.1 s), so the README's
# commands, `npm run demo` and CI (.ci/run) all start with it.
#
#   scripts/setup.sh            set up (or check) this checkout
#   scripts/setup.sh --print    print the apt-get line and exit
#
# Exit codes: 0 ready, 1 something could not be set up (the message says what to do).
set -euo pipefail
cd "$(dirname "$0")/.."

# The one list of Debian packages. Real components the kiosk and the tests drive: pcscd + vpcd (virtual reader),
# libpcsclite-dev (smartcard's native build needs winscard.h), OpenSC and yubico-piv-tool (independent PIV clients),
# SoftHSM2 (a PKCS#11 token), gcc/g++/make/python3 (native addons, the TCP_NODELAY shim for pcscd), Chromium (the
# browser host, end-to-end tests), zbar (QR cross-check), systemd (systemd-analyze checks build/kiosk/ units),
# slapd + ldap-utils (the issuer's directory lookup is tested against a real OpenLDAP the tests start themselves),
# and for "Set up this PC" (native/device-keys/): tpm2-pkcs11 (the key in the PC's TPM), swtpm + tpm2-tools (a
# software TPM for the tests, and flushing it), libtss2-tcti-swtpm0 (how tpm2-pkcs11 reaches swtpm), NSS's
# modutil/certutil (registering the module where Chromium and Firefox look), libengine-pkcs11-openssl (the TLS proof:
# openssl s_client signing with a key on the PC's token), postgresql-15 (the issuer's PostgreSQL storage is tested
# against a private cluster the tests start with initdb/pg_ctl; the system cluster is not used).
DEBIAN_PACKAGES=(
  pcscd libpcsclite-dev vsmartcard-vpcd opensc opensc-pkcs11 yubico-piv-tool softhsm2
  gcc g++ make python3 chromium zbar-tools fonts-dejavu-core openssl systemd slapd ldap-utils
  swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0 libtpm2-pkcs11-1 libnss3-tools libengine-pkcs11-openssl
  postgresql-15
)

say() { printf 'setup: %s\n' "$*" >&2; }

if [ "${1:-}" = "--print" ]; then
  echo "apt-get install -y ${DEBIAN_PACKAGES[*]}"
  exit 0
fi

missing_packages() {
  # dpkg-query prints the status of each package it knows; anything not "installed" is missing. Plain bash from
  # here on: no process per package, so the no-op run stays fast.
  local -A installed=()
  local package status
  while read -r package status; do
    [ "$status" = "installed" ] && installed[$package]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${DEBIAN_PACKAGES[@]}" 2>/dev/null || true)
  for package in "${DEBIAN_PACKAGES[@]}"; do
    [ -n "${installed[$package]:-}" ] || printf '%s ' "$package"
  done
}

install_packages() {
  local missing
  missing="$(missing_packages)"
  missing="${missing% }"
  [ -z "$missing" ] && return 0
  if ! command -v apt-get >/dev/null; then
    say "this is not a Debian/Ubuntu machine (no apt-get). Install the equivalents of: $missing"
    say "Windows and macOS: see the README (Electron and the system's smart-card service instead)."
    exit 1
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
      sudo=(sudo)
    else
      say "missing Debian packages: $missing"
      say "run this as root, then run this command again:"
      echo "apt-get update && apt-get install -y $missing"
      exit 1
    fi
  fi
  say "installing Debian packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # shellcheck disable=SC2086 # one word per package
  "${sudo[@]}" apt-get install -y -qq $missing >/dev/null
}

NODE_DOWNLOAD="https://nodejs.org/en/download (or NodeSource's Debian packages)"

install_node_modules() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    say "Node.js 20.19 or newer (with npm) is needed and not installed. Debian 12 and Ubuntu 24.04 ship Node 18:"
    say "install Node 20 or 22 from $NODE_DOWNLOAD, then run this command again."
    exit 1
  fi
  local stale status=0
  stale="$(node scripts/node-modules-current.js . 2>&1)" || status=$?
  [ "$status" -eq 0 ] && return 0
  if [ "$status" -eq 2 ]; then
    say "$stale: install Node 20 or 22 from $NODE_DOWNLOAD."
    exit 1
  fi
  say "npm ci ($stale)"
  # The Electron binary is not downloaded here (the browser host runs the kiosk; `npm start` says how to get it).
  export ELECTRON_SKIP_BINARY_DOWNLOAD=1
  # Native addons (smartcard, pkcs11js, better-sqlite3) build against the installed Node's headers when they are
  # there (Debian/NodeSource packages put them in /usr/include/node); otherwise node-gyp fetches them.
  local node_prefix
  node_prefix="$(dirname "$(dirname "$(command -v node)")")"
  if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi
  npm ci --no-audit --no-fund
}

install_packages
install_node_modules
