"""Build tiny random-weight Argos Translate packages, offline, in well under a second.

Argos Translate language models cannot be downloaded in tests, so this module makes one:
a sentencepiece model trained on a small corpus, a CTranslate2 Transformer whose weights
are drawn from ``numpy.random.RandomState(seed)``, and the ``metadata.json`` that
``argostranslate.package`` reads, zipped as an ``.argosmodel`` with one top-level folder.
The translations it produces are nonsense, but every layer of the real stack runs:
argostranslate's package loading and sentence splitting, sentencepiece tokenisation and
CTranslate2 beam search.

The package also carries a tiny rule-based ``minisbd/`` sentence splitter (an ONNX model,
built with the ``onnx`` package: split after ``.``, ``!``, ``?``, ``;``), because
argos-translate-lt's default splitter (MiniSBD) otherwise downloads ``<lang>.onnx`` from
GitHub on the first translation, which fails offline. With it, plain
``argostranslate.translate.translate()`` works with no network.

Using argostranslate in a test
------------------------------
``argostranslate.settings`` reads its environment once, at import, and creates directories
under ``$HOME`` unless told otherwise (``~/.local/share/argos-translate``,
``~/.config/argos-translate``, ``~/.local/cache/argos-translate``). So before the first
``import argostranslate...`` set every variable that :func:`argos_env` returns:

* ``ARGOS_PACKAGES_DIR``: where packages are installed and looked for;
* ``XDG_DATA_HOME``, ``XDG_CONFIG_HOME``, ``XDG_CACHE_HOME``: argos creates
  ``argos-translate/`` in each at import, and reads ``settings.json`` from the config one
  (a developer's own settings file would otherwise leak into the test). onnxruntime, which
  MiniSBD runs on, also creates ``$XDG_CACHE_HOME/Microsoft/DeveloperTools`` (else under
  ``~/.cache``);
* ``ARGOS_DEVICE_TYPE=cpu``, ``ARGOS_CHUNK_TYPE=MINISBD`` (the default splitter, named
  explicitly), ``ARGOS_DEBUG=0``, ``ARGOS_MODEL_PROVIDER=OPENNMT``: pinned so a developer's
  environment cannot change the path under test.

and make sure ``SNAP`` is unset. Because the settings are frozen at import, one process
can only ever use one packages directory: the robust way is a subprocess per scenario
(see ``tests/test_argos_model.py``).
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

LANGUAGE_NAMES = {
    "ar": "Arabic",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "uk": "Ukrainian",
}

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Fixed timestamp for every zip entry, so the same inputs give the same bytes."""

SENTENCE_END = ".!?;"
"""Characters after which the packaged rule-based splitter ends a sentence."""


def argos_env(packages_dir: Path, home: Path) -> dict[str, str]:
    """The environment argostranslate needs to touch nothing outside ``packages_dir``/``home``.

    Set all of it before ``argostranslate`` is first imported (and unset ``SNAP``).
    """
    home = Path(home)
    return {
        "ARGOS_PACKAGES_DIR": str(Path(packages_dir)),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "ARGOS_DEVICE_TYPE": "cpu",
        "ARGOS_CHUNK_TYPE": "MINISBD",
        "ARGOS_MODEL_PROVIDER": "OPENNMT",
        "ARGOS_DEBUG": "0",
    }


# --------------------------------------------------------------------------- sentencepiece


def train_sentencepiece(corpus: list[str], vocab_size: int, model_type: str = "unigram") -> bytes:
    """Train a sentencepiece model on ``corpus`` and return its serialized bytes.

    ``hard_vocab_limit=False`` makes ``vocab_size`` an upper bound: a small corpus yields a
    smaller vocabulary instead of an error.
    """
    import sentencepiece as spm

    lines = [line.strip() for line in corpus if line.strip()]
    if not lines:
        raise ValueError("the corpus has no non-blank line")
    # Never fewer pieces than distinct characters plus <unk>, <s>, </s>.
    vocab_size = max(vocab_size, len(set("".join(lines))) + 4)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        model_type=model_type,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


# --------------------------------------------------------------------------- CTranslate2


class _Init:
    """Deterministic weight factory on top of one RandomState."""

    def __init__(self, seed: int) -> None:
        self.rs = np.random.RandomState(seed)

    def normal(self, *shape: int, scale: float) -> np.ndarray:
        return (self.rs.standard_normal(shape) * scale).astype(np.float32)

    def linear(self, spec, out_dim: int, in_dim: int) -> None:
        spec.weight = self.normal(out_dim, in_dim, scale=1.0 / np.sqrt(in_dim))
        spec.bias = self.normal(out_dim, scale=0.02)

    def layer_norm(self, spec, dim: int) -> None:
        spec.gamma = 1.0 + self.normal(dim, scale=0.1)
        spec.beta = self.normal(dim, scale=0.1)


def _sinusoids(length: int, dim: int) -> np.ndarray:
    position = np.arange(length, dtype=np.float64)[:, None]
    half = dim // 2
    inv = np.exp(-np.log(10000.0) * np.arange(half, dtype=np.float64) / max(half - 1, 1))
    angles = position * inv[None, :]
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1).astype(np.float32)


def build_transformer_spec(
    vocabulary: list[str],
    *,
    layers: int,
    d_model: int,
    heads: int,
    ffn: int,
    seed: int,
    eos_after: int | None,
):
    """A ``ctranslate2.specs.TransformerSpec`` (pre-norm, ReLU, sinusoidal positions, shared
    vocabulary) with every weight drawn from ``RandomState(seed)``.

    With ``eos_after=N`` the decoder ends every hypothesis with ``</s>`` after exactly ``N``
    tokens, whatever the input. A random decoder would otherwise never emit ``</s>`` and run
    to ``max_decoding_length`` (argostranslate passes none: CTranslate2's default is 256).
    How: model dimensions 0 and 1 carry a "length channel". Token embeddings are zero there,
    no sublayer writes there, and the decoder's (explicit) position encodings hold
    ``(-C, +C)`` before position ``N`` and ``(+C, -C)`` from it on. After the final layer
    norm (gamma 1, beta 0 on those two dimensions) ``x0 - x1 = ±2C/std`` whatever the mean,
    and the ``</s>`` row of the output projection reads ``W * (x0 - x1)``: hugely negative
    before step ``N``, hugely positive from it on.
    """
    from ctranslate2.specs import transformer_spec

    if d_model % heads:
        raise ValueError(f"d_model={d_model} is not divisible by heads={heads}")
    if eos_after is not None and eos_after < 1:
        raise ValueError("eos_after must be at least 1")
    vocab = len(vocabulary)
    init = _Init(seed)
    spec = transformer_spec.TransformerSpec.from_config(layers, heads)
    enc, dec = spec.encoder, spec.decoder

    # Encoder. Its position encodings stay unset: CTranslate2 then uses sinusoids.
    init.layer_norm(enc.layer_norm, d_model)
    enc.embeddings[0].weight = init.normal(vocab, d_model, scale=1.0 / np.sqrt(d_model))
    for layer in enc.layer:
        att = layer.self_attention
        init.layer_norm(att.layer_norm, d_model)
        init.linear(att.linear[0], 3 * d_model, d_model)  # fused query/key/value
        init.linear(att.linear[1], d_model, d_model)  # output
        init.layer_norm(layer.ffn.layer_norm, d_model)
        init.linear(layer.ffn.linear_0, ffn, d_model)
        init.linear(layer.ffn.linear_1, d_model, ffn)

    # Decoder.
    init.layer_norm(dec.layer_norm, d_model)
    dec.embeddings.weight = init.normal(vocab, d_model, scale=1.0 / np.sqrt(d_model))
    writers = []  # linears whose output is added to the residual stream
    for layer in dec.layer:
        att = layer.self_attention
        init.layer_norm(att.layer_norm, d_model)
        init.linear(att.linear[0], 3 * d_model, d_model)
        init.linear(att.linear[1], d_model, d_model)
        cross = layer.attention
        init.layer_norm(cross.layer_norm, d_model)
        init.linear(cross.linear[0], d_model, d_model)  # query
        init.linear(cross.linear[1], 2 * d_model, d_model)  # fused key/value (encoder side)
        init.linear(cross.linear[2], d_model, d_model)  # output
        init.layer_norm(layer.ffn.layer_norm, d_model)
        init.linear(layer.ffn.linear_0, ffn, d_model)
        init.linear(layer.ffn.linear_1, d_model, ffn)
        writers += [att.linear[1], cross.linear[2], layer.ffn.linear_1]
    init.linear(dec.projection, vocab, d_model)

    # <s> and <unk> are never worth emitting.
    for token in ("<s>", "<unk>"):
        dec.projection.bias[vocabulary.index(token)] = -30.0

    if eos_after is not None:
        if d_model < 8:
            raise ValueError("eos_after needs d_model >= 8")
        length, big, weight = eos_after + 256, 10.0, 10.0
        table = np.zeros((length, d_model), dtype=np.float32)
        table[:, 2:] = _sinusoids(length, d_model - 2)
        table[:eos_after, 0], table[:eos_after, 1] = -big, big
        table[eos_after:, 0], table[eos_after:, 1] = big, -big
        dec.position_encodings.encodings = table
        dec.embeddings.weight[:, :2] = 0.0
        for linear in writers:
            linear.weight[:2, :] = 0.0
            linear.bias[:2] = 0.0
        dec.layer_norm.gamma[:2], dec.layer_norm.beta[:2] = 1.0, 0.0
        dec.projection.weight[:, :2] = 0.0
        eos = vocabulary.index("</s>")
        dec.projection.weight[eos, :] = 0.0
        dec.projection.weight[eos, 0], dec.projection.weight[eos, 1] = weight, -weight
        dec.projection.bias[eos] = 0.0

    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    return spec


# --------------------------------------------------------------------------- MiniSBD (ONNX)


def build_minisbd_onnx(lang: str = "en", sentence_end: str = SENTENCE_END) -> bytes:
    """A MiniSBD-compatible ONNX model that ends a sentence after each ``sentence_end`` char.

    MiniSBD feeds ``units`` (int64 [batch, chars], character ids from the vocabulary stored
    in the model's metadata) and ``features`` (float [batch, chars, n]) and takes the argmax
    of the single output over 5 classes (0 inside a token, 1 end of token, 2 end of token
    and sentence). This graph is one ``Gather`` of a [vocab, 5] table by ``units``: every
    character ends a token, the sentence-final ones end a sentence too. ``features`` is
    declared, because MiniSBD feeds it, but unused. Needs the ``onnx`` package.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    units = ["<PAD>", "<UNK>", *sentence_end]
    table = np.zeros((len(units), 5), dtype=np.float32)
    table[:, 1] = 1.0  # every character ends a token...
    table[2:, 2] = 2.0  # ...and the sentence_end ones (ids 2, 3, ...) a sentence too
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "units"], ["logits"])],
        "rule_sbd",
        inputs=[
            helper.make_tensor_value_info("units", TensorProto.INT64, ["batch", "chars"]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", "chars", "feats"]),
        ],
        outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "chars", 5])],
        initializer=[numpy_helper.from_array(table, "table")],
    )
    # Pinned: make_model would stamp the installed onnx's newest IR version, which older
    # onnxruntime releases refuse. IR 8 (ONNX 1.10) loads in onnxruntime 1.10 and later.
    model = helper.make_model(
        graph,
        producer_name="tests/argos_model.py",
        opset_imports=[helper.make_opsetid("", 13)],
        ir_version=8,
    )
    vocab = {
        "lang": lang,
        "idx": 0,
        "cutoff": 0,
        "lower": False,
        "_unit2id": {u: i for i, u in enumerate(units)},
        "_id2unit": units,
    }
    helper.set_model_props(
        model,
        {"lang_code": lang, "config": json.dumps({"feat_funcs": []}), "vocab": json.dumps(vocab)},
    )
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


# --------------------------------------------------------------------------- package


def package_folder_name(from_code: str, to_code: str, package_version: str) -> str:
    return f"translate-{from_code}_{to_code}-{package_version.replace('.', '_')}"


def build_argos_package(
    out_path: Path,
    from_code: str,
    to_code: str,
    corpus: list[str],
    *,
    vocab_size: int = 500,
    layers: int = 2,
    d_model: int = 64,
    heads: int = 2,
    ffn: int = 128,
    seed: int = 0,
    quantization: str | None = None,
    model_type: str = "unigram",
    package_version: str = "1.0",
    argos_version: str = "1.0",
    from_name: str | None = None,
    to_name: str | None = None,
    eos_after: int | None = 12,
    sbd: bool = True,
    vocabulary_size: int | None = None,
) -> Path:
    """Write a random-weight ``.argosmodel`` for ``from_code`` -> ``to_code`` to ``out_path``.

    The zip holds one folder, ``translate-<from>_<to>-<version>/``, with ``metadata.json``,
    ``sentencepiece.model`` (trained on ``corpus``, shared by source and target),
    ``model/`` (a CTranslate2 Transformer with ``layers`` encoder and decoder layers) and,
    with ``sbd``, ``minisbd/rule_sbd.onnx`` (see :func:`build_minisbd_onnx`). The same
    arguments always give the same bytes. ``eos_after`` fixes the length of every output
    (see :func:`build_transformer_spec`); ``None`` leaves a purely random decoder that runs
    to ``max_decoding_length``. ``quantization`` is any CTranslate2 weight type ("int8",
    "float16", ...) or ``None`` to keep float32.
    """
    import sentencepiece as spm

    out_path = Path(out_path)
    sp_model = train_sentencepiece(corpus, vocab_size, model_type)
    sp = spm.SentencePieceProcessor(model_proto=sp_model)
    # CTranslate2 finds <unk>, <s> and </s> by name; sentencepiece puts them at 0, 1, 2.
    vocabulary = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    # A real model's vocabulary (~32k) makes the output layer, and so decoding, realistically
    # slow; pieces past the sentencepiece model's own are never produced by its encoder.
    vocabulary += [f"<extra_{n}>" for n in range(len(vocabulary), vocabulary_size or 0)]
    spec = build_transformer_spec(
        vocabulary,
        layers=layers,
        d_model=d_model,
        heads=heads,
        ffn=ffn,
        seed=seed,
        eos_after=eos_after,
    )
    spec.validate()
    spec.optimize(quantization=quantization)

    metadata = {
        "package_version": package_version,
        "argos_version": argos_version,
        "from_code": from_code,
        "from_name": from_name or LANGUAGE_NAMES.get(from_code, from_code),
        "to_code": to_code,
        "to_name": to_name or LANGUAGE_NAMES.get(to_code, to_code),
        "type": "translate",
        "links": [],
    }
    files = {
        "metadata.json": json.dumps(metadata, indent=2, ensure_ascii=False).encode() + b"\n",
        "sentencepiece.model": sp_model,
        "README.md": (
            f"Random-weight test model {from_code} -> {to_code}, seed {seed}, "
            "built by tests/argos_model.py. Its translations are nonsense.\n"
        ).encode(),
    }
    if sbd:
        files["minisbd/rule_sbd.onnx"] = build_minisbd_onnx(from_code)
    with tempfile.TemporaryDirectory(prefix="argos-model-") as tmp:
        spec.save(tmp)
        for path in sorted(Path(tmp).rglob("*")):
            if path.is_file():
                files[f"model/{path.relative_to(tmp).as_posix()}"] = path.read_bytes()

    folder = package_folder_name(from_code, to_code, package_version)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w") as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(f"{folder}/{name}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out_path


def install_argos_package(path: Path, packages_dir: Path) -> None:
    """Install the ``.argosmodel`` at ``path`` with ``argostranslate.package.install_from_path``.

    argostranslate installs into the directory it read from ``ARGOS_PACKAGES_DIR`` at import,
    so this only works when that is ``packages_dir``: either argostranslate is not imported
    yet and ``ARGOS_PACKAGES_DIR`` and the ``XDG_*`` variables of :func:`argos_env` are set,
    or it was imported with them. Anything else raises instead of writing to ``$HOME``.
    """
    packages_dir = Path(packages_dir)
    if "argostranslate.settings" not in sys.modules:
        wanted = os.environ.get("ARGOS_PACKAGES_DIR")
        if wanted is None or Path(wanted).resolve() != packages_dir.resolve():
            raise RuntimeError(
                f"set ARGOS_PACKAGES_DIR={packages_dir} (and the rest of argos_env()) "
                "before argostranslate is imported"
            )
        missing = [v for v in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME") if v not in os.environ]
        if missing:
            raise RuntimeError(
                f"set {', '.join(missing)} before argostranslate is imported (see argos_env())"
            )
    from argostranslate import package, settings

    if Path(settings.package_data_dir).resolve() != packages_dir.resolve():
        raise RuntimeError(
            f"argostranslate was imported with packages dir {settings.package_data_dir}, "
            f"not {packages_dir}: it reads ARGOS_PACKAGES_DIR once, at import"
        )
    package.install_from_path(Path(path))


__all__ = [
    "argos_env",
    "build_argos_package",
    "build_minisbd_onnx",
    "build_transformer_spec",
    "install_argos_package",
    "train_sentencepiece",
]


def corpus() -> list[str]:
    """The seed pages' lines: the text tiny test models learn their vocabulary from."""
    from conftest import EXAMPLE_PAGES

    return [
        line
        for page in sorted(EXAMPLE_PAGES.glob("*.txt"))
        for line in page.read_text(encoding="utf-8").splitlines()
    ]
