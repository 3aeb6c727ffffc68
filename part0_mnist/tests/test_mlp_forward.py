import torch

from exercises.testing import call_graded, check_tensor


def test_matches_reference(graded, reference):
    images = torch.rand(5, 784)
    params = [torch.randn(16, 784) * 0.1, torch.randn(16), torch.randn(10, 16), torch.randn(10)]
    check_tensor(
        call_graded(graded.mlp_forward, images, *params),
        reference.mlp_forward(images, *params),
        what="mlp_forward(images [5, 784], W1 [16, 784], b1 [16], W2 [10, 16], b2 [10])",
        hint="W2 @ relu(W1 @ x + b1) + b2 for every image: the ReLU goes after the first bias.",
    )


def test_relu_blocks_negative_hidden_units(graded):
    images = torch.ones(1, 2)
    W1, b1 = torch.tensor([[1.0, 1.0], [-1.0, -1.0]]), torch.zeros(2)  # hidden = [2, -2] before ReLU
    W2, b2 = torch.tensor([[1.0, 1.0]]), torch.zeros(1)
    check_tensor(call_graded(graded.mlp_forward, images, W1, b1, W2, b2), torch.tensor([[2.0]]),
                 what="mlp_forward with hidden pre-activations [2, -2] summed by W2", hint="the -2 must become 0.",
                 against="a case computed by hand")
