"""Segmenting Markdown and plain text for the engine, and rebuilding it from any translation."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from newsletter import importers
from newsletter.config import load_settings
from newsletter.localise.segment import segment_markdown, segment_plain

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "pages"
MD = MarkdownIt("commonmark")
HTML_TYPES = ("html_block", "html_inline")


def html(markdown: str) -> str:
    return MD.render(markdown)


def inline_tokens(markdown: str) -> list[Token]:
    return [child for token in MD.parse(markdown) for child in token.children or []]


def links(markdown: str) -> Counter[str]:
    return Counter(t.attrs["href"] for t in inline_tokens(markdown) if t.type == "link_open")


def structure(markdown: str) -> list[str]:
    return [t.type for t in MD.parse(markdown)]


def shown_text(markdown: str) -> str:
    """Every text token's content: what a reader sees, markup aside."""
    return " ".join(t.content for t in inline_tokens(markdown) if t.type == "text")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> list:
    settings_ = load_settings(tmp_path_factory.mktemp("project"))
    return [r.item for r in importers.run(settings_, [EXAMPLES], dry_run=True).items]


# --------------------------------------------------------------------------- round trips


def test_example_bodies_come_back_unchanged(imported: list) -> None:
    assert len([item for item in imported if item.body.strip()]) == 4  # listing cards have no body
    segments: list[str] = []
    for item in imported:
        template = segment_markdown(item.body)
        segments += template.segments
        assert html(template.fill(template.segments)) == html(item.body)
    assert ("“Our role is to connect people, states, regions and cities and make sure that all "
            "the good practices […] are properly disseminated,” Dimitrakopoulou said.") in segments
    assert "Join the discussion on twitter with the official conference hashtag {1/}." in segments
    assert "For further questions, please contact {1/}" in segments
    assert {"Instrategies", "Design and implementation of regional toolkit and stakeholder involvement",
            "12:30 End of the event"} <= set(segments)


def test_example_titles_and_leads_come_back_unchanged(imported: list) -> None:
    for item in imported:
        for text in (item.title, item.lead):
            template = segment_plain(text)
            assert template.fill(template.segments) == " ".join(text.split())


def test_editor_markdown_comes_back_unchanged() -> None:
    source = (
        "# A *heading* with [a link](https://a.eu/x_y)\n\n"
        "Setext title\n------------\n\n"
        "Para one. Para *two has. Two sentences* inside. Line\\\nbreak, and `code_here`.\n\n"
        "3. third\n4. fourth\n   - nested **bold**\n   - and <https://auto.eu/a_b>\n\n"
        "> quoted [link](</a b> \"its title\") text\n>\n> second para\n\n"
        "```python\nx = '*not* [markdown](u)'\n```\n\n"
        "    indented code\n\n"
        "<div>\nraw *html*\n</div>\n\n"
        "---\n\n"
        "- loose\n\n- list ![an image](img.png)\n\n"
        "* other list\n"
    )
    template = segment_markdown(source)
    rebuilt = template.fill(template.segments)
    assert html(rebuilt) == html(source)
    assert not any("not* [markdown]" in s or "raw" in s or "indented" in s for s in template.segments)


# --------------------------------------------------------------------------- segments


@pytest.mark.parametrize(("text", "segments"), [
    ("Dr. Smith arrived. He left at 9 p.m. on Monday! Did he? Yes.",
     ["Dr. Smith arrived.", "He left at 9 p.m. on Monday!", "Did he?", "Yes."]),
    ("See e.g. Article 5. J. Smith and St. Paul agree. No. 5 wins.",
     ["See e.g. Article 5.", "J. Smith and St. Paul agree.", "No. 5 wins."]),
    ("Wait… Then “We cannot walk alone.” The end", ["Wait…", "Then “We cannot walk alone.”", "The end"]),
    ("Growth was 8.4% in 2021. 2022 was flat. it stays lower-case. Ok",
     ["Growth was 8.4% in 2021.", "2022 was flat. it stays lower-case.", "Ok"]),
    ("Τι κάνεις; Καλά. Items; More", ["Τι κάνεις;", "Καλά.", "Items; More"]),
    ("Hello there. Hello there.", ["Hello there.", "Hello there."]),
])
def test_sentences(text: str, segments: list[str]) -> None:
    assert list(segment_plain(text).segments) == segments
    assert list(segment_markdown(text).segments) == segments


def test_blocks_give_segments_in_order_and_lines_without_letters_are_not_sent() -> None:
    body = ("# Agenda\n\n10:00\n\n- Case Study\n  Stakeholder approach, Hamburg\n- Q&A\n\n"
            "Text  with\nwrapped line.\n")
    template = segment_markdown(body)
    assert template.segments == ("Agenda", "Case Study", "Stakeholder approach, Hamburg", "Q&A",
                                 "Text with wrapped line.")
    assert template.fill(["Ordre du jour", "Étude", "Approche", "Q-R", "Texte."]) == (
        "# Ordre du jour\n\n10:00\n\n- Étude\n  Approche\n- Q-R\n\nTexte.\n")


def test_escaped_source_reaches_the_engine_unescaped_and_leaves_escaped() -> None:
    template = segment_markdown("All the good practices \\[…\\] are *shared* \\<here\\>.\n")
    assert template.segments == ("All the good practices […] are {1}shared{/1} <here>.",)
    rebuilt = template.fill(["Toutes les \\[…\\] [x] {1}partagées{/1} <here> *"])
    assert html(rebuilt) == ("<p>Toutes les \\[…\\] [x] <em>partagées</em> &lt;here&gt; *</p>\n")


def test_links_and_emphasis_become_placeholders() -> None:
    template = segment_markdown("Read [the *full* report](https://x.eu/r \"R\") **today**. Then rest.\n")
    assert template.segments == ("Read {1}the {2}full{/2} report{/1} {3}today{/3}.", "Then rest.")
    rebuilt = template.fill(["{3}Heute{/3} {1}den {2}ganzen{/2} Bericht{/1} lesen.", "Dann ruhen."])
    assert rebuilt == '**Heute** [den *ganzen* Bericht](<https://x.eu/r> "R") lesen. Dann ruhen.\n'


def test_urls_addresses_handles_hashtags_and_code_never_reach_the_engine() -> None:
    source = ("Write to integration@cor.europa.eu, see https://cor.europa.eu/en_gb/a_b?x=1. "
              "Follow @CEMR_CCRE on #CEMR_Bilbao and run `make_demo` or {1}.")
    template = segment_markdown(source)
    assert template.segments == ("Write to {1/}, see {2/}.", "Follow {1/} on {2/} and run {3/} or {4/}.")
    # argostranslate turns "_" into spaces: nothing with one may have been sent
    assert not any("_" in s or "@" in s for s in template.segments)
    rebuilt = template.fill(["{2/} {1/} schreiben.", "{4/} {3/} {2/} {1/} folgen."])
    assert shown_text(rebuilt) == ("https://cor.europa.eu/en_gb/a_b?x=1 integration@cor.europa.eu "
                                   "schreiben. {1}   #CEMR_Bilbao @CEMR_CCRE folgen.")
    assert [t.content for t in inline_tokens(rebuilt) if t.type == "code_inline"] == ["make_demo"]
    plain = segment_plain("Mail a_b@c.eu now.")
    assert plain.segments == ("Mail {1/} now.",)
    assert plain.fill(["Écrire *à* ｛ １ /｝"]) == "Écrire *à* a_b@c.eu"


# --------------------------------------------------------------------------- repair


LINKED = "Read [the report](https://x.eu/r) and *this* today.\n"


@pytest.mark.parametrize(("translation", "expected"), [
    # dropped: appended with the source text
    ("Lisez aujourd'hui.", "Lisez aujourd'hui. [the report](<https://x.eu/r>) *this*"),
    # duplicated: used once
    ("{1}a{/1} {1}b{/1} {2}c{/2} {/2}", "[a](<https://x.eu/r>) b *c*"),
    # swapped end and start; never closed; lenient spacing and digits
    ("{/1}a{1} { 2 }b", "[a](<https://x.eu/r>) *b*"),
    ("x ｛١｝y｛/١｝ {2}z{/ 2}", "x [y](<https://x.eu/r>) *z*"),
    # misnested: the inner one ends with the outer one
    ("{1}a {2}b{/1} c{/2}", "[a *b*](<https://x.eu/r>) c"),
    # start lost: the link goes where its end is, with its source text; empty emphasis goes
    ("a b{/1} c {2}{/2}", "a b[the report](<https://x.eu/r>) c"),
    # empty link text: the source text
    ("{1} {/1}{2}x{/2}", "[the report](<https://x.eu/r>) *x*"),
    # unknown placeholders are engine noise; markdown specials stay text
    ("{7}<script>alert(1)</script> **{1}[x](y){/1}{2}_z_{/2}",
     "\\<script\\>alert(1)\\</script\\> \\*\\*[\\[x\\](y)](<https://x.eu/r>)*\\_z\\_*"),
    # nothing: the source
    ("  \n ", "Read [the report](<https://x.eu/r>) and *this* today."),
])
def test_repair(translation: str, expected: str) -> None:
    template = segment_markdown(LINKED)
    assert template.segments == ("Read {1}the report{/1} and {2}this{/2} today.",)
    rebuilt = template.fill([translation])
    assert rebuilt == expected + "\n"
    assert links(rebuilt) == Counter(["https://x.eu/r"])


def test_a_link_never_opens_inside_a_link() -> None:
    template = segment_markdown("[one](https://1.eu) and [two](https://2.eu) <https://3.eu>\n")
    rebuilt = template.fill(["{1}a {2}b {3/}{/2} c{/1}"])
    assert links(rebuilt) == Counter(["https://1.eu", "https://2.eu", "https://3.eu"])


def test_line_breaks_and_inline_html_survive_any_order() -> None:
    template = segment_markdown("Line one\\\nLine *two\\\nstill* two. Then <b>bold</b> and <div> here.\n")
    assert template.segments == ("Line one", "Line {1}two{2/}still{/1} two.",
                                 "Then {1/}bold{2/} and {3/} here.")
    rebuilt = template.fill(["Ligne un", "Ligne {1}deux{2/}encore{/1} deux.", "{3/} {2/}{1/} x"])
    assert html(rebuilt) == ("<p>Ligne un<br />\nLigne <em>deux<br />\nencore</em> deux. "
                             "<div> </b><b> x</p>\n")  # the <div> moved first is no HTML block
    assert structure(rebuilt) == ["paragraph_open", "inline", "paragraph_close"]


def test_garbage_keeps_blocks_and_escapes_everything() -> None:
    body = "# Title\n\n1. one\n2. two\n\n> quote\n\nLine\\\nbreak\n"
    template = segment_markdown(body)
    garbage = ["- # > 1. ```\n\n===\n<div>", "*", "[", "<script>", "]", "|x|"]
    rebuilt = template.fill(garbage[:len(template.segments)])
    assert structure(rebuilt) == structure(body)
    assert "<script>" not in html(rebuilt) and "<div>" not in html(rebuilt)
    assert " ".join(shown_text(rebuilt).split()) == "- # > 1. ``` === <div> * [ <script> ] |x|"


def test_fill_wants_one_translation_per_segment() -> None:
    with pytest.raises(ValueError, match="1 translations for 2 segments"):
        segment_plain("One. Two.").fill(["Un."])


# --------------------------------------------------------------------------- property

words = st.lists(st.sampled_from(["The", "city", "report", "Mr.", "e.g.", "9:30", "a.", "Go!", "why?",
                                  "and", "I", "x_y", "Q&A", "“quoted.”", "#tag", "@hand_le", "1."]),
                 min_size=1, max_size=5).map(" ".join)
link_urls = st.text(st.sampled_from("ab/_()&%ü #?=*.:-"), max_size=12).map(lambda s: "https://e.eu/" + s)
inline = st.lists(st.one_of(
    words,
    st.builds(lambda t, u: f"[{t}](<{u}>)", words, link_urls),
    words.map(lambda t: f"*{t}*"), words.map(lambda t: f"**{t}**"),
    st.sampled_from(["`code_x`", "`` a`b ``", "https://bare.eu/a_b", "mail_me@x.eu", "<https://au.to/x_y>"]),
    st.builds(lambda t, u: f"*{t} [{t}](<{u}>)*", words, link_urls),
), min_size=1, max_size=5).map(" ".join)


def blocks(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(inline, inline.map(lambda s: "## " + s), st.just("```\n*raw* [x](y)\n```"),
                     st.builds(lambda a, b: f"{a}\\\n{b}", inline, inline))
    if not depth:
        return leaf
    inner = blocks(depth - 1)
    return st.one_of(
        leaf,
        st.lists(inner, min_size=1, max_size=3).map(
            lambda items: "\n".join("- " + item.replace("\n", "\n  ") for item in items)),
        st.lists(inline, min_size=1, max_size=3).map(
            lambda items: "\n\n".join(f"{n}. {item}" for n, item in enumerate(items, 1))),
        inner.map(lambda block: "> " + block.replace("\n", "\n> ")),
    )


documents = st.lists(blocks(2), min_size=1, max_size=4).map(lambda bs: "\n\n".join(bs) + "\n")
garbage = st.lists(st.sampled_from([
    *"aZ é*_[]()<>`#-+=!\\{}/|&;:.\n19", "{1}", "{/1}", "{2/}", "{ 3 }", "{/3}", "{99}", "<script>", "](x)",
    "[y]", "***", "\n- ", "\n# ", "```", "<div>", "&amp;", "\n\n", "http://evil.eu",
]), max_size=30).map("".join)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.data())
def test_any_translation_keeps_links_blocks_and_protected_text(source: str, data: st.DataObject) -> None:
    template = segment_markdown(source)
    translations = []
    for segment in template.segments:
        tokens = re.findall(r"\{/?\d+/?\}", segment)
        shuffled = data.draw(st.permutations(tokens)) if tokens else []
        translations.append(data.draw(st.one_of(
            garbage, st.just(segment), st.just(" ".join(shuffled)),  # reordered, words lost
            st.lists(st.one_of(garbage, st.sampled_from(shuffled or [""]))).map(" ".join),  # and worse
        )))
    before, after = summary(source), summary(template.fill(translations))
    # protected text is never lost or changed; an emptied link may repeat its source text
    assert all(a >= b for a, b in zip(after.pop("protected"), before.pop("protected"), strict=True))
    assert after == before


def summary(markdown: str) -> dict[str, list]:
    """What no translation may change: blocks, links, code, raw HTML, protected text."""
    parsed = MD.parse(markdown)
    tokens = [child for token in parsed for child in token.children or []]
    text = " ".join(t.content for t in tokens if t.type == "text")
    return {
        "blocks": [t.type for t in parsed],
        "links": sorted(str(t.attrs["href"]) for t in tokens if t.type == "link_open"),
        "code": sorted(t.content for t in tokens if t.type == "code_inline"),
        "html": [t.content for t in parsed + tokens if t.type in HTML_TYPES],
        "fences": [t.content for t in parsed if t.type == "fence"],
        "protected": [text.count(p) for p in ("https://bare.eu/a_b", "mail_me@x.eu", "@hand_le", "#tag")],
    }
