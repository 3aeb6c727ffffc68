import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed


def test_matches_reference(graded, reference):
    train, test = call_graded(graded.train_test_split, 49, 0.3, seed=grading_seed(3), returns=("train_indices", "test_indices"))
    ref_train, ref_test = reference.train_test_split(49, 0.3, seed=grading_seed(3))
    hint = "one torch.randperm with the seeded generator; the first int(0.3 * 49) = 14 are train."
    check_tensor(train, ref_train, what="train_test_split(49, 0.3, seed=3) train indices", hint=hint)
    check_tensor(test, ref_test, what="train_test_split(49, 0.3, seed=3) test indices", hint=hint)


def test_disjoint_and_complete(graded):
    train, test = call_graded(graded.train_test_split, 121, 0.3, seed=grading_seed(0), returns=("train_indices", "test_indices"))
    check(len(train) == 36, f"train_test_split(121, 0.3): int(0.3 * 121) = 36 training pairs, got {len(train)}")
    check(torch.equal(torch.cat([train, test]).sort().values, torch.arange(121)),
          "train_test_split(121, 0.3): train and test together hold every index 0..120 exactly once")


def test_seed_changes_split(graded):
    a, _ = call_graded(graded.train_test_split, 100, 0.5, seed=grading_seed(0), returns=("train_indices", "test_indices"))
    b, _ = call_graded(graded.train_test_split, 100, 0.5, seed=grading_seed(1), returns=("train_indices", "test_indices"))
    check(not torch.equal(a, b), "train_test_split with seeds 0 and 1 gave the same split: use the seed")
