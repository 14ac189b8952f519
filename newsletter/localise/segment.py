"""Cut Markdown and plain text into sentences for machine translation.

`segment_markdown(body)` and `segment_plain(title)` return a `Template`: the sentences to
send to the engine (`segments`) and what `fill(translations)` needs to put them back (that
half lives in `rebuild`). Whatever the engine returns, `fill` gives well-formed Markdown
with the source's blocks and the source's links (same URLs, same count), images, code
spans and inline HTML. Code blocks, HTML blocks and rules are copied, never sent. Rebuilt
Markdown is normalised: ATX headings, inline links, one blank line between blocks; an
indented code block right after a list comes back fenced (indented, it would join the list).

Placeholders. Inline markup becomes tokens numbered from 1 in each segment, so the same
sentence always gives the same segment: ``Read {1}the report{/1} today.`` for a link,
emphasis or strong span, ``{2/}`` for what the engine must not see: code spans, images,
inline HTML, autolinks, line breaks inside a span, and in the text URLs, e-mail addresses,
@handles, #hashtags and anything already looking like a placeholder. ASCII braces and
digits are in every sentencepiece vocabulary, and NMT models learn to copy ``{0}``-style
placeholders from the software-localisation corpora they are trained on; rare symbols
such as ``⟦⟧`` are ``<unk>`` and come back as ``⁇``, angle brackets get translated as
words (LibreTranslate issue 144) and argostranslate turns every ``_`` into a space.

Sentences. Text is cut after ``.``, ``!``, ``?`` or ``…`` (and closing quotes or
brackets) followed by white space and a capital or a digit (after opening quotes); never
inside a link or emphasis, nor after an abbreviation (``Dr.``, ``St.``, ``No.``, ``e.g.``,
an initial). ``;`` ends a sentence only after a Greek letter: it is the Greek question
mark. A hard line break always cuts; a soft one cuts when the next line starts like a
sentence, else it is a wrapped line and becomes a space. A sentence without a letter (a
time, a lone URL) is not sent but copied.
"""

from __future__ import annotations

import re
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
        from newsletter.localise import rebuild  # imports this module's data structures

        return rebuild.fill(self.root, translations)


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


# --------------------------------------------------------------------------- shared with rebuild


def _inventory(tokens: list[Token]) -> tuple[tuple[str, ...], ...]:
    """What a paragraph must keep: link URLs, image sources, code spans, inline HTML."""
    def pick(kind: str, attr: str = "") -> tuple[str, ...]:
        return tuple(sorted(str(t.attrs[attr]) if attr else t.content for t in tokens if t.type == kind))
    return (pick("link_open", "href"), pick("image", "src"), pick("code_inline"), pick("html_inline"))


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
