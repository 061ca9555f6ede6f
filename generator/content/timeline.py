"""The build date and what it makes of courses: the day a site is built for ("today"), whether a course's
application deadline or its run is over on that day, and the check's warnings about dates gone by.

A course is as its file says until its application deadline has passed: it then takes no applications (its
status is `closed`, whatever the file says). Once its run is over (the day after its `end_date`, or after its
`start_date` when it has no end) it leaves the listings, search, feeds and open data, keeping its page.
A course file describes one run: new dates in it are the course's next run, which brings it back.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from typing import Iterable, Mapping

from generator.content.model import Course
from generator.diagnostics import WARNING, Diagnostic, UsageError

DEADLINE_PASSED = "deadline"  # Course.passed: applications are over, the run is not
ENDED = "ended"               # the run is over
STILL_TAKING = ("open", "upcoming")  # statuses that say applications are (or will be) taken


def build_date(given: dt.date | None = None, environ: Mapping[str, str] = os.environ) -> dt.date:
    """The day a build is made for: `given` (the --today option), else the day of SOURCE_DATE_EPOCH (the
    reproducible-builds convention, in UTC), else the system's date."""
    if given is not None:
        return given
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return dt.date.today()
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"SOURCE_DATE_EPOCH is '{epoch}', which is not a number of seconds since 1970-01-01: "
                         "set it to one (like 1780272000), or unset it to build for today") from None


def last_day(course: Course) -> dt.date | None:
    """The last day of the course's run: its end date, or its start date when it has no end."""
    return course.end_date or course.start_date


def passed(course: Course, today: dt.date) -> str:
    """What of the course is over on `today`: '' (nothing), DEADLINE_PASSED or ENDED. Archived courses are out
    of time: they are never listed."""
    if course.status == "archived":
        return ""
    last = last_day(course)
    if last is not None and last < today:
        return ENDED
    if course.application_deadline is not None and course.application_deadline < today:
        return DEADLINE_PASSED
    return ""


def on(course: Course, today: dt.date) -> Course:
    """The course as it stands on `today`: closed once its deadline or its run is over."""
    over = passed(course, today)
    if not over:
        return course
    status = "closed" if course.status in STILL_TAKING else course.status
    return dataclasses.replace(course, status=status, passed=over)


def turning_points(course: Course) -> tuple[dt.date, ...]:
    """The days on which what the course shows changes: the days after its deadline and after its run."""
    if course.status == "archived":
        return ()
    return tuple(day + dt.timedelta(days=1) for day in (course.application_deadline, last_day(course))
                 if day is not None)


def steady(courses: Iterable[Course], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The days on which every course stands as on `today`: from the first (None: from any day before) to the
    day before the second (None: for good)."""
    since: dt.date | None = None
    until: dt.date | None = None
    for course in courses:
        for day in turning_points(course):
            if day <= today:
                since = day if since is None or day > since else since
            elif until is None or day < until:
                until = day
    return since, until


def date_warnings(courses: Iterable[Course], today: dt.date) -> list[Diagnostic]:
    """A warning for each course whose file says it takes applications when its deadline or its run is over."""
    diags = []
    for course in courses:
        if course.status not in STILL_TAKING:
            continue
        over = passed(course, today)
        places = dict((name, (line, col)) for name, line, col in course.places)
        if over == ENDED:
            field = "end_date" if course.end_date else "start_date"
            line, col = places.get(field, (1, 1))
            diags.append(Diagnostic(
                course.source, line, col, WARNING, code="course-over",
                message=f"this course ended on {last_day(course).isoformat()}, but its status is "  # type: ignore[union-attr]
                        f"'{course.status}': it is left out of the listings and search",
                hint="for a new run, give its new start_date, end_date and application_deadline; if it is not "
                     "offered again, set status: archived"))
        elif over == DEADLINE_PASSED:
            line, col = places.get("application_deadline", (1, 1))
            diags.append(Diagnostic(
                course.source, line, col, WARNING, code="deadline-over",
                message=f"the application deadline {course.application_deadline.isoformat()} has passed, but the "  # type: ignore[union-attr]
                        f"status is '{course.status}': the course is shown as closed for applications",
                hint="if applications are still taken, give the new deadline; if not, set status: closed"))
    return diags
