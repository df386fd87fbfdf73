#!/usr/bin/env bash
# Sets up, builds cnzoo (release) and runs the main job on the bundled defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product cnzoo
"$(swift build -c release --show-bin-path)/cnzoo" verify --variant tiny
