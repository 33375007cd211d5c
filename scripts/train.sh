#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed. The model is named after a hash of
# everything training reads, so `models/edubot-<hash>.tar.gz` existing means "up to date".
set -euo pipefail
cd "$(dirname "$0")/.."

inputs=(config.yml bot/components.py retrieval/normalize.py retrieval/abbreviations.tsv requirements/rasa.lock)
hash=$( { cat "${inputs[@]}"; find bot/domain data/nlu data/rules data/stories -type f -name '*.yml' | sort | xargs cat; } | sha256sum | cut -c1-12)
model="models/edubot-$hash.tar.gz"
if [ -f "$model" ]; then
  echo "[train] model up to date: $model"
  exit 0
fi
echo "[train] training $model (the training data changed)"
mkdir -p models
PYTHONPATH=. .venv-rasa/bin/rasa train --domain bot/domain --data data/nlu data/rules data/stories --config config.yml \
  --out models --fixed-model-name "edubot-$hash" --quiet
find models -name 'edubot-*.tar.gz' ! -name "edubot-$hash.tar.gz" -delete
echo "[train] done: $model"
