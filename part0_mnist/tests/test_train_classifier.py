import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed


def _problem():
    """A small 3-class problem with 20 inputs: 50 points around three random centres."""
    centres = torch.randn(3, 20) * 2
    labels = torch.randint(0, 3, (50,))
    return centres[labels] + torch.randn(50, 20), labels


def _train(module, reference, images, labels, **settings):
    params = [torch.zeros(3, 20), torch.zeros(3)]
    return call_graded(module.train_classifier, reference.linear_forward, params, images, labels, **settings,
                       returns=("params", "losses"))


def test_matches_reference(graded, reference):
    images, labels = _problem()
    settings = dict(epochs=3, batch_size=16, lr=0.1, seed=grading_seed(7))
    (W, b), losses = _train(graded, reference, images, labels, **settings)
    (W_ref, b_ref), losses_ref = _train(reference, reference, images, labels, **settings)
    check(
        len(losses) == len(losses_ref),
        f"train_classifier returned {len(losses)} losses for 3 epochs of 50 examples in batches of 16; "
        f"expected {len(losses_ref)} (4 batches per epoch, the last one smaller).",
    )
    hint = "shuffle once per epoch with torch.randperm(n, generator=generator), one generator for all epochs; zero the grads after every step."
    check_tensor(torch.tensor(losses), torch.tensor(losses_ref), what="the per-batch losses", atol=1e-4, hint=hint)
    for name, trained, expected in (("W", W, W_ref), ("b", b, b_ref)):
        check_tensor(trained, expected, what=f"the trained {name}", atol=1e-4,
                     hint="the losses match, so return the parameters you trained (your copies), not the ones you were given.")


def test_learns_the_problem(graded, reference):
    images, labels = _problem()
    (W, b), losses = _train(graded, reference, images, labels, epochs=20, batch_size=10, lr=0.1)
    accuracy = reference.accuracy(reference.linear_forward(images, W, b), labels)
    check(
        losses[-1] < losses[0] / 4 and accuracy > 0.95,
        f"after 20 epochs the loss went from {losses[0]:.3f} to {losses[-1]:.3f} and training accuracy is "
        f"{accuracy:.0%}; expected a loss below a quarter of the first and accuracy above 95%. "
        "Check the sign of the update: p -= lr * p.grad.",
    )


def test_trains_the_forward_it_is_given(graded, reference):
    """An MLP (4 parameters), as the replication trains one: `forward` is the model, not linear_forward."""
    images, labels = _problem()
    calls = []

    def counted_mlp_forward(*args):
        calls.append(1)
        return reference.mlp_forward(*args)

    settings = dict(epochs=2, batch_size=16, lr=0.1, seed=grading_seed(3))
    params = reference.init_mlp(8, n_in=20, n_classes=3, seed=grading_seed(1))
    trained, losses = call_graded(graded.train_classifier, counted_mlp_forward, params, images, labels, **settings,
                                  returns=("params", "losses"))
    check(len(calls) == 8,
          f"train_classifier(forward=mlp_forward, MLP params [W1, b1, W2, b2], 50 examples, batch_size=16, epochs=2) "
          f"called `forward` {len(calls)} times; expected 8, once per batch. Compute each batch's logits with "
          f"forward(batch, *params), the forward you are given (here an MLP's), not linear_forward, and only once.")
    trained_ref, losses_ref = reference.train_classifier(reference.mlp_forward, params, images, labels, **settings)
    check_tensor(torch.tensor(losses), torch.tensor(losses_ref), atol=1e-4,
                 what="the per-batch losses of train_classifier(mlp_forward, MLP params, epochs=2, batch_size=16)",
                 hint="pass every parameter to forward: forward(images[batch], *params), however many there are.")
    check(isinstance(trained, (list, tuple)) and len(trained) == 4,
          f"train_classifier(forward=mlp_forward, params [W1, b1, W2, b2]) returned "
          f"{f'{len(trained)} parameters' if isinstance(trained, (list, tuple)) else repr(trained)}; expected all 4, "
          "trained, in the order given: return [p.detach() for p in params] for every parameter, not just W and b.")
    for name, got, expected in zip(("W1", "b1", "W2", "b2"), trained, trained_ref):
        check_tensor(got, expected, atol=1e-4, what=f"the trained MLP's {name}",
                     hint="update every parameter in `params` (p -= lr * p.grad for each), not just the first two.")
