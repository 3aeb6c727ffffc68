import torch

from exercises.testing import call_graded, check_tensor


def _model(module, W, b):
    model = module.NeuronModel(W.shape[0], W.shape[2], W.shape[1])
    with torch.no_grad():
        model.W.copy_(W)
        model.b.copy_(b)
    return model


def test_matches_reference(graded, reference):
    W, b = torch.randn(3, 4, 6), torch.randn(3, 6) * 0.3
    features = torch.rand(7, 3, 6)
    check_tensor(
        call_graded(_model(graded, W, b), features),
        _model(reference, W, b)(features),
        what="NeuronModel.forward(features [7, 3, 6]) with W [3 instances, 4 neurons, 6 features]",
        hint="ReLU(W^T ReLU(W x) + b): a ReLU on the hidden neurons and another on the output.",
    )


def test_negative_neuron_is_silenced(graded):
    W = torch.tensor([[[1.0, -1.0]]])  # one neuron: +1 for feature 0, -1 for feature 1
    b = torch.tensor([[0.0, 0.25]])
    features = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])
    check_tensor(
        call_graded(_model(graded, W, b), features),
        torch.tensor([[[1.0, 0.0]], [[0.0, 0.25]]]),
        what="NeuronModel.forward with one neuron W = [[1, -1]], b = [0, 0.25] on x = [1, 0] and [0, 1]",
        against="a case computed by hand",
        hint="on x = [0, 1] the neuron's input is -1, and its ReLU outputs 0: nothing reaches feature 1 but its bias.",
    )
