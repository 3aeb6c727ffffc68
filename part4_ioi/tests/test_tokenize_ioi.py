import torch

from exercises.testing import call_graded, check, check_tensor
from exercises.models import toy_tokenizer

from ._models import TEMPLATES, VOCAB, expect_value_error, prompts


def test_matches_reference(graded, reference):
    tokenizer = toy_tokenizer(VOCAB)
    clean, abc = prompts(6, TEMPLATES)  # two templates of different lengths: padding
    for name, batch in (("clean", clean), ("ABC", abc)):
        got = call_graded(graded.tokenize_ioi, tokenizer, batch, 24)
        expected = reference.tokenize_ioi(tokenizer, batch, 24)
        where = f"tokenize_ioi on {name} prompts ({batch[0].text!r}, ...)"
        check_tensor(got.tokens, expected.tokens, what=f"{where}.tokens",
                     hint="[bos] + the prompt's tokens, right-padded with tokenizer.pad_token_id to the longest row.")
        check_tensor(got.io, expected.io, what=f"{where}.io", hint="io is the token of prompt.io (the name that is not repeated).")
        check_tensor(got.s, expected.s, what=f"{where}.s", hint="s is the token of the repeated name, prompt.c.")
        for key in ("IO", "S1", "S2", "END"):
            check_tensor(got.pos[key], expected.pos[key], what=f"{where}.pos[{key!r}]",
                         hint="S2 is the LAST place the repeated name occurs; END is the last real (unpadded) token.")


def test_positions_by_hand(graded, reference):
    tokenizer = toy_tokenizer(VOCAB)
    prompt = reference.IOIPrompt("t1 {A} t2 {B} t3 t4 {S} t5 t6", "t21", "t20", "t21")  # BABA: S = t21 first
    got = call_graded(graded.tokenize_ioi, tokenizer, [prompt], 24)
    positions = {k: int(v[0]) for k, v in got.pos.items()}
    check(got.tokens[0].tolist() == [0, 1, 21, 2, 20, 3, 4, 21, 5, 6] and positions == {"IO": 4, "S1": 2, "S2": 7, "END": 9}
          and (int(got.io[0]), int(got.s[0])) == (20, 21),
          f"tokenize_ioi({prompt.text!r}): expected tokens [0, 1, 21, 2, 20, 3, 4, 21, 5, 6], positions "
          f"IO 4, S1 2, S2 7, END 9, io 20, s 21; got {got.tokens[0].tolist()}, {positions}, "
          f"io {int(got.io[0])}, s {int(got.s[0])}.")


def test_bad_input(graded, reference):
    tokenizer = toy_tokenizer(VOCAB)
    two_tokens = reference.IOIPrompt("t1 {A} t2 {B} t3 {S} t4", "t20 t21", "t22", "t22")
    expect_value_error(graded.tokenize_ioi, tokenizer, [two_tokens], 24, mentions="t20 t21", why="a name of two tokens")
    long = reference.IOIPrompt("t1 {A} t2 {B} t3 {S} " + "t4 " * 20, "t20", "t21", "t21")
    expect_value_error(graded.tokenize_ioi, tokenizer, [long], 24, mentions="context", why="a prompt longer than n_ctx")
    glued = reference.IOIPrompt("t1{A} t2 {B} t3 {S} t4", "t20", "t21", "t21")
    expect_value_error(graded.tokenize_ioi, tokenizer, [glued], 24, mentions="t20", why="a placeholder without a space before it")
