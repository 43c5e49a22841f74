# Sourced by scripts/serve and scripts/test: make .venv and install mock-em into it, once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
extras=${1:-}
stamp=".venv/.installed${extras:+-$extras}"
fresh() { [ -f "$1" ] && [ ! pyproject.toml -nt "$1" ]; }
# An install with the test extras also serves `scripts/serve`.
if ! fresh "$stamp" && ! { [ -z "$extras" ] && fresh .venv/.installed-test; }; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
