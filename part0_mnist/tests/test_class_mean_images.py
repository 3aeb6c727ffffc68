import torch

from exercises.testing import call_graded, check_tensor


def test_matches_reference(graded, reference):
    images, labels = torch.rand(40, 784), torch.randint(0, 10, (40,))
    check_tensor(
        call_graded(graded.class_mean_images, images, labels),
        reference.class_mean_images(images, labels),
        what="class_mean_images(images [40, 784], labels [40])",
        hint="row c is the mean over the images whose label is c (a mean, not a sum).",
    )


def test_by_hand(graded):
    images = torch.zeros(3, 784)
    images[0, 0], images[1, 0], images[2, 0] = 1.0, 3.0, 5.0
    labels = torch.tensor([4, 4, 2])
    expected = torch.zeros(10, 28, 28)
    expected[4, 0, 0], expected[2, 0, 0] = 2.0, 5.0
    check_tensor(
        call_graded(graded.class_mean_images, images, labels),
        expected,
        what="class_mean_images of three images (labels 4, 4, 2) whose first pixels are 1, 3, 5",
        hint="classes with no images stay all zero; class 4's first pixel is (1 + 3) / 2.",
        against="a case computed by hand",
    )


def test_n_classes(graded, reference):
    """Fewer classes than MNIST's 10, the last two with no images: the shape follows n_classes, not the labels."""
    images, labels = torch.rand(30, 784), torch.randint(0, 4, (30,))
    check_tensor(
        call_graded(graded.class_mean_images, images, labels, n_classes=6),
        reference.class_mean_images(images, labels, n_classes=6),
        what="class_mean_images(images [30, 784], labels in 0..3, n_classes=6)",
        hint="one image per class 0 .. n_classes - 1: use the n_classes argument (not 10, nor labels.max() + 1); "
             "classes 4 and 5 have no images and stay all zero.",
    )
