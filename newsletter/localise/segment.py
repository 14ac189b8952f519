"""Cut Markdown and plain text into sentences for machine translation, and rebuild it.

`segment_markdown(body)` and `segment_plain(title)` return a `Template`: the sentences to
send to the engine (`segments`) and what `fill(translations)` needs to put them back.
Whatever the engine returns, `fill` gives well-formed Markdown with the source's blocks
and the source's links (same URLs, same count), images, code spans and inline HTML. Code
blocks, HTML blocks and rules are copied, never sent. Rebuilt Markdown is normalised:
ATX headings, inline links, one blank line between blocks; an indented code block right
after a list comes back fenced (indented, it would join the list).

Placeholders. Inline markup becomes tokens numbered from 1 in each segment, so the same
sentence always gives the same segment: ``Read {1}the report{/1} today.`` for a link,
emphasis or strong span, ``{2/}`` for what the engine must not see: code spans, images,
inline HTML, autolinks, line breaks inside a span, and in the text URLs, e-mail addresses,
@handles, #hashtags and anything already looking like a placeholder. ASCII braces and
digits are in every sentencepiece vocabulary, and NMT models learn to copy ``{0}``-style
placeholders from the software-localisation corpora they are trained on; rare symbols
such as ``⟦⟧`` are ``<unk>`` and come back as ``⁇``, angle brackets get translated as
words (LibreTranslate issue 144) and argostranslate turns every ``_`` into a space. They
are read back leniently: spaces inside, full-width braces, any script's digits.

Sentences. Text is cut after ``.``, ``!``, ``?`` or ``…`` (and closing quotes or
brackets) followed by white space and a capital or a digit (after opening quotes); never
inside a link or emphasis, nor after an abbreviation (``Dr.``, ``St.``, ``No.``, ``e.g.``,
an initial). ``;`` ends a sentence only after a Greek letter: it is the Greek question
mark. A hard line break always cuts; a soft one cuts when the next line starts like a
sentence, else it is a wrapped line and becomes a space. A sentence without a letter (a
time, a lone URL) is not sent but copied; an empty translation is replaced by the source.

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

import re
import string
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

PLACEHOLDER = re.compile(r"[{｛] ?(/?) ?(\d+) ?(/?) ?[}｝]")
"""Read in squashed text, so one space stands for any white space."""
PROTECTED = re.compile(
    r"(?:https?://|www\.)[^\s<>]*[^\s<>.,;:!?)\]'\"’”»]"  # URLs, not their trailing punctuation
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|(?<![\w@#&])[@#]\w+"  # @handles and #hashtags
    r"|" + PLACEHOLDER.pattern)
BOUNDARY = re.compile(r"(?<![.!?…])(?P<end>[.!?…]+|;)[\"'”’»)\]]*(?P<space>\s+)")
OPENERS = "\"'“‘«([¿¡"
ABBREVIATIONS = frozenset({"dr", "mr", "mrs", "ms", "prof", "st", "no", "nr", "vs", "cf", "approx"})
INITIALISM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
"""Dotted abbreviations, seen without their last dot: e.g, i.e, U.S."""
SPACES = re.compile(r"[ \t\n\r\f\v]+")
"""What Markdown counts as white space: a no-break space is text."""
MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>|]|&(?=#|\w+;|$)")
"""Escaped in engine text; & where it could start an entity (up to an atom: "&{1/};")."""
SPACE, SOFT, HARD = 1, 2, 3
SEPARATORS = {SPACE: " ", SOFT: "\n", HARD: "\\\n"}
PAIRS = frozenset({"em", "strong", "link"})
_MD = MarkdownIt("commonmark")


@dataclass(frozen=True)
class _Mark:
    """What one placeholder stands for."""

    kind: str
    """em, strong, link (pairs); text (escaped on output), markdown, autolink, break (atoms)."""
    markdown: str
    """The opening Markdown of a pair; an atom's verbatim text or Markdown."""
    closer: str = ""
    """The closing Markdown of a pair."""
    fallback: str = ""
    """A link's source text, for when the translation leaves it empty."""
    parent: int = 0
    """The number of the pair around it in the source sentence; 0 for none."""


@dataclass(frozen=True)
class _Sentence:
    """One segment and what its placeholders stand for."""

    source: str
    """The segment text, as sent to the engine."""
    marks: tuple[_Mark, ...]
    """Placeholder n stands for marks[n - 1]."""
    index: int
    """Its position in `Template.segments`; -1 when it has no letter and is not translated."""


@dataclass(frozen=True)
class _Text:
    """A paragraph, a heading or a plain-text field."""

    tag: str
    """p, h1-h6 or plain."""
    sentences: tuple[_Sentence, ...]
    joins: tuple[int, ...]
    """SPACE, SOFT or HARD between consecutive sentences."""
    inventory: tuple[tuple[str, ...], ...]
    """Links, images, code spans and HTML the rebuilt block must have (see `_inventory`)."""
    markdown: str
    """The source's own Markdown for the text, the last resort of `_render_text`."""


@dataclass(frozen=True)
class _Verbatim:
    """Lines copied as they are: code, HTML blocks, rules."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Container:
    """A document, blockquote, list or list item: children behind a line prefix."""

    first: str
    """Prefix of the first line ("- ", "> ", "3. "); '' for a document or a list."""
    rest: str
    children: tuple[_Block, ...]
    tight: bool
    """Children on consecutive lines (a tight list) rather than blank-line separated."""


_Block = _Text | _Verbatim | _Container


@dataclass(frozen=True)
class Template:
    """A field cut into segments, and how to put their translations back."""

    segments: tuple[str, ...]
    """The texts to translate, in order, stripped; the same sentence twice gives two equal ones."""
    root: _Container | _Text
    """The field's structure; internal."""

    def fill(self, translations: Sequence[str]) -> str:
        """The field rebuilt from one translation per segment (`fill(segments)`: the source)."""
        if len(translations) != len(self.segments):
            raise ValueError(f"{len(translations)} translations for {len(self.segments)} segments")
        lines = _render(self.root, translations)
        if isinstance(self.root, _Text):
            return "\n".join(lines)
        return "\n".join(lines) + "\n" if lines else ""


def segment_markdown(markdown: str) -> Template:
    """Cut a Markdown body into sentences with placeholders for inline markup."""
    segments: list[str] = []
    root = _Container("", "", _blocks(SyntaxTreeNode(_MD.parse(markdown)).children, segments), False)
    return Template(tuple(segments), root)


def segment_plain(text: str) -> Template:
    """Cut a plain-text field (title, lead) into sentences; `fill` returns plain text."""
    segments: list[str] = []
    root = _text(_protect(_squash(text)), "plain", segments)
    return Template(tuple(segments), root)


# --------------------------------------------------------------------------- segmenting


def _blocks(nodes: list[SyntaxTreeNode], segments: list[str]) -> tuple[_Block, ...]:
    blocks: list[_Block] = []
    previous = ""  # the marker of a list just before: an equal one would merge the two lists
    for node in nodes:
        if node.type in ("paragraph", "heading"):
            inline = node.children[0].token
            blocks.append(_text(_inline(inline.children or []), node.tag, segments, inline))
        elif node.type in ("bullet_list", "ordered_list"):
            block, previous = _list(node, previous, segments)
            blocks.append(block)
            continue
        elif node.type == "blockquote":
            blocks.append(_Container("> ", "> ", _blocks(node.children, segments), False))
        elif node.type == "fence" or (node.type == "code_block" and previous):
            fence = node.markup or "`" * max([3, *(len(r) + 1 for r in re.findall("`+", node.content))])
            body = node.content.removesuffix("\n").split("\n") if node.content else []
            blocks.append(_Verbatim((fence + node.info, *body, fence)))
        elif node.type == "code_block":  # indented code after a list would join the list
            lines = node.content.removesuffix("\n").split("\n")
            blocks.append(_Verbatim(tuple("    " + line if line else "" for line in lines)))
        elif node.type == "hr":
            blocks.append(_Verbatim(("___",)))  # "- ---" and "* ***" are rules, not list items
        else:  # html_block, and anything else a parser extension might add
            blocks.append(_Verbatim(tuple(node.content.removesuffix("\n").lstrip(" \t").split("\n"))))
        previous = ""
    return tuple(blocks)


def _list(node: SyntaxTreeNode, previous: str, segments: list[str]) -> tuple[_Container, str]:
    ordered = node.type == "ordered_list"
    delimiter = node.markup
    if delimiter == previous:
        delimiter = next(c for c in (".)" if ordered else "-*+") if c != previous)
    start = int(node.attrs.get("start", 1)) if ordered else 0
    tight = all(p.hidden for item in node.children for p in item.children if p.type == "paragraph")
    items = []
    for number, item in enumerate(node.children, start):
        marker = f"{number}{delimiter}" if ordered else delimiter
        items.append(_Container(marker + " ", " " * (len(marker) + 1), _blocks(item.children, segments),
                                tight))
    return _Container("", "", tuple(items), tight), delimiter


def _inline(tokens: list[Token]) -> list[tuple]:
    """Inline tokens as items: (text, str), (open, _Mark), (close, None), (atom, _Mark), (soft|hard, None)."""
    items: list[tuple] = []
    depth = 0
    skip = 0
    for i, token in enumerate(tokens):
        kind = token.type
        if skip:
            skip -= 1
        elif kind == "text":
            items += _protect(SPACES.sub(" ", token.content))
        elif kind in ("softbreak", "hardbreak"):
            if depth:  # a line break inside a link or emphasis stays inside its sentence
                items.append(("text", " ") if kind == "softbreak" else ("atom", _Mark("break", "")))
            else:
                items.append((kind[:4], None))
        elif kind in ("em_open", "strong_open"):
            items.append(("open", _Mark(kind[:-5], token.markup, token.markup)))
            depth += 1
        elif kind == "link_open" and token.info == "auto":
            text = tokens[i + 1].content
            items.append(("atom", _Mark("autolink", f"[{_escape(text)}]({_destination(token)})")))
            skip = 2
        elif kind == "link_open":
            end = next(j for j in range(i, len(tokens)) if tokens[j].type == "link_close")
            text = _squash("".join(t.content for t in tokens[i:end] if t.type in ("text", "code_inline")))
            items.append(("open", _Mark("link", "[", f"]({_destination(token)})", text)))
            depth += 1
        elif kind.endswith("_close"):
            items.append(("close", None))
            depth -= 1
        elif kind == "code_inline":
            pad = " " if token.content[:1] == "`" or token.content[-1:] == "`" or (
                token.content[:1] == token.content[-1:] == " " and token.content.strip()) else ""
            code = f"{token.markup}{pad}{token.content}{pad}{token.markup}"
            items.append(("atom", _Mark("markdown", code)))
        elif kind == "image":
            alt = " ".join(_MD.renderer.renderInlineAsText(token.children or [], _MD.options, {}).split())
            items.append(("atom", _Mark("markdown", f"![{_escape(alt)}]({_destination(token)})")))
        elif kind == "html_inline":
            items.append(("atom", _Mark("markdown", token.content)))
        else:
            items.append(("atom", _Mark("text", token.content)))
    return items


def _protect(text: str) -> list[tuple]:
    """Plain text as items, with URLs, addresses, handles and placeholder look-alikes as atoms."""
    items: list[tuple] = []
    position = 0
    for match in PROTECTED.finditer(text):
        items += [("text", text[position:match.start()]), ("atom", _Mark("text", match[0]))]
        position = match.end()
    items.append(("text", text[position:]))
    return [item for item in items if item != ("text", "")]


def _destination(token: Token) -> str:
    href = token.attrs.get("href", token.attrs.get("src", ""))
    title = str(token.attrs.get("title", "")).replace("\n", " ")
    # <...> takes any URL; & is escaped so an entity-looking URL does not decode
    out = "<" + re.sub(r"[<>\\&]", r"\\\g<0>", str(href)) + ">"
    return out + (' "' + re.sub(r'["\\&]', r"\\\g<0>", title) + '"' if title else "")


def _text(items: list[tuple], tag: str, segments: list[str], inline: Token | None = None) -> _Text:
    """Cut a block's items into sentences and number their placeholders."""
    offsets, depths, pieces, depth, position = [], [], [], 0, 0
    for kind, value in items:
        depth -= kind == "close"
        offsets.append(position)
        depths.append(depth)
        depth += kind == "open"
        # for the splitter an atom is neither a capital nor a space
        pieces.append(value if kind == "text" else {"atom": "\ufffc", "soft": "\n", "hard": "\n"}.get(
            kind, ""))
        position += len(pieces[-1])
    visible = "".join(pieces)
    cuts: dict[int, list[tuple[int, int]]] = {}
    for match in BOUNDARY.finditer(visible):
        start = match.start("space")
        k = bisect_right(offsets, start) - 1
        if items[k][0] != "text" or depths[k] or not _is_boundary(visible, match):
            continue
        cuts.setdefault(k, []).append((start - offsets[k], min(match.end(), offsets[k] + len(items[k][1]))
                                       - offsets[k]))
    sentences: list[list[tuple]] = [[]]
    joins: list[int] = []
    for k, (kind, value) in enumerate(items):
        if kind == "text" and k in cuts:
            position = 0
            for start, end in cuts[k]:
                sentences[-1].append(("text", value[position:start]))
                _cut(sentences, joins, SPACE)
                position = end
            sentences[-1].append(("text", value[position:]))
        elif kind == "hard" or (kind == "soft" and _starts_sentence(visible, offsets[k] + 1)):
            _cut(sentences, joins, HARD if kind == "hard" else SOFT)
        else:
            sentences[-1].append(("text", " ") if kind == "soft" else (kind, value))
    if len(sentences) > 1 and all(kind == "text" and _blank(value) for kind, value in sentences[-1]):
        sentences.pop()
        joins.pop()
    return _Text(tag, tuple(_sentence(s, segments) for s in sentences), tuple(joins),
                 _inventory(inline.children or []) if inline else (), inline.content if inline else "")


def _cut(sentences: list[list[tuple]], joins: list[int], strength: int) -> None:
    if any(kind != "text" or not _blank(value) for kind, value in sentences[-1]):
        sentences.append([])
        joins.append(strength)
    elif joins:  # nothing since the last cut: keep the stronger break
        joins[-1] = max(joins[-1], strength)


def _is_boundary(visible: str, match: re.Match[str]) -> bool:
    before = visible[max(0, match.start() - 40):match.start()]
    word = before.rsplit(None, 1)[-1].lstrip(OPENERS) if before.strip() else ""
    if match["end"] == "." and (word.lower() in ABBREVIATIONS or INITIALISM.fullmatch(word)
                                or (len(word) == 1 and word.isalpha())):
        return False
    greek = "\u0370" <= before[-1:] <= "\u03ff" or "\u1f00" <= before[-1:] <= "\u1fff"
    if match["end"] == ";" and not greek:
        return False  # a semicolon, except after Greek where it is the question mark
    return _starts_sentence(visible, match.end())


def _starts_sentence(visible: str, position: int) -> bool:
    rest = visible[position:position + 40].lstrip().lstrip(OPENERS)
    return bool(rest) and (rest[0].isupper() or rest[0].isdigit())


def _sentence(items: list[tuple], segments: list[str]) -> _Sentence:
    marks: list[_Mark] = []
    parts: list[str] = []
    stack = [0]
    for kind, value in items:
        if kind == "text":
            parts.append(value)
        elif kind == "close":
            parts.append(f"{{/{stack.pop()}}}")
        else:
            marks.append(replace(value, parent=stack[-1]))
            parts.append(f"{{{len(marks)}}}" if kind == "open" else f"{{{len(marks)}/}}")
            if kind == "open":
                stack.append(len(marks))
    source = _squash("".join(parts))
    index = -1
    if any(char.isalpha() for char in PLACEHOLDER.sub(" ", source)):
        index = len(segments)
        segments.append(source)
    return _Sentence(source, tuple(marks), index)


def _inventory(tokens: list[Token]) -> tuple[tuple[str, ...], ...]:
    """What a paragraph must keep: link URLs, image sources, code spans, inline HTML."""
    def pick(kind: str, attr: str = "") -> tuple[str, ...]:
        return tuple(sorted(str(t.attrs[attr]) if attr else t.content for t in tokens if t.type == kind))
    return (pick("link_open", "href"), pick("image", "src"), pick("code_inline"), pick("html_inline"))


# --------------------------------------------------------------------------- rebuilding


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


def _escape(text: str, line_start: bool = False, heading: bool = False) -> str:
    """Text as Markdown that shows exactly that text."""
    text = MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)
    if heading:
        return text.replace("#", "\\#")  # a trailing "#" would be a closing sequence
    if line_start and text[:1] in ("#", "+", "=", "~", "-"):
        return "\\" + text
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", text) if line_start else text


def _squash(text: str) -> str:
    return SPACES.sub(" ", text).strip(" ")


def _blank(text: str) -> bool:
    return not SPACES.sub("", text)
