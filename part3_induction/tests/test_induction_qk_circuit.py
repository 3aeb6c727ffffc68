from types import SimpleNamespace

import torch

from exercises.testing import call_graded, check_tensor

from ._models import tiny_model

HINT = ("queries = W_E @ W_Q[l1, h1]; keys = W_E @ W_V[l0, h0] @ W_O[l0, h0] @ W_K[l1, h1] "
        "(the previous-token head's OV, then the induction head's keys); circuit = queries @ keys.T, not scaled.")


def test_matches_reference(graded, reference):
    model = tiny_model()
    for previous, induction in [((0, 1), (1, 0)), ((0, 0), (1, 1))]:
        check_tensor(call_graded(graded.induction_qk_circuit, model, previous, induction),
                     reference.induction_qk_circuit(model, previous, induction), atol=1e-4,
                     what=f"induction_qk_circuit(tiny model, previous_token_head={previous}, induction_head={induction})",
                     hint=HINT)


def test_a_circuit_built_by_hand(graded):
    """Identity embeddings and query/key maps; the previous-token head's OV shifts token t to t + 1.

    A key position whose previous token is j then carries token j + 1, so the circuit is the
    shift matrix: row i is 1 at column i - 1. The induction head's own OV (2 * identity) must not
    enter the key side.
    """
    eye, shift = torch.eye(3), torch.roll(torch.eye(3), 1, dims=1)  # row t of `shift` is token t + 1
    stack = lambda layer0, layer1: torch.stack([layer0, layer1])[:, None]  # [layer, head=1, 3, 3]
    model = SimpleNamespace(W_E=eye, W_Q=stack(eye, eye), W_K=stack(eye, eye), W_V=stack(shift, 2 * eye),
                            W_O=stack(eye, eye))
    expected = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # row i: 1 at column i - 1
    check_tensor(call_graded(graded.induction_qk_circuit, model, (0, 0), (1, 0)), expected,
                 what="induction_qk_circuit with identity embeddings and a previous-token OV that shifts tokens by one",
                 against="a case computed by hand (row i is 1 at column i - 1)", hint=HINT)
