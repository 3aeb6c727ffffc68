"""part4_ioi/missing_heads.py, part 4's going-further script: what it measures, and its errors."""

import json

import pytest

from part4_ioi import missing_heads
from part4_ioi.tests._models import batches, tiny_model
from solutions import part4_ioi as reference


def test_the_one_missing_head_restores_the_whole_model():
    """With every head but one in the circuit, adding that one gives faithfulness 1; others change less."""
    model = tiny_model("gpt2")
    data, abc = batches(model)
    heads = reference.all_heads(model)
    missing = heads[5]
    circuit = [head for head in heads if head != missing]
    faithfulness = missing_heads.faithfulness_with_each(reference, model, data, abc, circuit[:-1], [missing, circuit[-1]])
    assert faithfulness[missing] != pytest.approx(faithfulness[circuit[-1]])
    faithfulness = missing_heads.faithfulness_with_each(reference, model, data, abc, circuit, [missing])
    assert faithfulness[missing] == pytest.approx(1.0, abs=1e-5)


def test_the_circuit_file_must_come_from_a_full_replication(tmp_path):
    path = tmp_path / "part4_circuit.json"
    with pytest.raises(SystemExit, match="missing: run python -m exercises replicate part4 first"):
        missing_heads.read_circuit(path)
    path.write_text(json.dumps({"model": "smollm2", "quick": True, "heads": [[23, 0]]}))
    with pytest.raises(SystemExit, match="comes from a --quick run"):
        missing_heads.read_circuit(path)
    path.write_text(json.dumps({"model": "smollm2", "quick": False, "heads": [[23, 0], [20, 0]]}))
    assert missing_heads.read_circuit(path) == ("smollm2", [(23, 0), (20, 0)])
