"""classifier.model: the artefact loads without pickle and the fast path equals the training path."""

from __future__ import annotations

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
        assert set(arrays.files) == {"vocabulary", "weights", "bias", "platt", "heads", "meta"}


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
    vectors = [again.vector_for(prepare(text))[0] for text in TEXTS]
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
