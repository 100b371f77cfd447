"""The portal's own read of a published result (with the complaint window and the candidate's complaints) answers
exactly what the exam year's reads do, and the announcement instant is read again once its short keeping time has
passed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.service.clock import FixedClock
from exams.complaints import complaints_of, file_complaint, set_window, window_of
from exams.deliberation import deliberate_session
from exams.marks import import_marks, write_generated_marks
from exams.results import publish, result_of
from exams.subjects import NATIONAL, REGIONAL
from portal.announcement import REFRESH_SECONDS, Announcement
from portal.results import published_read, published_result
from tests.portal.conftest import NOW, SESSION, ExamYear, make_exam_year


@pytest.fixture(params=["sqlite", "postgresql"])
def year(request, tmp_path) -> ExamYear:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    made = make_exam_year(tmp_path, url, count=40)
    yield made
    made.engine.dispose()


def test_the_portals_read_is_the_exam_years_before_and_after_each_instant(tmp_path, year):
    catch_up = tmp_path / "catch-up.csv"
    assert write_generated_marks(year.engine, session=SESSION, seed=9, out=catch_up, catch_up=True) > 0
    import_marks(year.engine, path=catch_up, session=SESSION, actor="test", now=NOW)
    deliberate_session(
        year.engine, settings=year.settings, session=SESSION, actor="test", clock=lambda: NOW, catch_up=True
    )
    normal, second = NOW + timedelta(days=12), NOW + timedelta(days=40)
    publish(year.engine, session=SESSION, at=normal, actor="test", now=NOW)
    publish(year.engine, session=SESSION, at=second, actor="test", now=NOW, catch_up=True)
    moments = [normal - timedelta(microseconds=1), normal, second - timedelta(microseconds=1), second]
    seen_catch_up = False
    for row in year.rows:
        for moment in moments:
            mine = published_result(year.engine, session=SESSION, cnie=row["cnie"], now=moment)
            assert mine == result_of(year.engine, session=SESSION, cnie=row["cnie"], now=moment)
            seen_catch_up = seen_catch_up or (mine is not None and mine.catch_up is not None)
    assert seen_catch_up, "the cohort has catch-up outcomes to compare"
    assert published_result(year.engine, session=SESSION, cnie="ZZ999999", now=second) is None
    assert published_result(year.engine, session="2024-normale", cnie=year.rows[0]["cnie"], now=second) is None


def test_the_portals_read_carries_the_exam_years_complaint_window_and_complaints(year):
    normal = NOW + timedelta(days=12)
    publish(year.engine, session=SESSION, at=normal, actor="test", now=NOW)
    first, second = year.rows[0]["cnie"], year.rows[1]["cnie"]
    before = published_read(year.engine, session=SESSION, cnie=first, now=normal)
    assert before is not None
    assert before.complaints == ()
    own = [mark.code for mark in before.result.marks if mark.exam in (REGIONAL, NATIONAL)]
    for subject in own[:2]:
        file_complaint(
            year.engine, session=SESSION, cnie=first, subject=subject, kind="wrong_sum", comment="sum", now=normal
        )
    for cnie in (first, second):
        read = published_read(year.engine, session=SESSION, cnie=cnie, now=normal)
        assert read is not None
        assert read.window == window_of(year.engine, session=SESSION)
        assert list(read.complaints) == complaints_of(year.engine, session=SESSION, cnie=cnie)
    assert len(published_read(year.engine, session=SESSION, cnie=first, now=normal).complaints) == 2
    assert not published_read(year.engine, session=SESSION, cnie=first, now=normal).window.explicit
    set_window(
        year.engine, session=SESSION, open_at=normal, close_at=normal + timedelta(days=1), actor="test", now=normal
    )
    explicit = published_read(year.engine, session=SESSION, cnie=first, now=normal)
    assert explicit.window == window_of(year.engine, session=SESSION)
    assert explicit.window.explicit
    assert published_read(year.engine, session=SESSION, cnie=first, now=normal - timedelta(microseconds=1)) is None


def test_the_announcement_instant_is_kept_briefly_then_read_again(year):
    clock = FixedClock(NOW)
    announcement = Announcement(year.engine, session=SESSION, clock=clock)
    assert announcement.instant() is None
    first = NOW + timedelta(days=12)
    publish(year.engine, session=SESSION, at=first, actor="test", now=NOW)
    assert announcement.instant() is None, "kept"
    clock.advance(seconds=REFRESH_SECONDS)
    assert announcement.instant() == first
    moved = first + timedelta(hours=1)
    publish(year.engine, session=SESSION, at=moved, actor="test", now=NOW)
    clock.advance(seconds=REFRESH_SECONDS / 2)
    assert announcement.instant() == first
    clock.advance(seconds=REFRESH_SECONDS)
    assert announcement.instant() == moved
