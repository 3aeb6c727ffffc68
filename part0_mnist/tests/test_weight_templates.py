import torch

from exercises.testing import call_graded, check_tensor


def test_matches_reference(graded, reference):
    W = torch.randn(10, 784)
    check_tensor(
        call_graded(graded.weight_templates, W),
        reference.weight_templates(W),
        what="weight_templates(W [10, 784])",
        hint="reshape each row to 28 rows of 28 pixels; a transpose would mirror the digit.",
    )


def test_pixel_positions(graded):
    W = torch.zeros(3, 784)
    W[1, 28 * 5 + 9] = 1.0  # class 1, row 5, column 9
    templates = call_graded(graded.weight_templates, W)
    expected = torch.zeros(3, 28, 28)
    expected[1, 5, 9] = 1.0
    check_tensor(templates, expected, what="weight_templates with one weight at pixel index 28 * 5 + 9 of row 1",
                 against="a case computed by hand",
                 hint="pixel index 28 * r + c belongs at row r, column c.")
