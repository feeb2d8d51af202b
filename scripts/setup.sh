#!/usr/bin/env bash
# Sets Sous up on a Debian machine: system packages (libtorch, PyTorch as the test oracle, the
# Fashion-MNIST data set, a C++ toolchain; torchvision for the data benchmark; scipy and scikit-image
# as metric oracles; chromium for the dashboard tests; PostgreSQL, whose server the store's tests
# start on loopback), npm packages, the libtorch addon and the TypeScript build.
# Safe to run again: each step skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(libtorch-dev python3-torch python3-torchvision python3-yaml python3-scipy python3-skimage dataset-fashion-mnist chromium postgresql g++ make python3)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "sous setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "sous setup: npm ci"
  # better-sqlite3 builds from source with node-gyp when its prebuilt binary cannot be fetched; a
  # Debian-packaged node has its headers under /usr/include/node, so node-gyp needs no download
  if [ "$(command -v node)" = /usr/bin/node ] && [ -d /usr/include/node ]; then
    npm_config_nodedir="${npm_config_nodedir:-/usr}" npm ci --no-audit --no-fund
  else
    npm ci --no-audit --no-fund
  fi
fi

npm run --silent build:native
npx tsc -p tsconfig.json
echo "sous setup: done"
