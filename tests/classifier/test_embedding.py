"""classifier.embedding: WordLlama's bundled table and tokenizer, read without wordllama's loader."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from classifier.embedding import MAX_DIMS, embedder, embedding_text, wheel_file
from classifier.errors import ArtefactError
from classifier.text import prepare


def test_rows_are_unit_length_in_order_and_empty_text_is_zero():
    rows = embedder(64).embed(["my parcel is late again", "", "lovely weather today"])
    assert rows.shape == (3, 64) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows[[0, 2]], axis=1), 1.0, atol=1e-5)
    assert not rows[1].any()
    assert np.allclose(rows[2], embedder(64).embed(["lovely weather today"])[0])


def test_similar_complaints_are_closer_than_unrelated_chatter():
    late, missing, weather = embedder(64).embed(
        ["my parcel is late again", "my order still has not arrived", "what a lovely sunny day"])
    assert late @ missing > late @ weather


def test_embedding_text_drops_handles_and_links_but_keeps_words():
    text = embedding_text(prepare("@AcmeSupport my order https://t.co/x is LATE!", subject="Order 123"))
    assert text == "Order 123 my order is LATE !"


def test_bundled_files_load_offline_without_importing_wordllama():
    # A fresh interpreter: wordllama's own loader would download the tokenizer and configure the root logger.
    code = ("import sys, logging; from classifier.embedding import embedder; embedder(128).embed(['hi']); "
            "assert 'wordllama' not in sys.modules and not logging.getLogger().handlers; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr
    assert wheel_file("weights/l2_supercat_256.safetensors").stat().st_size > 1_000_000


@pytest.mark.parametrize("dims", [0, MAX_DIMS + 1])
def test_impossible_dimensions_are_a_clear_error(dims):
    with pytest.raises(ArtefactError, match="dims"):
        embedder(dims)


@pytest.mark.parametrize("text", ["My parcel is LATE again !! don't @x", "Mon colis n'est jamais arrivé 😀",
                                  "  two  spaces and\ttabs\nand lines ", "reееfund (Cyrillic e) £1,200"])
def test_word_by_word_tokenising_gives_the_bundled_tokenizers_ids(text):
    from tokenizers import Tokenizer

    whole = Tokenizer.from_file(str(wheel_file("tokenizers/l2_supercat_tokenizer_config.json")))
    words = embedding_text(prepare(text))
    assert embedder(64).tokenizer.encode(words, add_special_tokens=False).ids == \
        whole.encode(words, add_special_tokens=False).ids
