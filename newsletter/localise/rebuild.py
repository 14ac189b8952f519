"""Put translated segments back into Markdown: the other half of `segment`.

`fill(root, translations)`, called by `Template.fill`, rebuilds a field from its structure
and one translation per segment, whatever the engine returned. Placeholders are read back
leniently: spaces inside, full-width braces, any script's digits. An empty translation is
replaced by the source.

Repair, per sentence: unknown placeholders are dropped, repeated ones used once; a pair
whose end comes first is swapped; a span never closed ends with its parent; a span whose
start is lost is put where its end is, with its source text; a link opening inside a link
ends the outer one, an autolink inside a link moves after it; markup the engine dropped is
appended, with its source text, at the end of the span that held it in the source, else
of the sentence; an empty link gets its source text, empty emphasis is dropped. Space at
the edge of a span moves outside it, and a space is added where a ``*`` could otherwise
not open or close (emphasis is the one thing that is best effort). Everything else the
engine wrote is escaped, so it stays text. Last, each rebuilt paragraph or heading is
parsed again: if it is not the source's block with the source's links, images, code and
HTML, the source sentences are used instead, then the source's own Markdown.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Sequence

from newsletter.localise.segment import (
    _MD,
    HARD,
    PLACEHOLDER,
    SOFT,
    SPACE,
    _blank,
    _Block,
    _Container,
    _escape,
    _inventory,
    _Mark,
    _Sentence,
    _squash,
    _Text,
    _Verbatim,
)

SEPARATORS = {SPACE: " ", SOFT: "\n", HARD: "\\\n"}
PAIRS = frozenset({"em", "strong", "link"})


def fill(root: _Container | _Text, translations: Sequence[str]) -> str:
    """The field rebuilt from one translation per segment, as Markdown (plain text for a
    `segment_plain` field)."""
    lines = _render(root, translations)
    if isinstance(root, _Text):
        return "\n".join(lines)
    return "\n".join(lines) + "\n" if lines else ""


def _render(block: _Block, translations: Sequence[str]) -> list[str]:
    if isinstance(block, _Verbatim):
        return list(block.lines)
    if isinstance(block, _Text):
        return _render_text(block, translations).split("\n")
    lines: list[str] = []
    for child in block.children:
        if lines and not block.tight:
            lines.append("")
        lines += _render(child, translations)
    if not block.first:
        return lines
    prefixes = [block.first] + [block.rest] * (len(lines) - 1)
    return [p + line if line else p.rstrip() for p, line in zip(prefixes, lines or [""], strict=True)]


def _render_text(block: _Text, translations: Sequence[str] | None) -> str:
    """The block from the translations; else, if that is not the source's block with the
    source's links, from the source sentences; else as the source wrote it."""
    if block.tag == "plain":
        return _linearize(_text_chunks(block, translations), "plain")
    prefix = "#" * int(block.tag[1]) + " " if block.tag != "p" else ""
    kind = "paragraph" if block.tag == "p" else "heading"
    for attempt in (translations, None, block.markdown):
        text = attempt if isinstance(attempt, str) else _linearize(_text_chunks(block, attempt), block.tag)
        text = prefix + (text or ("" if prefix else "\u00a0"))  # a paragraph of no-break spaces
        tokens = _MD.parse(text)
        if [t.type for t in tokens] == [f"{kind}_open", "inline", f"{kind}_close"] and (
                tokens[0].tag == block.tag and _inventory(tokens[1].children or []) == block.inventory):
            return text
    return prefix + _linearize(_text_chunks(block, None), block.tag)


def _text_chunks(block: _Text, translations: Sequence[str] | None) -> list[tuple]:
    chunks: list[tuple] = []
    for k, sentence in enumerate(block.sentences):
        if k:
            chunks.append(("sep", block.joins[k - 1]))
        source = translations is None or sentence.index < 0
        chunks += _rebuild(sentence.source if source else translations[sentence.index], sentence)
    return chunks


def _rebuild(translation: str, sentence: _Sentence) -> list[tuple]:
    """One sentence's translation as chunks: (text|md|emo|emc, str) and (sep, strength)."""
    if _blank(translation):
        translation = sentence.source  # the source reads better than nothing
    marks = sentence.marks
    items = _placeholders(_squash(translation), marks)
    items = _repair(items, _placeholders(sentence.source, marks), marks)
    chunks: list[tuple] = []
    _chunks(_tree(items, marks), marks, chunks)
    return chunks


def _placeholders(text: str, marks: tuple[_Mark, ...]) -> list[tuple]:
    """Text as (text, str), (open|close|atom, number) items; unknown numbers are engine noise."""
    items: list[tuple] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        items.append(("text", text[position:match.start()]))
        position = match.end()
        number = int(match[2]) if len(match[2]) < 5 else 0
        if 1 <= number <= len(marks):
            role = "close" if match[1] or match[3] else "open"
            items.append((role if marks[number - 1].kind in PAIRS else "atom", number))
    items.append(("text", text[position:]))
    return items


def _repair(items: list[tuple], source: list[tuple], marks: tuple[_Mark, ...]) -> list[tuple]:
    """Each placeholder once, pairs in order, lost ones put back (see the module docstring)."""
    first: dict[int, int] = {}
    closes: dict[int, list[int]] = {}
    for i, (role, number) in enumerate(items):
        if role == "close":
            closes.setdefault(number, []).append(i)
        elif role != "text":
            first.setdefault(number, i)
    chosen: dict[int, str] = {}
    for number, i in first.items():
        later = [c for c in closes.get(number, []) if c > i]
        if items[i][0] == "atom":
            chosen[i] = "atom"
        elif later:
            chosen[i], chosen[later[0]] = "open", "close"
        elif number in closes:  # the end came first: swapped
            chosen[closes[number][0]], chosen[i] = "open", "close"
        else:
            chosen[i] = "open"  # never closed: ends where its parent does
    for number, found in closes.items():
        if number not in first:
            chosen[found[0]] = "lost"  # start lost: the whole element goes here, with its source text
    placed = {items[i][1] for i, role in chosen.items() if role != "lost"}
    out: list[tuple] = []
    for i, (role, value) in enumerate(items):
        if role == "text":
            out.append((role, value))
        elif chosen.get(i) == "lost":
            out += _source_part(source, value, placed)
        elif i in chosen:
            out.append((chosen[i], value))
    for number in range(1, len(marks) + 1):
        if number not in placed:
            parent = marks[number - 1].parent
            at = next((i for i, item in enumerate(out) if item == ("close", parent)), len(out))
            out[at:at] = [("text", " "), *_source_part(source, number, placed)]
    return out


def _source_part(source: list[tuple], number: int, placed: set[int]) -> list[tuple]:
    """The source items of one element, without markup already placed elsewhere."""
    start = next(i for i, (role, value) in enumerate(source) if role != "text" and value == number)
    end = source.index(("close", number)) if source[start][0] == "open" else start
    part = source[start:end + 1]
    kept = [(role, value) for role, value in part if role == "text" or value not in placed]
    placed.update(value for role, value in part if role != "text")
    return kept


def _tree(items: list[tuple], marks: tuple[_Mark, ...]) -> list:
    """Nest items: str for text, int for an atom, (number, children) for a pair."""
    root: list = []
    stack: list[tuple[int, list]] = [(0, root)]
    for role, value in items:
        if role == "text":
            stack[-1][1].append(value)
        elif role == "close":
            depth = next((d for d in range(len(stack) - 1, 0, -1) if stack[d][0] == value), 0)
            if depth:  # else already closed, by a misnested end
                del stack[depth:]
        else:
            links = [d for d in range(1, len(stack)) if marks[stack[d][0] - 1].kind == "link"]
            kind = marks[value - 1].kind
            if role == "atom":
                # a link inside a link text loses the outer one: put it just after
                (stack[links[0] - 1] if links and kind == "autolink" else stack[-1])[1].append(value)
                continue
            if kind == "link" and links:
                del stack[links[0]:]
            node: tuple[int, list] = (value, [])
            stack[-1][1].append(node)
            stack.append(node)
    return root


def _chunks(children: list, marks: tuple[_Mark, ...], out: list[tuple]) -> None:
    for child in children:
        if isinstance(child, str):
            words = child.strip(" ")
            if child[:1] == " ":
                out.append(("sep", SPACE))
            if words:
                out.append(("text", words))
                if child[-1] == " ":
                    out.append(("sep", SPACE))
        elif isinstance(child, int):
            mark = marks[child - 1]
            if mark.kind == "break":
                out.append(("sep", HARD))
            else:
                out.append(("text" if mark.kind == "text" else "md", mark.markdown))
        else:
            mark = marks[child[0] - 1]
            inner: list[tuple] = []
            _chunks(child[1], marks, inner)
            trail = []  # space at the edges goes outside: "* x*" is no emphasis
            while inner and inner[-1][0] == "sep":
                trail.append(inner.pop())
            lead = []
            while inner and inner[0][0] == "sep":
                lead.append(inner.pop(0))
            if mark.kind == "link":
                inner = inner or ([("text", mark.fallback)] if mark.fallback else [])
                out += [*lead, ("md", mark.markdown), *inner, ("md", mark.closer), *trail]
            elif inner:
                out += [*lead, ("emo", mark.markdown), *inner, ("emc", mark.closer), *trail]
            else:
                out += lead + trail


def _linearize(chunks: list[tuple], tag: str) -> str:
    out: list[str] = []
    pending, line_start = 0, tag == "p"
    for i, (kind, value) in enumerate(chunks):
        if kind == "sep":
            pending = max(pending, value)
            continue
        last = out[-1][-1:] if out else ""
        following = _first(chunks, i + 1)
        if kind == "emo" and last and not pending and not last.isspace() and not _punct(last) and (
                _punct(following)):
            pending = SPACE  # "a*(b)*" does not open emphasis, "a *(b)*" does
        if out and pending:
            out.append(SEPARATORS[pending] if tag == "p" else " ")
            line_start = pending > SPACE
        pending = 0
        if kind == "md" and value[:1] == "<" and line_start:
            value = "\u00a0" + value  # inline HTML starting a line could start an HTML block
        if value[:1] == "[" and out and out[-1][-1:] == "!" and tag != "plain":
            out[-1] = out[-1][:-1] + "\\!"  # "![" would make the link an image
        out.append(_escape(value, line_start, tag != "p") if kind == "text" and tag != "plain" else value)
        line_start = False
        if kind == "emc" and following and not following.isspace() and (
                chunks[i + 1][0] == "emo" or (_punct(last) and not _punct(following))):
            pending = SPACE  # "*a*(b)" closes, "*(a)*b" does not; "*a**b*" is no two spans
    return "".join(out)


def _first(chunks: list[tuple], index: int) -> str:
    if index >= len(chunks):
        return ""
    kind, value = chunks[index]
    return " " if kind == "sep" else (_escape(value) if kind == "text" else value)[:1]


def _punct(char: str) -> bool:
    return bool(char) and (char in string.punctuation or unicodedata.category(char)[0] in "PS")
