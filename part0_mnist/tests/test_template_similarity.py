import torch

from exercises.testing import call_graded, check, check_tensor


def test_matches_reference(graded, reference):
    templates, means = torch.randn(10, 28, 28), torch.rand(10, 28, 28)
    check_tensor(
        call_graded(graded.template_similarity, templates, means),
        reference.template_similarity(templates, means),
        what="template_similarity(templates [10, 28, 28], class_means [10, 28, 28])",
        hint="centre each set over its 10 classes, then cosine similarity: rows are templates, columns means.",
    )


def test_shared_offset_is_ignored(graded):
    """Adding one image to every template (or every mean) changes nothing after centring."""
    templates, means = torch.randn(10, 28, 28), torch.rand(10, 28, 28)
    plain = call_graded(graded.template_similarity, templates, means)
    shifted = call_graded(graded.template_similarity, templates + 5 * torch.rand(28, 28), means + torch.rand(28, 28))
    check_tensor(shifted, plain, what="template_similarity after adding one image to every template and mean",
                 atol=1e-4, against="your template_similarity of the unshifted inputs",
                 hint="subtract the mean over classes (dim 0) from each set before the cosine.")
    check(bool((plain.abs() <= 1 + 1e-5).all()), "cosine similarities must lie in [-1, 1]: normalise each row.")


def test_rows_are_templates(graded):
    means = torch.randn(10, 28, 28)
    templates = means[[1, 0, 2, 3, 4, 5, 6, 7, 8, 9]]  # template 0 looks like class 1
    similarity = call_graded(graded.template_similarity, templates, means)
    check_tensor(similarity[0, 1], torch.tensor(1.0), what="similarity[0, 1] when template 0 equals class mean 1",
                 atol=1e-4, against="the cosine 1 of two equal vectors",
                 hint="rows index templates, columns index class means.")
