"""Argos Translate models, run with CTranslate2 directly, in batches.

argostranslate itself translates one paragraph at a time with 32-token
batches, so joining text never speeds it up. This engine reads the same
installed packages (`<packages>/<package>/metadata.json`, `model/`,
`sentencepiece.model`), and sends all segments of a language pair to
CTranslate2 together, deduplicated and longest first, in token-bounded
batches, with argostranslate's decoding settings (beam 4, length penalty
0.2, unknown tokens replaced). Pairs without a direct model pivot through
English.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from newsletter.localise.engines.base import EngineError
from newsletter.messages import msg
from newsletter.model import base_language

PIVOT = "en"
BEAM_SIZE = 4
LENGTH_PENALTY = 0.2
MAX_BATCH_TOKENS = 4096
"""Source tokens per CTranslate2 call: large enough to fill both cores, small enough for memory."""
OUTPUT_LENGTH_FACTOR = 2
OUTPUT_LENGTH_SLACK = 16
"""A translation may run to 2 x its source tokens + 16: real models can loop,
random test models never stop, and no real translation is longer."""


@dataclass(frozen=True)
class ArgosPackage:
    """One installed Argos translation package."""

    path: Path
    """Its folder in the packages directory."""
    source: str
    target: str
    version: str
    """`package_version` from its metadata."""
    target_prefix: str = ""
    """Token some multilingual models need at the start of the output."""

    @classmethod
    def read(cls, path: Path) -> ArgosPackage:
        try:
            metadata: dict[str, Any] = json.loads((path / "metadata.json").read_text("utf-8"))
            return cls(path=path, source=metadata["from_code"], target=metadata["to_code"],
                       version=str(metadata.get("package_version", "")),
                       target_prefix=metadata.get("target_prefix", "") or "")
        except (OSError, ValueError, KeyError) as error:
            raise EngineError(msg("{path}: not an Argos package ({problem})", path=str(path),
                                  problem=str(error))) from None


def installed_packages(packages_dir: Path) -> list[ArgosPackage]:
    """The translation packages in `packages_dir`, sorted by pair."""
    if not packages_dir.is_dir():
        return []
    found = [ArgosPackage.read(p) for p in sorted(packages_dir.iterdir())
             if (p / "metadata.json").is_file()]
    return sorted(found, key=lambda p: (p.source, p.target, p.version))


def install_package_file(archive: Path, packages_dir: Path) -> ArgosPackage:
    """Unpack an `.argosmodel` into `packages_dir`, refusing archives argostranslate would choke on.

    A valid archive holds exactly one top-level folder with `metadata.json`,
    `model/` and `sentencepiece.model`; a flat zip would break every later
    listing of installed packages.
    """
    if not zipfile.is_zipfile(archive):
        raise EngineError(msg("{path}: not an .argosmodel archive (not a zip file)",
                              path=str(archive)))
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
        tops = {name.split("/", 1)[0] for name in names}
        if len(tops) != 1 or not all("/" in name for name in names):
            raise EngineError(msg("{path}: an .argosmodel must hold one top-level folder",
                                  path=str(archive)))
        (top,) = tops
        for required in ("metadata.json", "sentencepiece.model", "model/model.bin"):
            if f"{top}/{required}" not in names:
                raise EngineError(msg("{path}: the archive has no {file}", path=str(archive),
                                      file=required))
        packages_dir.mkdir(parents=True, exist_ok=True)
        bundle.extractall(packages_dir)
    return ArgosPackage.read(packages_dir / top)


class _LoadedModel:
    """A package's tokenizer and CTranslate2 translator, loaded on first use."""

    def __init__(self, package: ArgosPackage, threads: int) -> None:
        self.package = package
        self.threads = threads

    @cached_property
    def tokenizer(self) -> Any:
        import sentencepiece

        return sentencepiece.SentencePieceProcessor(
            model_file=str(self.package.path / "sentencepiece.model"))

    @cached_property
    def translator(self) -> Any:
        import ctranslate2

        return ctranslate2.Translator(str(self.package.path / "model"), device="cpu",
                                      compute_type="auto", inter_threads=1,
                                      intra_threads=self.threads)

    def translate(self, segments: Sequence[str]) -> list[str]:
        tokenized = [self.tokenizer.encode(s, out_type=str) for s in segments]
        order = sorted(range(len(segments)), key=lambda i: len(tokenized[i]), reverse=True)
        results: list[str] = [""] * len(segments)
        for batch in _token_batches(order, tokenized):
            sources = [tokenized[i] for i in batch]
            prefix = ([[self.package.target_prefix]] * len(batch)
                      if self.package.target_prefix else None)
            longest = max(len(tokens) for tokens in sources)
            outputs = self.translator.translate_batch(
                sources,
                target_prefix=prefix,
                beam_size=BEAM_SIZE,
                length_penalty=LENGTH_PENALTY,
                replace_unknowns=True,
                max_decoding_length=OUTPUT_LENGTH_FACTOR * longest + OUTPUT_LENGTH_SLACK,
            )
            for index, output in zip(batch, outputs, strict=True):
                results[index] = self._decode(output.hypotheses[0])
        return results

    def _decode(self, tokens: list[str]) -> str:
        if self.package.target_prefix and tokens[:1] == [self.package.target_prefix]:
            tokens = tokens[1:]
        return self.tokenizer.decode_pieces(tokens).replace("▁", " ").strip()


def _token_batches(order: list[int], tokenized: list[list[str]]) -> list[list[int]]:
    """Consecutive runs of `order` whose padded size stays under MAX_BATCH_TOKENS."""
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        width = len(tokenized[current[0]]) if current else len(tokenized[index])
        if current and (len(current) + 1) * max(width, 1) > MAX_BATCH_TOKENS:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


class ArgosEngine:
    """Translates with the Argos packages installed in one folder."""

    name = "argos"

    def __init__(self, packages_dir: Path, threads: int = 0) -> None:
        """`threads`: CTranslate2 intra-op threads; 0 lets it use every core."""
        self.packages_dir = packages_dir
        self.threads = threads
        self._models: dict[tuple[str, str], _LoadedModel] = {}
        self._packages = {(p.source, p.target): p for p in installed_packages(packages_dir)}

    def _route(self, source: str, target: str) -> list[tuple[str, str]] | None:
        """The pairs to chain: direct, else through English, else None."""
        if (source, target) in self._packages:
            return [(source, target)]
        if (source, PIVOT) in self._packages and (PIVOT, target) in self._packages:
            return [(source, PIVOT), (PIVOT, target)]
        return None

    def model_version(self, source: str, target: str) -> str | None:
        route = self._route(base_language(source), base_language(target))
        if route is None:
            return None
        return "+".join(f"{s}-{t}@{self._packages[(s, t)].version}" for s, t in route)

    def translate(self, source: str, target: str, segments: Sequence[str]) -> list[str]:
        route = self._route(base_language(source), base_language(target))
        if route is None:
            raise EngineError(msg("no Argos model translates {source} to {target}; install one "
                                  "with 'newsletter models install {source} {target}'",
                                  source=source, target=target))
        unique = list(dict.fromkeys(segments))
        texts = unique
        for pair in route:
            model = self._models.get(pair)
            if model is None:
                model = self._models[pair] = _LoadedModel(self._packages[pair], self.threads)
            texts = model.translate(texts)
        translated = dict(zip(unique, texts, strict=True))
        return [translated[s] for s in segments]
