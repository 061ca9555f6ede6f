"""A scratch site whose courses between them use every allowed value and every optional field, so that the
exports are tested on content unlike the sample's."""
from __future__ import annotations

from generator.content.schema import ADMISSIONS, AUDIENCES, MODES, STACKABILITY, STATUSES, SUPERVISION


def varied_courses() -> dict[str, str]:
    """Courses that between them use every allowed value of every enumerated field, and every optional field.

    Written beside make_site's own institution and course: 11 listed courses, two institutions.
    """
    languages = ["el", "no", "ga", "mt", "de", "fr", "lv", "et", "hr", "sq"]
    files = {"content/institutions/second-institute.yaml": "\n".join([
        "name: Institut Deuxième", "short_name: Institut Deuxième", "country: FR",
        "website: https://deux.example.fr/a/path?x=1",
        "description: 'Un institut, avec une description; et des \"guillemets\".'", ""])}
    for n in range(10):
        lines = [
            f'title: "Course {n}: Ünïcödé & <b>tags</b>, commas; semicolons"',
            "summary: 'A summary with \"quotes\" and </script> in it.'",
            f"credits: {1 + n * 6.5}",
            f"eqf_level: {1 + n % 8}",
            f"audience: [{AUDIENCES[n % 5].value}, {AUDIENCES[(n + 2) % 5].value}]",
            f'language: {languages[n] if n % 3 else f"[{languages[n]}, en, cs]"}'.replace("language: no", 'language: "no"'),
            f"mode: {MODES[n % 3].value}",
            f"admission: {ADMISSIONS[n % 5].value}",
            "learning_outcomes:", f"  - Outcome one of course {n}.", '  - "Outcome two: with a colon."',
            "assessment: An assessment.",
            "quality_assurance: Reviewed.",
            f"supervision: {SUPERVISION[n % 3].value}",
            f"status: {STATUSES[n % 3].value}",
            f"contact: person{n}@example.org",
            f"enrol_url: https://apply.example.org/course-{n}?lang=x&y=1",
            f"stackability: {STACKABILITY[n % 2].value}",
        ]
        lines += [f"workload_hours: {round((1 + n * 6.5) * 27)}"] if n % 2 else []
        lines += ["prerequisites: Some knowledge of R; a laptop."] if n % 3 == 0 else []
        lines += ["topics: [Imaging, Data, 'Ethics: basics']"] if n % 2 == 0 else []
        lines += [f'isced_f: "{["0511", "05", "091", "0688", "0000"][n % 5]}"'] if n % 4 != 3 else []
        lines += [["start_date: 2027-01-05", "end_date: 2027-02-28", "application_deadline: 2026-12-01"],
                  ["start_date: 2027-03-01"], ["start_date: 2027-03-01", "end_date: 2027-03-02"], []][n % 4]
        lines += [["fee: 0"], ["fee: 1234.5", "currency: HUF"], ["fee: 1000000", "currency: GBP"], []][n % 4]
        lines += ["stackable_towards: A master's degree"] if n % 2 else []
        lines += ["duration: 3 weekends, one per month"] if n % 2 else []
        lines += [f"europass: {str(n % 2 == 0).lower()}"] if n % 3 else []
        lines += ["updated: 2026-06-30"] if n % 2 else []
        institution = "second-institute" if n % 2 else "test-institute"
        files[f"content/courses/{institution}/course-{n}.md"] = "\n".join(
            ["---", *lines, "---", "", f"Body of course {n}.", ""])
    return files
