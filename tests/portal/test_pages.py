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


HOSTILE = "<script>alert(\"x\")</script> & 'y'"


def test_the_results_page_and_its_complaint_section_escape_every_value():
    from datetime import UTC, datetime

    from portal import complaint_pages

    viewer = pages.Viewer(display_name=HOSTILE, display_name_ar=HOSTILE, csrf_token=HOSTILE)
    window = complaint_pages.WindowView("open", datetime(2025, 7, 1, tzinfo=UTC), datetime(2025, 7, 3, tzinfo=UTC))
    complaint = complaint_pages.ComplaintView(
        id=1,
        subject=HOSTILE,
        exam="national",
        kind="wrong_sum",
        comment=HOSTILE,
        state="received",
        original_mark=HOSTILE,
        new_mark=None,
        reason=None,
    )
    section = complaint_pages.complaints_section(
        locale="fr",
        viewer=viewer,
        window=window,
        subjects=[(HOSTILE, HOSTILE)],
        complaints=[complaint],
        corrected="superseded",
        notice=HOSTILE,
    )
    marks = [pages.MarkView(subject=HOSTILE, component=HOSTILE, coefficient=HOSTILE, mark=HOSTILE)]
    result = pages.ResultView(decision="admitted", average=HOSTILE, mention=HOSTILE, marks=marks, catch_up=HOSTILE)
    page = pages.result_page(locale="fr", viewer=viewer, result=result, complaints=section)
    assert "<script>" not in page
    escaped = pages.escape(HOSTILE)
    assert page.count(escaped) >= 15, "name, token (three forms), average, mention, catch-up, four mark cells..."
    assert f'<option value="{escaped}">{escaped}</option>' in page
    assert f'name="csrf_token" value="{escaped}"' in page
    assert f'<th scope="row">{escaped}<span class="component">{escaped}</span></th>' in page
    assert "\x00" not in page
    other = pages.Viewer(display_name="Omar", display_name_ar="", csrf_token="token-2")
    plain = pages.ResultView(decision="admitted", average="12.00 / 20", mention=None, marks=[], catch_up=None)
    second = pages.result_page(locale="fr", viewer=other, result=plain)
    assert HOSTILE not in second
    assert escaped not in second, "nothing of one page is left in the next"
