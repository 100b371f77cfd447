"""The page layout's account block, whose frame is built once per language, path and staff menu: each page carries
its own viewer's name and CSRF token, escaped, and never another's."""

from __future__ import annotations

from portal import pages


def _page(viewer: pages.Viewer, locale: str = "fr", path: str = "/results") -> str:
    return pages.layout(locale=locale, title="T", body=pages.Markup("<p>body</p>"), path=path, viewer=viewer)


def test_each_page_carries_its_own_viewers_name_and_token_escaped():
    first = pages.Viewer(display_name="Salma <b>&", display_name_ar="سلمى", csrf_token="token-1", is_staff=False)
    second = pages.Viewer(display_name="Omar", display_name_ar="", csrf_token='token"2<', is_staff=True)
    one, two, again = _page(first), _page(second), _page(first)
    assert one == again
    assert "<bdi>Salma &lt;b&gt;&amp;</bdi>" in one
    assert 'name="csrf_token" value="token-1"' in one
    assert "Omar" not in one
    assert 'href="/staff?lang=fr"' not in one, "the staff menu is for staff only"
    assert "<bdi>Omar</bdi>" in two
    assert 'name="csrf_token" value="token&quot;2&lt;"' in two
    assert "token-1" not in two
    assert 'href="/staff?lang=fr"' in two
    assert '<a href="/results?lang=fr" aria-current="page">' in one
    assert "<bdi>سلمى</bdi>" in _page(first, locale="ar")
    assert "\x00" not in one + two
