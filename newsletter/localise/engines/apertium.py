"""Apertium rule-based translation, a whole batch in one pipeline run.

Apertium comes as Debian packages (`apertium` plus one `apertium-xxx-yyy` per
language pair), needs no model download and is strong between close languages
(Spanish, Catalan, Galician, Portuguese, Occitan). Each installed direction is
a *mode*, `<datadir>/modes/<name>.mode`, named with ISO 639-1 or 639-3 codes and
sometimes a variant (`eng-spa`, `en-gl`, `eng-cat_valencia`, `spa-eng_US`).

Batching. `apertium -f none -z -u <mode>` skips Apertium's own deformatter and
reads its stream format directly, so this module does the deformatting: text
characters the stream reserves are backslash-escaped, `~` (a post-generation
marker) goes into a superblank `[~]`, and each segment ends with `.[]`, the
full stop the text deformatter adds so the tagger and transfer see a sentence
end (removed again on the way back). Segments are separated by NUL; in
null-flush mode (`-z`) every program of the pipeline finishes and echoes the
NUL before reading on, so each segment is translated on its own and the output
splits back into exactly one part per segment (the programs add empty parts
at the very end, which are checked and dropped). The html format was the other
candidate: its tags are superblanks that stay where they are while transfer
rules reorder the words around them (`the red <b>car</b>` gives
`el coche <b>rojo</b>`), and one paragraph per segment splits back only by
trusting the reformatter.

Placeholders. A pair (`{1}the report{/1}`) becomes a wordbound blank on its
text, `[[1]]the report[[/]]`: Apertium 3.8 attaches it to every word inside
and carries it with the word through reordering, merging and generation, so
`the {1}old{/1} town hall` comes back as `el ayuntamiento {1}viejo{/1}`.
Nested pairs list every number (`[[1;2]]`). An atom (`{2/}`) becomes a
superblank, which is never translated and keeps its place. Sent as text, the
braces and digits would instead break the transfer rules they fall inside
(`the {1}big{/1} city` -> `El {1}grande{/1} ciudad`). On the way back, words
carrying the same numbers are joined into one span again; a word Apertium
drops takes its blank with it, and `segment.Template.fill` puts the lost
markup back.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.core import Locale, UnknownLocaleError

from newsletter.localise.engines.base import EngineError
from newsletter.messages import Message, msg
from newsletter.model import base_language

DEFAULT_DATADIR = Path("/usr/share/apertium")
"""Where Debian's packages put the modes and language data."""

ISO_639_3 = {
    "af": "afr", "an": "arg", "be": "bel", "bg": "bul", "br": "bre", "bs": "hbs", "ca": "cat",
    "cs": "ces", "cy": "cym", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "eo": "epo",
    "es": "spa", "et": "est", "eu": "eus", "fi": "fin", "fr": "fra", "ga": "gle", "gl": "glg",
    "hi": "hin", "hr": "hbs", "hu": "hun", "id": "ind", "is": "isl", "it": "ita", "kk": "kaz",
    "lt": "lit", "lv": "lav", "mk": "mkd", "ms": "zlm", "mt": "mlt", "nb": "nob", "nl": "nld",
    "nn": "nno", "no": "nob", "oc": "oci", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus",
    "sc": "srd", "sh": "hbs", "sk": "slk", "sl": "slv", "sq": "sqi", "sr": "hbs", "sv": "swe",
    "tr": "tur", "uk": "ukr", "ur": "urd",
}
"""ISO 639-1 -> the ISO 639-3 code Apertium uses. Serbian, Croatian and Bosnian share
Apertium's Serbo-Croatian (hbs), Malay is its individual code (zlm), Norwegian is Bokmål."""

MODE_NAME = re.compile(r"(?P<source>[a-z]{2,3})-(?P<target>[a-z]{2,3})(?:_(?P<variant>\w+))?")
"""A translation mode; analysers, taggers and debug modes have other names."""
PLACEHOLDER = re.compile(r"\{(/?)(\d+)(/?)\}")
"""Placeholders exactly as `segment` writes them."""
RESERVED = re.compile(r"[\\\[\]^$/@<>{}]")
"""Characters of Apertium's stream format, escaped in text (as apertium-destxt does)."""
SENTENCE_END = ".[]"
"""The full stop the deformatter adds at a text's end; `.` right before `[]` is removed."""
OUTPUT = re.compile(
    r"(?P<close>\[\[/\]\])"  # end of a wordbound blank
    r"|\[\[(?P<open>[^\]]*)\]\]"  # start of one: the placeholder numbers of the next words
    r"|(?P<end>\.?\[\])"  # the sentence end we added
    r"|\[(?P<blank>(?:\\.|[^\]\\])*)\]"  # superblank: an atom, `~` or a space kept by transfer
    r"|\\(?P<escaped>.)"
    r"|(?P<char>.)", re.DOTALL)
INSTALL_EXAMPLE = "apt-get install apertium apertium-eng-spa"


@dataclass(frozen=True)
class Mode:
    """One installed translation direction."""

    name: str
    """As given to `apertium`: `eng-spa`, `en-gl`, `eng-cat_valencia`."""
    path: Path
    """Its `.mode` file: the pipeline, naming the data files by absolute path."""
    source: str
    """ISO 639-3 code where known (`en` in a mode name is read as `eng`)."""
    target: str
    """Likewise."""
    variant: str
    """What follows `_` in the name (`valencia`, `US`); '' for the pair's main mode."""


def installed_modes(datadir: Path) -> list[Mode]:
    """The translation modes in `datadir/modes`, sorted by name."""
    folder = datadir / "modes"
    if not folder.is_dir():
        return []
    modes = []
    for path in sorted(folder.glob("*.mode")):
        match = MODE_NAME.fullmatch(path.stem)
        if match:
            modes.append(Mode(path.stem, path, _iso3(match["source"]), _iso3(match["target"]),
                              match["variant"] or ""))
    return modes


class ApertiumEngine:
    """Translates with the Apertium modes installed in one data folder."""

    name = "apertium"

    def __init__(self, datadir: Path = DEFAULT_DATADIR, program: str = "apertium") -> None:
        """`datadir`: Apertium's data folder (`modes/` inside); `program`: its command."""
        self.datadir = datadir
        self.program = program
        self.modes = installed_modes(datadir)
        self._versions: dict[str, str] = {}

    def mode(self, source: str, target: str) -> Mode | None:
        """The mode for a pair of BCP 47 tags; a variant named by a subtag of the target wins.

        `ca-ES-valencia` picks `eng-cat_valencia` over `eng-cat`, `en-US` picks
        `spa-eng_US`; a tag without such a subtag only takes the pair's main mode.
        """
        source_code, target_code = _iso3(_lower_base(source)), _iso3(_lower_base(target))
        subtags = {part.lower() for part in target.split("-")[1:]}
        main = None
        for mode in self.modes:
            if (mode.source, mode.target) != (source_code, target_code):
                continue
            if mode.variant and mode.variant.lower() in subtags:
                return mode
            if not mode.variant and main is None:
                main = mode
        return main

    def model_version(self, source: str, target: str) -> str | None:
        mode = self.mode(source, target)
        if mode is None or shutil.which(self.program) is None:
            return None
        if mode.name not in self._versions:
            self._versions[mode.name] = f"{mode.name}@{_data_version(mode)}"
        return self._versions[mode.name]

    def translate(self, source: str, target: str, segments: Sequence[str]) -> list[str]:
        if shutil.which(self.program) is None:
            raise EngineError(msg("Apertium is not installed ('{program}' not found); install it "
                                  "with the package of each language pair, for example "
                                  "'{command}'", program=self.program, command=INSTALL_EXAMPLE))
        mode = self.mode(source, target)
        if mode is None:
            raise EngineError(_no_mode(source, target, self.datadir))
        unique = list(dict.fromkeys(s for s in segments if s.strip()))
        translated = dict(zip(unique, self._run(mode, unique), strict=True)) if unique else {}
        return [translated.get(s, s) for s in segments]

    def _run(self, mode: Mode, segments: list[str]) -> list[str]:
        """All segments through one `apertium` process, NUL-separated in null-flush mode."""
        stream = "".join(_encode(s) + "\0" for s in segments).encode("utf-8")
        command = [self.program, "-d", str(self.datadir), "-f", "none", "-z", "-u", mode.name]
        try:
            done = subprocess.run(command, input=stream, capture_output=True, check=False)
        except OSError as error:
            raise EngineError(msg("cannot run {program}: {problem}", program=self.program,
                                  problem=str(error))) from None
        problem = done.stderr.decode("utf-8", "replace").strip()[-500:]
        if done.returncode != 0:
            raise EngineError(msg("apertium {mode} failed (exit status {status}): {problem}",
                                  mode=mode.name, status=done.returncode,
                                  problem=problem or done.stdout.decode("utf-8", "replace").strip()))
        # A program failing inside the pipeline leaves the exit status at 0 and the others
        # still echo a NUL per flush: each part must carry the sentence end that was sent.
        parts = done.stdout.decode("utf-8", "replace").split("\0")
        translations = [_decode(part) for part in parts[:len(segments)]]
        complete = [t for t in translations if t is not None]
        if len(complete) < len(segments) or any(part.strip() for part in parts[len(segments):]):
            if problem:
                raise EngineError(msg("apertium {mode} failed: {problem}", mode=mode.name,
                                      problem=problem))
            raise EngineError(msg("apertium {mode} returned {count} translations for {expected} "
                                  "segments; it may not support null-flush mode (-z)",
                                  mode=mode.name, count=len(complete), expected=len(segments)))
        return complete


# --------------------------------------------------------------------------- stream format


def _encode(segment: str) -> str:
    """A segment in Apertium's stream format: pairs as wordbound blanks, atoms as superblanks."""
    tokens = _placeholders(segment.replace("\0", ""))
    out: list[str] = []
    active: list[int] = []
    for kind, value in tokens:
        if kind == "open":
            active.append(int(value))
        elif kind == "close":
            active.remove(int(value))
        elif kind == "atom":
            out.append("[" + RESERVED.sub(r"\\\g<0>", value) + "]")
        else:
            out.append(_wrap(_escape(value), active))
    return "".join(out) + SENTENCE_END


def _placeholders(segment: str) -> list[tuple[str, str]]:
    """(text, str), (open|close, number), (atom, source text).

    Halves without a partner, and pairs crossing another pair, are atoms: sent
    and returned as they are, so the spans sent are always properly nested.
    """
    matches = list(PLACEHOLDER.finditer(segment))
    kinds = ["atom" if m[3] else "close" if m[1] else "open" for m in matches]
    stack: list[int] = []
    paired: set[int] = set()
    for i, match in enumerate(matches):
        if kinds[i] == "open":
            stack.append(i)
        elif kinds[i] == "close":
            opener = next((j for j in reversed(stack) if matches[j][2] == match[2]), None)
            if opener is not None:  # an open one inside it that is not closed yet: an atom
                del stack[stack.index(opener):]
                paired.update((opener, i))
    tokens: list[tuple[str, str]] = []
    position = 0
    for i, match in enumerate(matches):
        tokens.append(("text", segment[position:match.start()]))
        tokens.append((kinds[i], match[2]) if i in paired else ("atom", match[0]))
        position = match.end()
    tokens.append(("text", segment[position:]))
    return tokens


def _escape(text: str) -> str:
    return RESERVED.sub(r"\\\g<0>", text).replace("~", "[~]")


def _wrap(text: str, numbers: list[int]) -> str:
    """Text inside spans as one wordbound blank; the space at its edges stays outside."""
    core = text.strip(" ")
    if not numbers or not core:
        return text
    lead = text[:len(text) - len(text.lstrip(" "))]
    trail = text[len(text.rstrip(" ")):]
    return f"{lead}[[{';'.join(map(str, sorted(numbers)))}]]{core}[[/]]{trail}"


def _decode(output: str) -> str | None:
    """Apertium's output for one segment as text with placeholders again.

    None when it lacks the sentence end `_encode` added: then it is not the
    output of one whole segment.
    """
    ended = False
    pieces: list[tuple[str, frozenset[int] | None]] = []  # None: a gap (spaces, atoms)
    numbers: frozenset[int] = frozenset()
    for match in OUTPUT.finditer(output):
        if match["close"]:
            numbers = frozenset()
        elif match["open"] is not None:
            numbers = frozenset(int(n) for n in re.findall(r"\d+", match["open"]))
        elif match["end"]:
            ended = True
        elif match["blank"] is not None:
            pieces.append((re.sub(r"\\(.)", r"\1", match["blank"], flags=re.DOTALL), None))
        else:
            char = match["escaped"] if match["escaped"] is not None else match["char"]
            pieces.append((char, None if char == " " and not numbers else numbers))
    return re.sub(" {2,}", " ", _spans(pieces)).strip(" ") if ended else None


def _spans(pieces: list[tuple[str, frozenset[int] | None]]) -> str:
    """Text with `{n}`...`{/n}` around the runs of pieces carrying n.

    A gap between two words takes the numbers both have, so words of one span
    separated by a space or an atom stay one span. Numbers nest in order: a
    span opens before the spans inside it, so its number is smaller.
    """
    words = [i for i, (_, numbers) in enumerate(pieces) if numbers is not None]
    out: list[str] = []
    current: list[int] = []
    following = 0
    for i, (text, numbers) in enumerate(pieces):
        if numbers is None:
            while following < len(words) and words[following] < i:
                following += 1
            before = pieces[words[following - 1]][1] if following else None
            after = pieces[words[following]][1] if following < len(words) else None
            numbers = (before or frozenset()) & (after or frozenset())
        wanted = sorted(numbers)
        keep = 0
        while keep < min(len(current), len(wanted)) and current[keep] == wanted[keep]:
            keep += 1
        out += [f"{{/{n}}}" for n in reversed(current[keep:])]
        out += [f"{{{n}}}" for n in wanted[keep:]]
        current = wanted
        out.append(text)
    out += [f"{{/{n}}}" for n in reversed(current)]
    return "".join(out)


# --------------------------------------------------------------------------- versions, errors


def _data_version(mode: Mode) -> str:
    """The Debian version of the package that installed the mode, else a hash of its data.

    The mode file itself names the data files by path, so it stays the same when
    a package upgrade changes the dictionaries and rules; the data must be read.
    """
    owner = _dpkg("-S", str(mode.path))
    package = owner.split(":", 1)[0].strip() if owner else ""
    version = _dpkg("-W", "-f=${Version}", package) if package else ""
    if version:
        return version
    digest = hashlib.sha256()
    text = mode.path.read_bytes()
    digest.update(text)
    for name in sorted(set(re.findall(rb"'(/[^']+)'", text))):
        path = Path(name.decode("utf-8", "replace"))
        if path.is_file():
            digest.update(path.read_bytes())
    return "sha256:" + digest.hexdigest()[:16]


def _dpkg(*arguments: str) -> str:
    """dpkg-query's answer, or '' where there is no dpkg or it does not know."""
    try:
        done = subprocess.run(["dpkg-query", *arguments], capture_output=True, text=True,
                              check=False)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _no_mode(source: str, target: str, datadir: Path) -> Message:
    return msg("no Apertium language data in {folder} translates {source} to {target}; install "
               "the package of the pair (find it with 'apt-cache search apertium {source_name} "
               "{target_name}'; for English and Spanish it is apertium-eng-spa)",
               folder=str(datadir), source=source, target=target,
               source_name=_english_name(source), target_name=_english_name(target))


def _english_name(language: str) -> str:
    """`es` -> Spanish, the word Debian's package descriptions use."""
    try:
        return Locale.parse(_lower_base(language)).get_language_name("en") or language
    except (UnknownLocaleError, ValueError):
        return language


def _iso3(code: str) -> str:
    return ISO_639_3.get(code, code)


def _lower_base(language: str) -> str:
    """Apertium's mode names use lower-case base languages."""
    return base_language(language).lower()
