"""A raw page as text, and the clean-up every importer shares.

Pages arrive as text dumps of web pages: one block of the page per line,
blank lines between blocks, non-breaking spaces, bullets drawn with "•",
paragraphs occasionally wrapped mid-sentence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from newsletter.messages import MessageError, msg

MAX_PAGE_BYTES = 2 * 1024 * 1024
"""Largest page accepted; real news pages are a few kilobytes of text."""

BULLET = re.compile(r"^\s*[•·▪●◦‣∙]\s*")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
MARKDOWN_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])(\s|$)")
SENTENCE_END = ("." , "!", "?", ":", ";", "”", "\"", "'", ")", "…", "’")
WRAP_MIN_LENGTH = 60
"""A line at least this long that ends mid-sentence continues on the next line."""


class PageError(MessageError, ValueError):
    """A page that cannot be imported; the message says why."""


@dataclass(frozen=True)
class RawPage:
    """A page file's text, normalised for parsing."""

    path: Path
    """The file as named on the command line."""
    text: str
    """NFC text, LF line ends, no BOM, non-breaking spaces made plain, lines right-stripped."""

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def blocks(self) -> list[list[str]]:
        """Groups of consecutive non-blank lines."""
        return split_blocks(self.lines)


def read_page(path: Path) -> RawPage:
    """Read and normalise a page file, or raise `PageError` saying what is wrong with it."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_PAGE_BYTES + 1)
    except OSError as error:
        raise PageError(msg("cannot read the file: {reason}", reason=error.strerror)) from None
    if len(data) > MAX_PAGE_BYTES:
        raise PageError(msg("the file is larger than {limit} MB; a news page is a few kilobytes "
                            "of text, so this is not one", limit=MAX_PAGE_BYTES // (1024 * 1024)))
    if b"\x00" in data:
        raise PageError(msg("the file is binary, not a text page"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PageError(msg("the file is not UTF-8 text (invalid byte at offset {offset}); "
                            "convert it with 'iconv -t UTF-8'", offset=error.start)) from None
    if not text.strip():
        raise PageError(msg("the file is empty"))
    return RawPage(path=path, text=normalise_text(text))


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def split_blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def join_wrapped(lines: list[str]) -> list[str]:
    """Rejoin lines that a page wrapped in the middle of a sentence."""
    joined: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            joined.append("")
            continue
        previous = joined[-1] if joined else ""
        if (len(previous) >= WRAP_MIN_LENGTH and not previous.endswith(SENTENCE_END)
                and not BULLET.match(line)):
            joined[-1] = f"{previous} {stripped}"
        else:
            joined.append(line.rstrip())
    return joined


def escape_markdown(text: str) -> str:
    """Plain text as Markdown that renders to the same text."""
    text = MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return MARKDOWN_LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}{m[3]}", text)


def lines_to_markdown(lines: list[str]) -> str:
    """Turn page lines into Markdown: each line a paragraph, "•" lines a list.

    Lines indented under a bullet continue that list item. The text itself is
    escaped, so nothing in a page can become markup it did not have.
    """
    out: list[str] = []
    in_list = False
    for line in join_wrapped(lines):
        if not line.strip():
            continue
        bullet = BULLET.match(line)
        if bullet:
            if not in_list and out:
                out.append("")
            out.append("- " + escape_markdown(line[bullet.end():].strip()))
            in_list = True
        elif in_list and line.startswith((" ", "\t")):
            out.append("  " + escape_markdown(line.strip()))
        else:
            if out:
                out.append("")
            out.append(escape_markdown(line.strip()))
            in_list = False
    return "\n".join(out) + ("\n" if out else "")


def paragraph(lines: list[str]) -> str:
    """Lines of one block as a single line of plain text."""
    return " ".join(line.strip() for line in lines if line.strip())
