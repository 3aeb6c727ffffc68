import torch

from exercises.testing import call_graded, check, check_close, grading_seed


def test_hand_computed(graded):
    activations = torch.tensor([[1.0, 0.0], [3.0, 0.0], [2.0, 3.0]])  # mean [2, 1]; total sum of squares 2 + 6 = 8
    reconstructions = torch.tensor([[1.0, 1.0], [3.0, 0.0], [2.0, 2.0]])  # squared error 1 + 0 + 1 = 2
    latents = torch.tensor([[0.0, 2.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 3.0]])  # 1, 2, 1 active; latent 2 dead
    got = call_graded(graded.reconstruction_metrics, activations, reconstructions, latents)
    check(isinstance(got, dict) and {"l0", "dead_fraction", "variance_explained"} <= set(got),
          f"reconstruction_metrics should return a dict with 'l0', 'dead_fraction', 'variance_explained'; got {got!r}")
    check_close(got["l0"], 4 / 3, what="reconstruction_metrics(...)['l0'] (1, 2 and 1 latents active)", against="the hand-computed 4/3",
                hint="count latents > 0 per input, then average over the inputs.")
    check_close(got["dead_fraction"], 0.25, what="reconstruction_metrics(...)['dead_fraction'] (1 of 4 latents never fires)",
                against="the hand-computed 1/4", hint="a latent is dead when it is 0 on every input: ~(latents > 0).any(dim=0).")
    check_close(got["variance_explained"], 1 - 2 / 8, what="reconstruction_metrics(...)['variance_explained']",
                against="1 - (squared error 2) / (squared distance to the mean input, 8)",
                hint="subtract the mean input (over the batch) in the denominator; sum over everything, no per-dimension ratios.")


def test_matches_reference_on_random_data(graded, reference):
    generator = torch.Generator().manual_seed(grading_seed(5))
    activations = 2.0 + torch.randn(12, 6, generator=generator) * torch.linspace(0.2, 3.0, 12)[:, None]  # inputs of unequal sizes
    reconstructions = activations + 0.5 * torch.randn(12, 6, generator=generator)
    latents = torch.randn(12, 10, generator=generator).relu()
    latents[:, [2, 7]] = 0.0  # two dead latents
    got = call_graded(graded.reconstruction_metrics, activations, reconstructions, latents)
    expected = reference.reconstruction_metrics(activations, reconstructions, latents)
    check(isinstance(got, dict) and set(expected) <= set(got),
          f"reconstruction_metrics should return a dict with 'l0', 'dead_fraction', 'variance_explained'; got {type(got).__name__}")
    hints = {"l0": "count latents > 0 per input, then average over the inputs.",
             "dead_fraction": "a latent is dead when it is 0 on every input: ~(latents > 0).any(dim=0), averaged over the latents.",
             "variance_explained": "one ratio for the whole batch: 1 - (squared error summed over every input and dimension) / "
                                   "(squared distance to the mean input, summed the same way); a ratio per input (or per "
                                   "dimension), averaged, weighs small inputs like large ones."}
    not_floats = {key: type(got[key]).__name__ for key in expected if not isinstance(got[key], float)}
    check(not not_floats,
          f"reconstruction_metrics(12 random inputs [12, 6], ...) should give Python floats (use .item()); got "
          f"{', '.join(f'{k!r}: a {t}' for k, t in not_floats.items())}. The replication rounds and prints them as numbers.")
    for key in ("l0", "dead_fraction", "variance_explained"):
        check_close(got[key], expected[key],
                    what=f"reconstruction_metrics(12 random inputs of unequal sizes [12, 6], noisy reconstructions, latents [12, 10])[{key!r}]",
                    hint=hints[key])
