import pytest

from exercises.testing import call_graded, check_close

from ._models import SHAPES, batches, tiny_model


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_reference(graded, reference, shape):
    model = tiny_model(shape)
    data, abc = batches(model)
    circuit = [(0, 1), (1, 2), (2, 0), (2, 3)]
    got = call_graded(graded.circuit_logit_diffs, model, data, abc, circuit)
    expected = reference.circuit_logit_diffs(model, data, abc, circuit)
    for key, value in expected.items():
        check_close(got[key], value, atol=1e-4, what=f"circuit_logit_diffs(...)[{key!r}] on a tiny {shape} model, circuit {circuit}, "
                    f"padded prompts with END at {data.end.tolist()}",
                    hint="replace z of the ablated heads at every position with its mean over the ABC prompts (per position); "
                    "read each prompt's logits at its END (end_logits(logits, data.end)), not at the last padded position.")


def test_whole_model_as_circuit(graded, reference):
    model = tiny_model("llama")
    data, abc = batches(model)
    result = call_graded(graded.circuit_logit_diffs, model, data, abc, reference.all_heads(model))
    check_close(result["circuit"], result["model"], atol=1e-4, what="circuit_logit_diffs with every head in the circuit: 'circuit'",
                against="'model' (nothing outside the circuit is ablated)",
                hint="'circuit' ablates the heads NOT in the circuit; 'knocked out' ablates the circuit's heads.")
