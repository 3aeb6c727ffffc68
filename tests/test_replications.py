"""Each built part's replication runs end to end at its quick size (the full size is a benchmark:
python -m exercises replicate partN --target solutions)."""

import importlib

import pytest

from exercises.maintain import checks
from exercises.parts import built_parts

PARTS = [p for p in built_parts() if (p.path / "replicate.py").exists()]


@pytest.mark.smoke
@pytest.mark.timeout(900)
@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_quick_replication(part, tmp_path):
    module = importlib.import_module(f"{part.folder}.replicate")
    numbers = module.run(target="solutions", quick=True, device="cpu", out_dir=tmp_path)
    problems = checks.replication_numbers(part, numbers, getattr(module, "QUICK_EXPECTATIONS", {}),
                                          list(tmp_path.glob("*.html")))
    assert problems == [], "\n".join(problems)
