"""classifier.model: the artefact loads without pickle and the fast path equals the training path."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from classifier.errors import ArtefactError
from classifier.features import extract
from classifier.model import ARTEFACT, LinearModel, shipped
from classifier.text import prepare

TEXTS = ["No one was hurt, but the oven exploded!!", "@Acme my refund of $2,000 STILL hasn't arrived?",
         "lol same", "", "Mon colis n'est jamais arrivé"]


def test_shipped_artefact_is_small_and_plain_arrays():
    assert ARTEFACT.stat().st_size < 4 * 1024 * 1024
    with np.load(ARTEFACT, allow_pickle=False) as arrays:
        assert set(arrays.files) == {"vocabulary", "weights", "embedding", "bias", "platt", "heads", "meta"}
        # Only what we train is stored: the embedding block's weights, not WordLlama's table.
        assert arrays["embedding"].shape == (shipped().embedding_dims, len(shipped().heads))


@pytest.mark.parametrize("text", TEXTS)
def test_fast_vector_equals_training_vector(text):
    model = shipped()
    prepared = prepare(text)
    slow = model.vectorise(extract(prepared))
    fast, _, _ = model.vector_for(prepared)
    assert sorted(zip(fast.indices.tolist(), fast.values.round(6).tolist())) == \
        sorted(zip(slow.indices.tolist(), slow.values.round(6).tolist()))


def test_save_and_load_round_trip(tmp_path):
    model = shipped()
    path = tmp_path / "copy.npz"
    model.save(path)
    again = LinearModel.load(path)
    vectors = [vector for vector, _, _ in again.vectors_for([prepare(text) for text in TEXTS])]
    assert np.allclose(again.probabilities(vectors), model.probabilities(vectors), atol=1e-6)


def test_missing_or_foreign_artefact_is_a_clear_error(tmp_path):
    with pytest.raises(ArtefactError, match="cannot load"):
        LinearModel.load(tmp_path / "absent.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(ArtefactError):
        LinearModel.load(garbage)
    np.savez(tmp_path / "other.npz", meta=np.array('{"format": 99}'))
    with pytest.raises(ArtefactError, match="format 99"):
        LinearModel.load(tmp_path / "other.npz")


def test_batch_embeds_every_message_and_tone_is_the_embedding_share_of_the_score():
    model = shipped()
    assert model.embedding_dims > 0
    vectors = [vector for vector, _, _ in model.vectors_for([prepare(text) for text in TEXTS])]
    assert all(vector.embedded.shape == (model.embedding_dims,) for vector in vectors)
    words_only = [replace(vector, embedded=None) for vector in vectors]
    difference = model.logits(vectors) - model.logits(words_only)
    tones = [[model.tone(vector, head) for head in model.heads] for vector in vectors]
    assert np.allclose(difference, tones, atol=1e-4)
