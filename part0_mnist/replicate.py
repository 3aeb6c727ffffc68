"""Part 0's replication: train a linear classifier on MNIST with your code and look at its weights.

    python -m exercises replicate part0 [--target solutions] [--quick]

Prints the test accuracy, how well each template matches its class's mean image, and how far an
image must move along a template difference to change its label; writes figures to figures/.
"""

import sys
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import torch
from tqdm.auto import tqdm

from exercises.data import load_mnist
from exercises.harness.targets import load_target
from exercises.plotting import image_grid, save_png_grid, save_report
from exercises.threads import cpu_threads

HERE = Path(__file__).parent
FULL = dict(epochs=10, batch_size=100, lr=0.2, mlp_hidden=32, mlp_lr=0.2, train_examples=60_000)
QUICK = dict(epochs=1, batch_size=100, lr=0.5, mlp_hidden=16, mlp_lr=0.1, train_examples=10_000)
QUICK_EXPECTATIONS = {"linear test accuracy": (0.85, 1.0), "templates matching their own class": (8, 10)}
LINEAR_REFERENCE_ACCURACY = 0.92  # softmax regression on raw pixels: about 92% (LeCun et al. 1998: 88% for a plain linear classifier)


def run(target: str = "exercises", quick: bool = False, device: str | None = None, out_dir: Path | None = None) -> dict[str, float]:
    """Trains the linear model and an MLP with `target`'s code; returns the headline numbers.

    Runs on the CPU whatever `device` says: a linear model on MNIST is faster there than the
    time it takes to move the data. It uses one torch thread: for models this small a second
    thread mostly waits, and on a busy machine that waiting slows training down many times over.
    """
    del device
    ex = load_target("part0", target)
    settings = QUICK if quick else FULL
    out_dir = Path(out_dir) if out_dir else HERE / "figures"
    started = time.perf_counter()

    with cpu_threads():  # one thread: see the docstring
        train_images, train_labels = load_mnist("train")
        test_images, test_labels = load_mnist("test")
        train_x = ex.flatten_images(train_images[: settings["train_examples"]])
        train_y = train_labels[: settings["train_examples"]]
        test_x = ex.flatten_images(test_images)

        (W, b), losses = _train(ex, ex.linear_forward, ex.init_linear(), train_x, train_y, settings, settings["lr"], "linear")
        linear_accuracy = ex.accuracy(ex.linear_forward(test_x, W, b), test_labels)

        templates = ex.weight_templates(W)
        means = ex.class_mean_images(train_x, train_y)
        similarity = ex.template_similarity(templates, means)
        own_class_matches = int((similarity.argmax(dim=1) == torch.arange(10)).sum())

        flip = _flip_experiment(ex, test_x, test_labels, W, b)

        mlp_params, _ = _train(ex, ex.mlp_forward, ex.init_mlp(settings["mlp_hidden"]), train_x, train_y, settings,
                               settings["mlp_lr"], "MLP")
        mlp_accuracy = ex.accuracy(ex.mlp_forward(test_x, *mlp_params), test_labels)

        numbers = {
            "linear test accuracy": linear_accuracy,
            "MLP test accuracy": mlp_accuracy,
            "mean template/own-class cosine": similarity.diag().mean().item(),
            "mean template/other-class cosine": similarity[~torch.eye(10, dtype=torch.bool)].mean().item(),
            "templates matching their own class": own_class_matches,
            "flips reaching the target class": flip["success"],
            "flip distance / image norm": flip["relative_distance"],
            "seconds": time.perf_counter() - started,
        }
        _print(numbers, settings)
        figures = _figures(ex, templates, means, similarity, losses, flip, mlp_params[0], test_x, test_labels, W, b)
        report = save_report(out_dir / "part0_report.html", "Part 0: MNIST weights are templates", figures,
                             {k: f"{v:.4g}" for k, v in numbers.items()})
        png = save_png_grid(out_dir / "part0_templates.png", templates.numpy())
        print(f"\nfigures: {report}\n         {png}")
    return numbers


def _train(ex, forward, params, images, labels, settings, lr, name):
    """train_classifier with a progress bar that counts batches (each batch calls `forward` once)."""
    batches = settings["epochs"] * -(-len(images) // settings["batch_size"])
    with tqdm(total=batches, desc=f"training the {name} model ({settings['epochs']} epochs)", unit="batch",
              leave=False, mininterval=0.5) as bar:

        def counted_forward(*args):
            bar.update()
            return forward(*args)

        return ex.train_classifier(counted_forward, params, images, labels, epochs=settings["epochs"],
                                   batch_size=settings["batch_size"], lr=lr, seed=0)


def _flip_experiment(ex, images, labels, W, b, n: int = 200) -> dict:
    """Pushes n correctly classified test images toward the next digit along W[target] - W[source]."""
    logits = ex.linear_forward(images, W, b)
    correct = (logits.argmax(-1) == labels).nonzero().squeeze(-1)[:n]
    moved, reached, distances = [], 0, []
    for i in correct.tolist():
        source, target = int(labels[i]), (int(labels[i]) + 1) % 10
        new_image = ex.flip_perturbation(images[i], W, b, source, target)
        reached += int(ex.linear_forward(new_image[None], W, b).argmax()) == target
        distances.append(((new_image - images[i]).norm() / images[i].norm()).item())
        moved.append((images[i], new_image, source, target))
    return {"success": reached / len(correct), "relative_distance": float(np.median(distances)), "examples": moved[:5]}


def _print(numbers: dict, settings: dict) -> None:
    print(f"\nPart 0 on {settings['train_examples']:,} training images, {settings['epochs']} epochs:")
    print(f"  linear test accuracy:   {numbers['linear test accuracy']:.2%}   "
          f"(softmax regression on raw pixels: about {LINEAR_REFERENCE_ACCURACY:.0%})")
    print(f"  MLP test accuracy:      {numbers['MLP test accuracy']:.2%}   ({settings['mlp_hidden']} hidden ReLU units)")
    print(f"  template vs own class mean (cosine, centred): {numbers['mean template/own-class cosine']:.3f}; "
          f"vs other classes: {numbers['mean template/other-class cosine']:.3f}")
    print(f"  templates most similar to their own class:    {numbers['templates matching their own class']}/10")
    print(f"  flip_perturbation (digit d -> d+1): {numbers['flips reaching the target class']:.0%} reach the target; "
          f"median step {numbers['flip distance / image norm']:.0%} of the image's norm")
    print(f"  time: {numbers['seconds']:.1f} s")


def _figures(ex, templates, means, similarity, losses, flip, W1, test_x, test_labels, W, b) -> list[go.Figure]:
    digits = [str(d) for d in range(10)]
    figures = [
        image_grid(templates.numpy(), [f"W[{d}]" for d in digits],
                   title="The ten weight templates (red: evidence for the digit, blue: against)"),
        image_grid(means.numpy(), [f"mean of {d}s" for d in digits], title="Class-mean images", symmetric=False),
        go.Figure(go.Heatmap(z=similarity.numpy(), x=digits, y=digits, colorscale="RdBu_r", zmin=-1, zmax=1,
                             texttemplate="%{z:.2f}"),
                  layout=dict(title="Centred cosine: template (row) vs class mean (column)",
                              xaxis_title="class mean", yaxis_title="template", yaxis_autorange="reversed",
                              width=600, height=550)),
        go.Figure(go.Scatter(y=losses, mode="lines"),
                  layout=dict(title="Training loss per batch (linear model)", xaxis_title="step", yaxis_title="loss")),
    ]
    i = 0
    predicted = int(ex.linear_forward(test_x[i : i + 1], W, b).argmax())
    attribution = ex.pixel_attribution(test_x[i], W, predicted)
    figures.append(image_grid(np.stack([test_x[i].reshape(28, 28).numpy(), attribution.numpy()]),
                              [f"test image 0 (label {int(test_labels[i])})", f"pixel attribution to class {predicted}"],
                              cols=2, shared_scale=False, title="Which pixels vote for the prediction: image x W[class]"))
    pairs = [img for before, after, _, _ in flip["examples"] for img in (before, after)]
    titles = [t for _, _, s, tg in flip["examples"] for t in (f"a {s}", f"pushed to {tg}")]
    figures.append(image_grid(torch.stack(pairs).reshape(-1, 28, 28).numpy(), titles, cols=4,
                              title="Moving along W[target] - W[source] flips the prediction: the template is causal"))
    figures.append(image_grid(ex.weight_templates(W1).numpy(), [f"neuron {j}" for j in range(len(W1))], cols=8,
                              title="First-layer weights of the MLP: templates, but harder to read"))
    return figures


if __name__ == "__main__":
    from exercises.cli import main

    raise SystemExit(main(["replicate", "part0", *sys.argv[1:]]))
