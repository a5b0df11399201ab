"""The chat page's pieces that need no browser: quoted passages, the visitor's language."""

from types import SimpleNamespace

import pytest

from plaibot.answering import Answer, Source
from plaibot.web import format_answer, quoted_passages, visitor_language


def answer(*snippets: str) -> Answer:
    sources = [Source(n, f"Title {n}", f"https://example.org/{n}", "2022-12-16", snippet, 0.5)
               for n, snippet in enumerate(snippets, 1)]
    return Answer("Dibuka 16 Desember 2022. [1]", sources, "id", True)


def test_passages_are_escaped_numbered_and_on_one_line():
    text = quoted_passages(answer("Dibuka <img src=x onerror=alert(1)> pada\n\n16 Desember.", ""))
    assert text == ("<details><summary>Kutipan dari sumber</summary><blockquote><strong>[1]"
                    "</strong> Dibuka &lt;img src=x onerror=alert(1)&gt; pada 16 Desember."
                    "</blockquote></details>")
    assert "\n" not in quoted_passages(answer("a\n\nb"))  # a blank line would end the HTML


def test_passages_follow_the_source_list_and_are_absent_without_snippets():
    shown = format_answer(answer("Dibuka pada 16 Desember 2022."))
    assert shown.index("**Sumber:**") < shown.index("<details>")
    assert "\n\n<details>" in shown  # a paragraph of its own, not part of the last list item
    bare = format_answer(answer(""))
    assert "<details>" not in bare and bare.endswith(")")


@pytest.mark.parametrize(("header", "language"), [
    ("id-ID,id;q=0.9,en;q=0.8", "id"), ("en-GB,en;q=0.9", "en"), ("fr-FR,id;q=0.5", "id"),
    ("fr-FR", "en"), ("", "en")])
def test_visitor_language_is_the_first_of_id_and_en_the_browser_asks_for(header, language):
    request = SimpleNamespace(headers={"accept-language": header} if header else {})
    assert visitor_language(request) == language
