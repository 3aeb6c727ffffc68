import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed

HINT = ("one generator for the whole run, Adam on model.parameters(), losses.sum().backward(), "
        "optimizer.step() then optimizer.zero_grad(); record each step's losses before its update.")


def _run(module, reference, steps=30, seed=grading_seed(5)):
    model = reference.ToyModel(4, 5, 2, seed=grading_seed(3))
    probability = torch.tensor([1.0, 0.3, 0.1, 0.03])
    importance = reference.importance_decay(5)[None].repeat(4, 1)
    losses = call_graded(module.train_toy_model, model, probability, importance,
                         steps=steps, batch_size=32, lr=1e-2, seed=seed, changes=("model",))
    return model, losses


def test_matches_reference(graded, reference):
    model, losses = _run(graded, reference)
    model_ref, losses_ref = _run(reference, reference)
    check_tensor(losses, losses_ref, what="train_toy_model's losses [30 steps, 4 instances]", atol=1e-5, hint=HINT)
    for name in ("W", "b"):
        check_tensor(getattr(model, name).detach(), getattr(model_ref, name).detach(), what=f"the trained {name}", atol=1e-5,
                     hint="the losses match, so train the model you are given, in place (not a copy of it).")


def test_first_loss_is_the_initial_models(graded, reference):
    model = reference.ToyModel(4, 5, 2, seed=grading_seed(3))
    probability, importance = torch.tensor([1.0, 0.3, 0.1, 0.03]), torch.rand(4, 5)
    batch = reference.generate_batch(32, probability, 5, torch.Generator().manual_seed(grading_seed(5)))
    expected = reference.importance_weighted_loss(model(batch), batch, importance).detach()
    losses = call_graded(graded.train_toy_model, model, probability, importance, steps=1, batch_size=32, lr=1e-2, seed=grading_seed(5),
                         changes=("model",))
    check_tensor(losses[0], expected, what="train_toy_model's first row of losses",
                 against="the untrained model's loss on the first batch",
                 hint="row 0 is the untrained model's loss on the first batch from torch.Generator().manual_seed(seed).")


def test_learns_dense_features(graded, reference):
    model = reference.ToyModel(2, 2, 2, seed=grading_seed(0))  # as many hidden dimensions as features: nothing to squeeze
    losses = call_graded(graded.train_toy_model, model, torch.ones(2), torch.ones(2, 2), steps=300, batch_size=64, lr=3e-2,
                         changes=("model",))
    check(tuple(losses.shape) == (300, 2), f"train_toy_model returned losses of shape {tuple(losses.shape)}; "
          "expected [steps, instances] = (300, 2).")
    final = losses[-20:].mean(0)
    check(bool((final < 0.05 * losses[0]).all()),
          f"2 dense features in 2 hidden dimensions should be learned almost perfectly, but the loss went from "
          f"{losses[0].tolist()} to {final.tolist()}. Check that the optimizer steps and the grads are zeroed.")
