import torch

from exercises.testing import call_graded, check_tensor


def test_matches_reference(graded, reference):
    images, W, b = torch.rand(6, 784), torch.randn(10, 784), torch.randn(10)
    check_tensor(
        call_graded(graded.linear_forward, images, W, b),
        reference.linear_forward(images, W, b),
        what="linear_forward(images [6, 784], W [10, 784], b [10])",
        hint="logits[i, c] = images[i] . W[c] + b[c]: use W.T, and do not forget the bias.",
    )


def test_one_image_by_hand(graded):
    image = torch.tensor([[1.0, 2.0]])
    W = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    b = torch.tensor([0.5, 0.0, -1.0])
    check_tensor(
        call_graded(graded.linear_forward, image, W, b),
        torch.tensor([[1.5, 2.0, 2.0]]),
        what="linear_forward on image [1, 2] with W rows [1,0], [0,1], [1,1] and b [0.5, 0, -1]",
        against="a case computed by hand",
    )
