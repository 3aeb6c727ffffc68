import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed


def test_matches_reference(graded, reference):
    out = call_graded(graded.repeated_random_tokens, 3, 5, 50, torch.Generator().manual_seed(grading_seed(1)))
    check_tensor(out, reference.repeated_random_tokens(3, 5, 50, torch.Generator().manual_seed(grading_seed(1))),
                 what="repeated_random_tokens(3, 5, 50, generator seeded 1)",
                 hint="draw ONE [batch, length] tensor with torch.randint(0, d_vocab, (batch, length), generator=generator) "
                      "and concatenate it with itself.")


def test_with_bos(graded, reference):
    out = call_graded(graded.repeated_random_tokens, 2, 4, 30, torch.Generator().manual_seed(grading_seed(2)), bos=99)
    check_tensor(out, reference.repeated_random_tokens(2, 4, 30, torch.Generator().manual_seed(grading_seed(2)), bos=99),
                 what="repeated_random_tokens(2, 4, 30, generator, bos=99)",
                 hint="one column of bos first, then the two copies: shape [batch, 2 * length + 1].")


def test_second_half_repeats_the_first(graded):
    out = call_graded(graded.repeated_random_tokens, 4, 7, 1000, torch.Generator().manual_seed(grading_seed(3)))
    check(out.shape == (4, 14), f"repeated_random_tokens(4, 7, ...) should have shape (4, 14), got {tuple(out.shape)}")
    check(torch.equal(out[:, :7], out[:, 7:]), "the last 7 tokens should repeat the first 7 exactly")
    check(out.dtype == torch.int64 and int(out.min()) >= 0 and int(out.max()) < 1000,
          f"tokens should be int64 ids in [0, d_vocab = 1000): got dtype {out.dtype}, values {out.min().item()} .. {out.max().item()}")
