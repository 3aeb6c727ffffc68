import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed

HINT = "draw the values with torch.rand first, then the mask with a second torch.rand, both with the generator."


def _batch(module, batch_size, probability, n_features, seed=grading_seed(0)):
    return call_graded(module.generate_batch, batch_size, probability, n_features, torch.Generator().manual_seed(seed))


def test_matches_reference(graded, reference):
    probability = torch.tensor([1.0, 0.5, 0.1, 0.0])
    check_tensor(
        _batch(graded, 64, probability, 6, seed=grading_seed(3)),
        _batch(reference, 64, probability, 6, seed=grading_seed(3)),
        what="generate_batch(64, feature_probability [1, 0.5, 0.1, 0], 6 features, seed 3)",
        hint=HINT,
    )


def test_sparsity_and_values(graded):
    probability = torch.tensor([1.0, 0.3, 0.05, 0.0])
    batch = _batch(graded, 4000, probability, 5)
    check(tuple(batch.shape) == (4000, 4, 5), f"generate_batch(4000, 4 probabilities, 5 features) has shape "
          f"{tuple(batch.shape)}; expected (batch, instances, features) = (4000, 4, 5).")
    check(bool(((batch >= 0) & (batch <= 1)).all()), "every feature should be 0 or uniform in [0, 1]; some are outside [0, 1].")
    present = (batch != 0).float().mean(dim=(0, 2))
    check(
        torch.allclose(present, probability, atol=0.02),
        f"the fraction of nonzero features per instance is {present.tolist()}; expected about {probability.tolist()} "
        "(feature_probability is the chance a feature is present: compare the mask's uniform draw with `<`).",
    )
    values = batch[:, 0]
    check(abs(values.mean().item() - 0.5) < 0.02 and abs(values.var().item() - 1 / 12) < 0.01,
          f"present features should be uniform on [0, 1] (mean 0.5, variance 1/12); got mean {values.mean():.3f}, "
          f"variance {values.var():.4f}. Use torch.rand, not torch.randn.")


def test_uses_the_generator(graded):
    generator = torch.Generator().manual_seed(grading_seed(0))
    probability = torch.tensor([0.5, 0.5])
    first = graded.generate_batch(8, probability, 4, generator)
    second = graded.generate_batch(8, probability, 4, generator)
    check(not torch.equal(first, second), "two calls with the same generator returned the same batch: draw every "
          "random number from the `generator` argument, which moves on after each draw.")
