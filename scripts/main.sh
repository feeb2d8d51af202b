#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then runs the main job: `sous train configs/fashion.yaml`, the small CNN
# on Fashion-MNIST with the embedded defaults (extra arguments are overrides, e.g. trainer.epochs=2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node dist/src/cli/main.js train configs/fashion.yaml "$@"
