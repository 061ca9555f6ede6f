"""Unit tests of single stages: reading files, checking values, Markdown, words, output, the CLI."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from generator.site import words
from generator.cli import main
from generator.content.files import SourceFile, read_course, read_yaml_file
from generator.diagnostics import Diagnostic, GithubReporter, JsonReporter, TextReporter, UsageError
from generator.content.markup import MarkdownRenderer, image_lines, new_markdown, sanitise, without_heading
from generator.engine.output import MARKER, check_destination, recover, write_site

from .conftest import COURSE


def source(tmp_path: Path, text: str | bytes, name: str = "c.md") -> SourceFile:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return SourceFile(path, name)


# --- content: splitting front matter, with places -------------------------------------------------

def test_values_keep_their_line_and_column_in_the_file(tmp_path):
    doc, diags = read_course(source(tmp_path, "---\ntitle: T\ncredits:   2\naudience:\n  - a\n  - b\n---\nBody\n"))
    assert diags == []
    assert (doc.values["title"].line, doc.values["title"].col) == (2, 8)
    assert (doc.values["credits"].line, doc.values["credits"].col, doc.values["credits"].key_col) == (3, 12, 1)
    assert doc.values["audience"].items == ((5, 5), (6, 5))
    assert doc.body == "Body\n" and doc.body_line == 8


def test_bom_and_crlf_are_accepted(tmp_path):
    doc, diags = read_course(source(tmp_path, "\ufeff---\r\ntitle: T\r\n---\r\nBody\r\n".encode("utf-8")))
    assert diags == [] and doc.values["title"].value == "T" and doc.body == "Body\n"


@pytest.mark.parametrize("text, line, col, words_", [
    ("---\ntitle: a: b\n---\n", 2, 9, "put the whole value in quotes"),
    ("---\ntitle: T\n\tcredits: 2\n---\n", 3, 1, "tab"),
    ("---\ntitle: \"T\ncredits: 2\n---\nx\n", 2, 8, "quote that is opened here is never closed"),
    ("title: T\n", 1, 1, "three dashes"),
    ("---\ntitle: T\n", 1, 1, "never closed"),
    ("---\ntitle: T\ntitle: U\n---\n", 3, 1, "given twice (first on line 2)"),
    ("---\n- a\n- b\n---\n", 2, 1, "`name: value`"),
    ("---\nstart_date: 2027-02-30\n---\n", 2, 13, "date does not exist"),
])
def test_broken_front_matter_is_a_diagnostic_at_its_place(tmp_path, text, line, col, words_):
    _, diags = read_course(source(tmp_path, text))
    assert len(diags) == 1
    assert (diags[0].line, diags[0].col) == (line, col), diags[0]
    assert words_ in diags[0].text()


def test_non_utf8_file_names_the_line_and_byte(tmp_path):
    doc, diags = read_course(source(tmp_path, "---\ntitle: Caf\u00e9\n---\n".encode("latin-1")))
    assert doc is None and (diags[0].line, diags[0].col) == (2, 11) and "0xE9" in diags[0].message


def test_yaml_alias_bomb_is_refused_quickly(tmp_path):
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)) + "---\nbody\n"
    doc, diags = read_course(source(tmp_path, bomb))
    assert doc is None and "aliases" in diags[0].message


def test_deep_nesting_and_huge_files_are_refused(tmp_path):
    _, diags = read_course(source(tmp_path, "---\ntitle: " + "[" * 40 + "]" * 40 + "\n---\nx\n"))
    assert "nested too deeply" in diags[0].message
    _, diags = read_course(source(tmp_path, "---\ntitle: T\n---\n" + "x" * (1024 * 1024 + 1)))
    assert "too large" in diags[0].message


def test_empty_yaml_file_is_an_empty_mapping(tmp_path):
    doc, diags = read_yaml_file(source(tmp_path, "# nothing\n", "i.yaml"))
    assert doc.values == {} and diags == []


# --- markup ----------------------------------------------------------------------------------------

def test_markdown_keeps_formatting_tables_and_links():
    html = MarkdownRenderer().render("# Top\n\n**b** *i* `c`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                                     "[x](https://example.org) [m](mailto:a@example.org)\n\n> q\n\n1. one\n")
    for part in ["<h3>Top</h3>", "<strong>b</strong>", "<em>i</em>", "<code>c</code>", "<table>", "<td>1</td>",
                 '<a href="https://example.org" rel="noopener noreferrer">x</a>', "mailto:a@example.org",
                 "<blockquote>", "<ol>"]:
        assert part in html, part


_MARKDOWN_PIECES = ["a", "word", " ", "  ", "\n", "\n\n", "\r\n", "\t", "*", "**", "_", "__", "`", "``", "\\", "[", "]",
                    "(", ")", "!", "![", "<", ">", "&", "&amp;", "&#169;", "<b>", "</b>", "<!-- c -->",
                    "https://x.example", "<https://x.example>", "<a@b.example>", "a@b.example", "  \n", " \t\n",
                    "# ", "### ", "- ", "1. ", "> ", "    ", "| a | b |\n|---|---|\n| 1 | 2 |\n", "\n:   ",
                    "\n*[HTML]: Hyper Text\n", "HTML", "```\n", "~~~\n", "[x]: https://r.example\n", "[x]", "[x][]",
                    "é", "ř", "[x](https://x.example)", "![x](https://x.example)", "![x][]", "`code`", "*em*",
                    "**strong**", "_em_"]


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_MARKDOWN_PIECES), max_size=40).map("".join))
def test_markdown_without_unneeded_inline_patterns_gives_the_same_html(text):
    # the renderer leaves out the inline patterns a document cannot use: the HTML must be Python-Markdown's own
    assert MarkdownRenderer().render(text) == sanitise(new_markdown().convert(text))


def test_markdown_renderer_reuses_one_markdown_per_set_of_patterns():
    renderer = MarkdownRenderer()
    for text in ["plain words", "other plain words", "a [link](https://x.example)", "**bold** and <b>tag</b>"]:
        renderer.render(text)
    assert len(renderer._md) == 3


@pytest.mark.parametrize("attack", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))", '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<iframe src=//evil.example></iframe>", "<style>body{}</style>", '<p style="x" onmouseover="alert(1)">p</p>',
    "<svg onload=alert(1)>", "<object data=x></object>", "<form><button formaction=javascript:alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", '<a href="  jav&#x09;ascript:alert(1)">x</a>',
])
def test_sanitiser_removes_every_way_to_run_script(attack):
    html = MarkdownRenderer().render(attack).lower()
    for bad in ("<script", "javascript:", "onerror", "onload", "onmouseover", "<iframe", "<style", "<svg",
                "<object", "<form", "style=", "data:text"):
        assert bad not in html, (attack, html)


def test_sanitiser_adds_rel_to_links():
    assert sanitise('<a href="https://x.example">x</a>') == \
        '<a href="https://x.example" rel="noopener noreferrer">x</a>'


def test_images_are_found_outside_code_only():
    # pictures written in HTML (Markdown's are fine), each with whether it is on another site
    assert image_lines("text\n![a](b.png)\n```\n<img src=no>\n```\n<img src=y>\n<IMG SRC='https://x.org/a.png'>\n"
                       "    <img src=code>\n") == [(5, False), (6, True)]


# --- words -------------------------------------------------------------------------------------------

def test_words():
    assert words.number(2.0) == "2" and words.number(2.5) == "2.5" and words.number(12000) == "12,000"
    assert words.level(7) == "EQF level 7 (master's level)"
    assert words.label("on-site", "mode") == "On site"
    assert words.languages(("cs", "en")) == "Czech, English"
    assert words.country("CZ") == "Czechia" and words.isced("0511") == "Biology"
    assert words.date(dt.date(2027, 3, 5)) == "5 March 2027"
    assert words.date_range(dt.date(2027, 3, 30), dt.date(2027, 4, 2)) == "30 March – 2 April 2027"
    assert words.date_range(dt.date(2026, 12, 30), dt.date(2027, 1, 2)) == "30 December 2026 – 2 January 2027"


# --- diagnostics ---------------------------------------------------------------------------------------

def test_reporters(capsys):
    ds = [Diagnostic("b.md", 3, 1, "warning", "w"), Diagnostic("a.md", 2, 5, "error", "e, with: 50%", "h", "code")]
    TextReporter().report(ds)
    assert capsys.readouterr().err == "a.md:2:5: error: e, with: 50% (h)\nb.md:3:1: warning: w\n1 error, 1 warning\n"
    GithubReporter().report(ds)
    assert capsys.readouterr().out.splitlines() == [
        "::error file=a.md,line=2,col=5,title=code::e, with: 50%25 (h)",
        "::warning file=b.md,line=3,col=1,title=catalogue check::w"]
    JsonReporter().report(ds)
    assert [d["path"] for d in json.loads(capsys.readouterr().out)] == ["a.md", "b.md"]


# --- output --------------------------------------------------------------------------------------------

def test_write_site_replaces_the_old_output_whole(tmp_path):
    out = tmp_path / "out"
    write_site(out, {"a/index.html": b"1", "b.txt": b"2"})
    write_site(out, {"a/index.html": b"3"})
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [MARKER, "a/index.html"]
    assert (out / "a/index.html").read_bytes() == b"3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_write_site_refuses_paths_outside_the_output(tmp_path):
    with pytest.raises(ValueError):
        write_site(tmp_path / "out", {"../evil": b"x"})
    assert not (tmp_path / "evil").exists() and not (tmp_path / "out").exists()


def test_an_interrupted_swap_is_undone(tmp_path):
    out = tmp_path / "out"
    write_site(out, {"index.html": b"old"})
    out.rename(tmp_path / ".out.old-123")           # killed between the two renames of a swap
    (tmp_path / ".out.new-abc").mkdir()              # and a half-written new build
    recover(out)
    assert (out / "index.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_output_never_replaces_a_foreign_folder(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/keep.txt").write_text("precious")
    with pytest.raises(UsageError):
        check_destination(tmp_path / "docs", tmp_path / "site")
    with pytest.raises(UsageError):
        check_destination(tmp_path, tmp_path)


# --- cli -------------------------------------------------------------------------------------------------

def test_cli_exit_codes(make_site, tmp_path, chdir_to, capsys):
    site = make_site()
    chdir_to(site)
    assert main(["check"]) == 0
    assert "No problems found." in capsys.readouterr().err
    assert main(["build", "-q"]) == 0 and (site / "output/index.html").is_file()
    assert main(["build", "-q"]) == 0  # rebuilding over its own output is fine
    (site / "content/courses/test-institute/test-course.md").write_text(COURSE.replace("enrol_url: https://test.example.org/apply\n", ""))
    assert main(["check"]) == 0
    assert main(["check", "--strict"]) == 1
    assert main(["build", "--strict", "-q"]) == 1
    (site / "content/courses/test-institute/test-course.md").write_text(COURSE.replace("mode: online", "mode: onsite"))
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "content/courses/test-institute/test-course.md:8:7: error: 'mode' cannot be 'onsite' (did you mean 'on-site'?" in err
    assert main(["build"]) == 1
    assert "nothing was written" in capsys.readouterr().err
    assert main(["check", "--source", str(tmp_path / "nowhere")]) == 2
    assert main(["build", "--base-url", "ftp://x"]) == 2
    with pytest.raises(SystemExit) as exit_:
        main(["frobnicate"])
    assert exit_.value.code == 2


def test_check_can_be_limited_to_files(make_site, chdir_to, capsys):
    site = make_site({"content/courses/test-institute/other.md": COURSE.replace("credits: 2", "credits: 99")})
    chdir_to(site)
    assert main(["check", "content/courses/test-institute/test-course.md"]) == 0
    assert main(["check", "content/courses/test-institute/other.md"]) == 1
    assert "'credits' is 99" in capsys.readouterr().err


def test_python_dash_m_runs_the_cli(make_site):
    import subprocess
    import sys
    site = make_site()
    done = subprocess.run([sys.executable, "-m", "generator", "check", "--source", str(site)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "No problems found." in done.stderr


@pytest.mark.parametrize("address, ok", [("a@b.org", True), ("first.last+tag@uni.example.eu", True),
                                          ("x?cc=victim@evil.example.org", False), ("a&b@x.org", False),
                                          ("a%0Ab@x.org", False), ("a/b@x.org", False), ("a@b", False)])
def test_contact_addresses_cannot_smuggle_mailto_parameters(make_site, chdir_to, address, ok):
    from generator.engine.build import check
    site = make_site({"content/courses/test-institute/test-course.md":
                      COURSE.replace("enrol_url:", f"contact: \"{address}\"\nenrol_url:")})
    chdir_to(site)
    problems = [d for d in check(site) if d.is_error]
    assert (problems == []) == ok, problems


def test_a_file_given_in_pieces_is_written_and_recognised_as_its_whole_bytes(tmp_path):
    from generator.engine.output import Sink, content_hash

    pieces = [b'{"@graph":[\n', b'{"a":1}', b",\n", b'{"b":2}', b"\n]}\n"]
    whole = b"".join(pieces)
    assert content_hash(pieces) == content_hash(whole)
    old, staging = tmp_path / "old", tmp_path / "staging"
    digest, linked = Sink(str(old), str(tmp_path / "none")).put("data/elm.jsonld", pieces)
    assert (old / "data/elm.jsonld").read_bytes() == whole and not linked and digest == content_hash(whole)
    stat = (old / "data/elm.jsonld").stat()
    # the next build: the same pieces are linked from the last output, other pieces written anew
    sink = Sink(str(staging), str(old), {"data/elm.jsonld": digest}, {"data/elm.jsonld": [stat.st_size, stat.st_mtime_ns]})
    assert sink.put("data/elm.jsonld", list(pieces)) == (digest, True)
    assert (staging / "data/elm.jsonld").stat().st_ino == stat.st_ino
    changed = pieces[:3] + [b'{"b":3}'] + pieces[4:]
    assert sink.put("data/elm.jsonld", changed) == (content_hash(b"".join(changed)), False)
    assert (staging / "data/elm.jsonld").read_bytes() == b"".join(changed)
    assert (old / "data/elm.jsonld").read_bytes() == whole  # (written anew, not through the link)


@pytest.mark.parametrize("body, kept", [
    ("<h3>About the course</h3>\n<p>Text.</p>", "<p>Text.</p>"),
    ("\n<h2>about  THE course:</h2>\n<p>Text.</p>", "<p>Text.</p>"),
    ('<h3 lang="en"><strong>About</strong> the&#32;course</h3><p>Text.</p>', "<p>Text.</p>"),
    ("<h3>About the course and its lecturers</h3><p>Text.</p>", None),
    ("<p>About the course</p><h3>About the course</h3>", None),
    ("<p>Text.</p>", None),
    ("", None),
])
def test_a_description_does_not_repeat_the_heading_above_it(body, kept):
    assert without_heading(body, "About the course") == (body if kept is None else kept)


@pytest.mark.parametrize("stackability, hint", [
    ("", "add 'stackability: stackable'"),
    ("stackability: stand-alone\n", "change 'stackability' to stackable, or remove 'stackable_towards'"),
    ("stackability: stackable\n", None),
])
def test_stackable_towards_needs_a_stackable_course(make_site, stackability, hint):
    from generator.engine.build import check
    site = make_site({"content/courses/test-institute/test-course.md": COURSE.replace(
        "enrol_url:", f"{stackability}stackable_towards: A certificate\nenrol_url:")})
    found = [d for d in check(site) if d.code == "stackability"]
    assert [d.hint for d in found] == ([hint] if hint else [])


@pytest.mark.parametrize("href, target", [
    ("other.md", "inst/other"), ("./other.md#x", "inst/other"), ("../uni/c.md", "uni/c"), ("../inst/c.md?a=1", "inst/c"),
    ("content/courses/uni/c.md", "uni/c"), ("/content/courses/uni/c.md", "uni/c"), ("other%20x.md", "inst/other x"),
    ("../../c.md", ""), ("/c.md", ""), ("../uni/sub/c.md", ""), (".md", ""), ("../.md", ""),
    ("other.html", None), ("/facility", None), ("docs/", None),
])
def test_a_link_to_a_course_file_names_its_course(href, target):
    from generator.content.description import course_file as _course_file
    assert _course_file(href, "inst") == target


def test_link_addresses_are_rewritten_escaped_and_others_kept():
    from generator.content.markup import rewrite_links
    body = '<p><a href="a.md?x=1&amp;y=2">one</a> <a title="t" href="https://x.org/?a&amp;b">two</a> <a>three</a></p>'
    seen = []
    out = rewrite_links(body, lambda href: seen.append(href) or ('../../i/a/"<&' if href.endswith("y=2") else None))
    assert seen == ["a.md?x=1&y=2", "https://x.org/?a&b"]
    assert out == ('<p><a href="../../i/a/&quot;&lt;&amp;">one</a> <a title="t" href="https://x.org/?a&amp;b">two</a> '
                   '<a>three</a></p>')


@pytest.mark.parametrize("text, html", [
    ("Participants learn:\n- one\n- two", "<p>Participants learn:</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ("Steps:\n1. first\n2. second", "<p>Steps:</p>\n<ol>\n<li>first</li>\n<li>second</li>\n</ol>"),
    ("In the year\n1986. it began", "<p>In the year\n1986. it began</p>"),  # only a list starting at 1 breaks text
    ("- a\nlazy\n- b", "<ul>\n<li>a\nlazy</li>\n<li>b</li>\n</ul>"),  # a line under an item is still part of it
    ("```\nText\n- in code\n```", "<pre><code>Text\n- in code\n</code></pre>"),
    ("# Title\n- item", "<h3>Title</h3>\n<ul>\n<li>item</li>\n</ul>"),
])
def test_a_list_may_start_right_under_a_line_of_text_as_on_github(text, html):
    assert MarkdownRenderer().render(text) == html


def test_a_reader_that_goes_away_gets_no_traceback(make_site):
    import os
    import subprocess
    import sys
    site = make_site()
    read, write = os.pipe()
    os.close(read)  # like `catalogue check --format json | head` once head has had enough
    try:
        done = subprocess.run([sys.executable, "-m", "generator", "check", "--format", "json", "--source", str(site)],
                              stdout=write, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    finally:
        os.close(write)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr


def test_links_left_as_text_are_found_outside_code():
    from generator.content.markup import links_shown_as_text
    html = MarkdownRenderer().render("See [the guide][g], [it][] and [x] (https://x.org).\n\n`[a][b]` and [ok][r]\n\n"
                                     "    [c][d]\n\n[r]: https://r.org")
    assert links_shown_as_text(html) == [("[the guide][g]", "g"), ("[it][]", "it"), ("[x] (https://x.org)", None)]


A = '<a href="{0}" rel="noopener noreferrer">{0}</a>'


@pytest.mark.parametrize("text, html", [
    ("See https://example.org/x.", f"<p>See {A.format('https://example.org/x')}.</p>"),
    ("(see https://example.org/a_(b))", f"<p>(see {A.format('https://example.org/a_(b)')})</p>"),
    ("https://x.org/a_b_c, then", f"<p>{A.format('https://x.org/a_b_c')}, then</p>"),
    ("https://x.org/?a=1&b=2!", f"<p>{A.format('https://x.org/?a=1&amp;b=2')}!</p>"),
    ("[https://x.org](https://x.org) and <https://y.org>", f"<p>{A.format('https://x.org')} and {A.format('https://y.org')}</p>"),
    ('<a href="https://r.org">See https://r.org</a> https://s.org',
     f'<p><a href="https://r.org" rel="noopener noreferrer">See https://r.org</a> {A.format("https://s.org")}</p>'),
    ("`https://x.org` and http:// alone", "<p><code>https://x.org</code> and http:// alone</p>"),
])
def test_a_web_address_written_out_is_a_link_as_on_github(text, html):
    assert MarkdownRenderer().render(text) == html


def test_the_language_names_kept_in_the_package_are_pycountrys():
    """data/iso639-1.json (read instead of pycountry's whole ISO 639-3 table) holds exactly pycountry's ISO 639-1
    codes and names: a newer pycountry that changes them fails here (write the file again from it)."""
    import pycountry
    from generator.content import schema
    assert schema._language_names() == {lang.alpha_2: lang.name for lang in pycountry.languages
                                        if hasattr(lang, "alpha_2")}
    assert schema.language_name("cs") == "Czech" and schema.language_name("CS") == "Czech"
    assert schema.language_name("xx") is None and schema.language_name("ces") is None
