import torch

from exercises.testing import call_graded, check_tensor


def _model(module, W, b):
    model = module.ToyModel(W.shape[0], W.shape[2], W.shape[1])
    with torch.no_grad():
        model.W.copy_(W)
        model.b.copy_(b)
    return model


def test_matches_reference(graded, reference):
    W, b = torch.randn(3, 2, 5), torch.randn(3, 5) * 0.3
    features = torch.rand(7, 3, 5)
    check_tensor(
        call_graded(_model(graded, W, b), features),
        _model(reference, W, b)(features),
        what="ToyModel.forward(features [7, 3, 5]) with W [3 instances, 2 hidden, 5 features]",
        hint="h = W x per instance, then ReLU(W^T h + b); each instance uses its own W[k] and b[k].",
    )


def test_instances_are_separate_models(graded):
    W, b = torch.randn(4, 3, 6), torch.randn(4, 6) * 0.3
    features = torch.rand(5, 4, 6)
    one_by_one = torch.stack([torch.relu(features[:, k] @ W[k].T @ W[k] + b[k]) for k in range(4)], dim=1)
    check_tensor(
        call_graded(_model(graded, W, b), features),
        one_by_one,
        what="ToyModel.forward",
        against="each instance k computed alone, ReLU(x W[k]^T W[k] + b[k])",
        hint="do not mix instances: the einsum keeps `inst` on both sides.",
    )


def test_antipodal_pair_by_hand(graded):
    W = torch.tensor([[[1.0, -1.0]]])  # one instance, one hidden dimension, two features pointing opposite ways
    b = torch.tensor([[-0.5, -0.5]])
    features = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]], [[0.0, 0.0]]])
    check_tensor(
        call_graded(_model(graded, W, b), features),
        torch.tensor([[[0.5, 0.0]], [[0.0, 0.5]], [[0.0, 0.0]]]),
        what="ToyModel.forward with W = [[1, -1]], b = [-0.5, -0.5] on x = [1, 0], [0, 1], [0, 0]",
        against="a case computed by hand",
        hint="h = W x can be negative: no ReLU on h in this model, only on the output (after adding b).",
    )
