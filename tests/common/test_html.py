"""The escaping HTML builder's templates: a filled template is what tag() builds with the values in place, every value
escaped (in text and in attributes), Markup as it is; a fill names exactly the template's slots."""

from __future__ import annotations

import pytest

from common.html import Markup, Template, escape, slot, tag

HOSTILE = "<script>alert(\"x\")</script> & 'y'"


def _built(text: object, title: object) -> Markup:
    return tag("p", text, " — ", tag("b", text), title=title, class_="c")


def test_a_filled_template_is_what_tag_builds_with_the_values():
    template = Template(_built(slot("text"), slot("title")))
    for text, title in ((HOSTILE, HOSTILE), ("Salma", 'a"b'), (12, 3.5), ("", "")):
        assert template.fill(text=text, title=title) == _built(text, title)
    filled = template.fill(text=HOSTILE, title=HOSTILE)
    assert "<script>" not in filled
    assert f'title="{escape(HOSTILE)}"' in filled
    assert isinstance(filled, Markup)


def test_markup_fills_a_slot_as_it_is_and_nothing_leaks_between_fills():
    template = Template(tag("div", slot("body"), id=slot("id")))
    assert template.fill(body=Markup("<em>x</em>"), id="a") == '<div id="a"><em>x</em></div>'
    assert template.fill(body="<em>x</em>", id="b") == '<div id="b">&lt;em&gt;x&lt;/em&gt;</div>'


def test_a_fill_names_exactly_the_templates_slots():
    template = Template(tag("p", slot("one"), slot("two")))
    with pytest.raises(KeyError):
        template.fill(one="1")
    with pytest.raises(KeyError):
        template.fill(one="1", two="2", three="3")
    with pytest.raises(KeyError):
        template.fill(one="1", three="3")


def test_slot_names_and_stray_nul_characters_are_refused():
    with pytest.raises(ValueError, match="slot name"):
        slot("Bad-Name")
    with pytest.raises(ValueError, match="NUL"):
        Template(tag("p", "a\x00b", slot("x")))
