"""`EntityIndex`: entities found by any of their names, and the summaries that say what they are."""

import json

from langchain_core.documents import Document

from plaibot.entities import EntityIndex

ENTITIES = json.dumps([["Impala Network", "Impala"], ["Impala Space", "ImpalaSpace"],
                       ["Gatot Hendraputra", "Gatot"], ["Content to The Next Level"]])


def chunk(text: str, summary: bool, about: str = "Impala Network") -> Document:
    return Document(text, id=text[:20], metadata={
        "entities": ENTITIES, "about": about, "summary": summary, "language": "en"})


def test_an_entity_without_a_document_borrows_the_summary_whose_first_sentence_names_it():
    summary = chunk("Impala Network is a Semarang group that runs Impala Space, a coworking "
                    "space. Gatot Hendraputra was one of its founders.", summary=True)
    banyumas = chunk("Hetero Space Banyumas is at Jl. Gatot Subroto No. 75.", summary=True,
                     about="Hetero Space Banyumas")
    index = EntityIndex([summary, banyumas, chunk("Content to The Next Level is ...", False)])
    assert index.summaries["Impala Space"] == [summary]
    assert "Gatot Hendraputra" not in index.summaries  # named after the first sentence only,
    # and "Gatot" of "Jl. Gatot Subroto" is another name
    assert "Content to The Next Level" not in index.summaries  # named in no summary at all
    assert index.bare_name("impala space?") == "Impala Space"
    assert index.bare_name("content to the next level?") is None


def test_a_summary_naming_someone_in_passing_is_not_about_them():
    policy = chunk("The AI policy of the ministry rests on Gatot Hendraputra's view that AI "
                   "must assist creators.", summary=True, about="AI policy")
    index = EntityIndex([policy])
    assert "Gatot Hendraputra" not in index.summaries
    opening = chunk("Gatot Hendraputra, a founder of Impala Space, studied in Semarang.",
                    summary=True, about="Founders")
    assert EntityIndex([opening]).summaries["Gatot Hendraputra"] == [opening]


def test_an_overview_of_the_history_of_something_is_its_summary():
    summary = chunk("Impala Network is a Semarang group that runs Impala Space.", summary=True)
    index = EntityIndex([summary])
    assert index.subject("sejarah impala network dari awal", ["Impala Network"]) == (
        "Impala Network")
    assert index.subject("alamat impala network", ["Impala Network"]) is None


def test_a_place_said_beside_a_name_reads_as_the_site_of_that_place():
    sites = json.dumps([["Hetero Space", "Hetero"], ["Hetero Space Solo", "Hetero Solo"],
                        ["Hetero Space Banyumas", "Hetero Space Purwokerto"]])
    index = EntityIndex([Document("Hetero Space has three sites.", metadata={
        "entities": sites, "about": "Hetero Space", "summary": True, "language": "en"})])
    assert index.rewrite("hetero space yg di solo kapan buka")[1] == ["Hetero Space Solo"]
    assert index.rewrite("give me an overview of the purwokerto hetero space")[1] == [
        "Hetero Space Banyumas"]
    assert index.rewrite("hetero space di jakarta ada ga")[1] == ["Hetero Space"]  # no such site
