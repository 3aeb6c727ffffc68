import pytest
import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed

from ._models import tiny_model


def _batch(generator):
    return torch.randint(0, 12, (4, 3), generator=generator).repeat(1, 4)  # period 3, length 12


def _with_true_gradients(state: dict) -> list[str]:
    """The parameters whose training rounding does not decide. A key bias b_K adds q . b_K to every
    score of a query, which softmax cancels: its true gradient is 0, its computed one is rounding
    noise, and Adam turns noise into steps of size lr, so it ends wherever each CPU's rounding
    sends it (0.04-0.07 apart between kernel settings, the others under 1e-5)."""
    return [name for name in state if not name.endswith("attn.k.bias")]


SETTINGS = dict(lr=1e-2, weight_decay=0.2, seed=grading_seed(4))  # weight_decay not AdamW's default (0.01): the argument must be used


def _states_when_tracked(model, seen: list):
    """A track(step) that keeps (step, a copy of the model's weights at that moment)."""
    return lambda step: seen.append((step, {k: v.detach().clone() for k, v in model.state_dict().items()}))


def test_matches_reference(graded, reference):
    model, expected_model = tiny_model(), tiny_model()  # the same weights: one for each implementation
    initial, seen = tiny_model().state_dict(), []
    losses = call_graded(graded.train_attn_only, model, _batch, steps=6, **SETTINGS, every=2,
                         track=_states_when_tracked(model, seen), changes=("model",))
    expected = reference.train_attn_only(expected_model, _batch, steps=6, **SETTINGS)
    check(isinstance(losses, list) and len(losses) == 6 and all(isinstance(v, float) for v in losses),
          f"train_attn_only(steps=6) should return a list of 6 floats (loss.item()), got "
          + (f"a list of {[type(v).__name__ for v in losses]}" if isinstance(losses, list) else repr(losses)))
    check_tensor(torch.tensor(losses), torch.tensor(expected), atol=1e-4,
                 what="the losses of train_attn_only(tiny model, period-3 batches, steps=6, lr=1e-2, weight_decay=0.2, seed=4)",
                 hint="AdamW(model.parameters(), lr=lr, weight_decay=weight_decay): pass weight_decay on (here 0.2, "
                      "not AdamW's default 0.01); one generator seeded once; zero the grads every step.")
    trained, expected_trained = model.state_dict(), expected_model.state_dict()
    for name in _with_true_gradients(expected_trained):
        check_tensor(trained[name], expected_trained[name], atol=1e-4,
                     what=f"the trained model's {name} after train_attn_only(steps=6, weight_decay=0.2)",
                     hint="train the model you are given, in place (do not copy it); return only the losses.")
    # What track(step) sees: the model after `step` updates (the same as training for `step` steps), then the final one.
    check([step for step, _ in seen] == [0, 2, 4, 6],
          f"train_attn_only(steps=6, every=2, track=...) called track at steps {[step for step, _ in seen]}; "
          "expected [0, 2, 4, 6]: before the update of every step that is a multiple of every, and once after the last.")
    for step, state in seen:
        if step == 0:
            state_ref = initial
        elif step == 6:
            state_ref = expected_trained
        else:
            shorter = tiny_model()
            reference.train_attn_only(shorter, _batch, steps=step, **SETTINGS)
            state_ref = shorter.state_dict()
        for name in _with_true_gradients(state_ref):
            check_tensor(state[name], state_ref[name], atol=1e-4,
                         what=f"the model's {name} at the moment train_attn_only called track({step})",
                         against=f"the model after {step} updates" if step else "the untrained model",
                         hint="call track(step) BEFORE that step's update (at step 0 it sees the untrained model), "
                              "and track(steps) after the last update.")


@pytest.mark.timeout(60)  # 60 training steps: about 4 s, several times that on a busy CPU
def test_tracking_and_learning(graded):
    model, calls = tiny_model(), []
    losses = call_graded(graded.train_attn_only, model, _batch, steps=60, lr=1e-2, seed=grading_seed(0), every=25, track=calls.append,
                         changes=("model",))
    check(calls == [0, 25, 50, 60], f"track should be called at steps 0, 25, 50 and once at the end (60); got {calls}")
    check(sum(losses[-10:]) / 10 < losses[0] - 0.3,
          f"60 steps on period-3 data should lower the loss: first {losses[0]:.2f}, last 10 average {sum(losses[-10:]) / 10:.2f}")
    check(not model.training, "leave the model in eval mode (model.eval()) after training")
