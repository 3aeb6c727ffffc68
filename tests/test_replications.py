"""Each built part's replication runs end to end at its quick size (the full size is a benchmark:
python -m exercises replicate partN --target solutions)."""

import importlib
import math

import pytest

from exercises.parts import built_parts

PARTS = [p for p in built_parts() if (p.path / "replicate.py").exists()]


@pytest.mark.smoke
@pytest.mark.timeout(900)
@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_quick_replication(part, tmp_path):
    module = importlib.import_module(f"{part.folder}.replicate")
    numbers = module.run(target="solutions", quick=True, device="cpu", out_dir=tmp_path)
    assert numbers and all(math.isfinite(v) for v in numbers.values()), numbers
    reports = list(tmp_path.glob("*.html"))
    assert reports and all(r.stat().st_size > 100_000 for r in reports), "the replication wrote no HTML report"
    for name, (low, high) in getattr(module, "QUICK_EXPECTATIONS", {}).items():
        assert low <= numbers[name] <= high, f"{part.short} quick run: {name} = {numbers[name]}, expected [{low}, {high}]"
