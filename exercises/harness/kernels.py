"""Other CPUs, simulated on this one: the kernel settings the course's verdict must not depend on.

Learners run the course on Apple-silicon Macs, Windows laptops and graders' containers, never on
the machine that recorded the golden files. What differs between those CPUs, as far as a float
result goes, is which vector kernels torch runs (ATen's, chosen by CPU capability) and which code
path its BLAS (MKL on x86) takes. Both can be forced on one machine:

    python -m exercises.maintain kernels                      # the settings this CPU can run
    python -m exercises.maintain kernels -- pytest part3_induction --reference=golden --target=solutions
                                                     # that command once under each setting
    python -m exercises.maintain kernels --matrix [--parts 0 3]   # record the golden files under each setting,
                                                     # replay under each: outcomes that change (all 0)

The matrix grades, for every (recording, replay) pair, the solutions (every test must pass), the
stubs (every test must fail) and every mutant (each caught by a test, as in the full course), and
reports the closest any comparison came to its tolerance (`pytest --log-margins`).

A setting this CPU cannot run (avx512 on a CPU without AVX-512) is skipped: torch would quietly
fall back to a lower one. aarch64 (Apple silicon, with its own kernels and BLAS) cannot be
simulated here; see the README's "The same verdict on every machine".
"""

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from exercises.parts import ROOT, Part, built_parts, find_part

# ATEN_CPU_CAPABILITY picks ATen's kernels; MKL_CBWR pins MKL's code path (COMPATIBLE: the one that
# runs on any x86 CPU; AVX2: a CPU without AVX-512). The native setting leaves MKL to choose.
SETTINGS: dict[str, dict[str, str]] = {
    "default": {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"},
    "avx512": {"ATEN_CPU_CAPABILITY": "avx512"},
}
_VARIABLES = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS")


def environment(setting: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with the variables of `setting` and no others of theirs."""
    if setting not in SETTINGS:
        raise ValueError(f"unknown kernel setting {setting!r}: use one of {', '.join(SETTINGS)}")
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _VARIABLES}
    env.update(SETTINGS[setting])
    return env


def current() -> str:
    """The setting this process runs under: the one whose ATen capability torch reports."""
    import torch

    return torch.backends.cpu.get_cpu_capability().lower()


@functools.cache
def available() -> tuple[str, ...]:
    """The settings this CPU can run: those torch does not lower to another capability, and whose
    vector kernels run (a virtual machine can report AVX-512 to torch and then kill it with an
    illegal instruction on the first softmax: seen on 2026-12-02)."""
    probe = ("import torch; x = torch.randn(256, 256); (x @ x).softmax(-1).exp().sum().item(); "
             "print(torch.backends.cpu.get_cpu_capability().lower())")
    usable = []
    for setting in SETTINGS:
        done = subprocess.run([sys.executable, "-c", probe], env=environment(setting), capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == setting:
            usable.append(setting)
    return tuple(usable)


# --- the matrix: record under one setting, replay under the others ---


def _record(setting: str, parts: list[Part], directory: Path) -> None:
    command = [sys.executable, "-m", "exercises.harness.recordings", *[p.short for p in parts], "--out-dir", str(directory)]
    subprocess.run(command, cwd=ROOT, env=environment(setting), check=True, stdout=subprocess.DEVNULL)


def _replay(setting: str, parts: list[Part], directory: Path, target: str, out: Path) -> dict:
    """Outcomes and margins of the parts' tests, `target` graded against the recordings in `directory`."""
    report, margins = out.with_suffix(".report.json"), out.with_suffix(".margins.json")
    command = [sys.executable, "-m", "pytest", *[p.folder for p in parts], f"--target={target}", "--reference=golden",
               f"--golden-dir={directory}", f"--report-json={report}", f"--log-margins={margins}",
               "-q", "-p", "no:cacheprovider", "-p", "no:warnings"]
    subprocess.run(command, cwd=ROOT, env=environment(setting), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    outcomes = json.loads(report.read_text()) if report.exists() else {}
    if not outcomes:  # an empty run would count as "nothing wrong"
        raise RuntimeError(f"the {target} replay under {setting} of the recordings in {directory} ran no test: "
                           f"run `{' '.join(command)}` by hand to see why")
    return {"outcomes": outcomes, "margins": json.loads(margins.read_text())}


def _verdicts(solutions: dict, mutants: dict) -> dict[str, str]:
    """One verdict per test (solutions), per stub test and per (exercise test file, mutant)."""
    verdicts = {f"solutions {k}": v["outcome"] for k, v in solutions["outcomes"].items()}
    caught: dict[str, bool] = {}
    for nodeid, entry in mutants["outcomes"].items():
        if entry["variant"] == "stub":
            verdicts[f"stub {nodeid}"] = entry["outcome"]
        else:
            key = f"mutant {Path(entry['path']).relative_to(ROOT)} {entry['variant']}"
            caught[key] = caught.get(key, False) or entry["outcome"] == "failed"
    verdicts.update({k: "caught" if v else "not caught" for k, v in caught.items()})
    return verdicts


_EXPECTED = {"solutions": "passed", "stub": "failed", "mutant": "caught"}  # the verdict each kind must get


def _is_wrong(key: str, verdict: str) -> bool:
    return verdict != _EXPECTED[key.split()[0]]


def matrix(parts: list[Part], settings: tuple[str, ...], jobs: int = 2) -> str:
    """Records under each setting, replays under each; a markdown table of what changed."""
    with tempfile.TemporaryDirectory(prefix="kernels-") as tmp:
        tmp = Path(tmp)
        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(lambda r: _record(r, parts, tmp / r), settings))
            pairs = [(r, p) for r in settings for p in settings]
            runs = {(r, p, target): pool.submit(_replay, p, parts, tmp / r, target, tmp / f"{r}-{p}-{target}")
                    for r, p in pairs for target in ("solutions", "mutants")}
            results = {key: future.result() for key, future in runs.items()}
    lines = ["| recorded under | replayed under | solutions failing | stubs passing | mutants not caught | "
             "outcomes changed vs its own setting | closest check / replay match (fraction of tolerance) |",
             "|---|---|---|---|---|---|---|"]
    details = []
    for r, p in pairs:
        verdicts = _verdicts(results[r, p, "solutions"], results[r, p, "mutants"])
        own = _verdicts(results[r, r, "solutions"], results[r, r, "mutants"])
        changed = sorted(k for k in verdicts.keys() | own.keys() if verdicts.get(k) != own.get(k))
        margins = results[r, p, "solutions"]["margins"]
        check = max((m.get("check", 0.0) for m in margins.values()), default=0.0)
        replay = max((m.get("replay", 0.0) for m in margins.values()), default=0.0)
        wrong = [sum(1 for k, v in verdicts.items() if k.split()[0] == kind and _is_wrong(k, v)) for kind in _EXPECTED]
        lines.append(f"| {r} | {p} | {' | '.join(map(str, wrong))} | {len(changed)} | {check:.3f} / {replay:.3f} |")
        details += [f"{r} -> {p}: {k}: {v}" for k, v in sorted(verdicts.items()) if _is_wrong(k, v) or k in changed]
        closest = sorted(margins.items(), key=lambda kv: -max(kv[1].values()))[:3]
        details += [f"{r} -> {p}: closest: {nodeid} {m}" for nodeid, m in closest]
    return "\n".join(lines + [""] + details)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exercises.maintain kernels", description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS), help="default: every one this CPU can run")
    parser.add_argument("--matrix", action="store_true", help="record under each setting, replay under each")
    parser.add_argument("--parts", nargs="+", help="with --matrix: these parts (default: every built one)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: the command to run under each setting")
    args = parser.parse_args(argv)
    settings = args.settings or available()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.matrix:
        parts = [find_part(p) for p in args.parts] if args.parts else built_parts()
        print(matrix(parts, tuple(settings)))
        return 0
    if not command:
        for setting in SETTINGS:
            state = "runs here" if setting in available() else "not on this CPU"
            print(f"{setting:8} {state:16} {' '.join(f'{k}={v}' for k, v in SETTINGS[setting].items())}")
        return 0
    failed = 0
    for setting in settings:
        print(f"==> {setting}: {' '.join(command)}", flush=True)
        failed += subprocess.run(command, env=environment(setting)).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
