"""The records the build passes between stages: plain, frozen data."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Institution:
    """A partner institution, from content/institutions/<id>.yaml."""

    id: str
    name: str
    country: str
    website: str
    short_name: str | None
    description: str | None
    logo: str | None  # file name beside the institution file
    source: str
    digest: str = ""  # hash of the file and its logo: pages showing the institution change when it changes

    @property
    def url(self) -> str:
        return f"institutions/{self.id}/"

    @property
    def label(self) -> str:
        return self.short_name or self.name


@dataclass(frozen=True)
class Picture:
    """A picture file beside a course file, checked by decoding it: what the site makes its sizes from."""

    name: str       # its file name, as the course names it
    folder: str     # the institution's folder it is in (content/courses/<folder>/)
    digest: str     # of its bytes and of the way pictures are made: part of the names of the files made from it
    width: int      # in pixels, turned upright as its EXIF orientation says
    height: int
    alpha: bool = False  # it has see-through parts: its fallback is a PNG, not a JPEG


@dataclass(frozen=True)
class Document:
    """A PDF beside a course file, linked from its description: copied beside the course's page."""

    name: str       # its file name, as the description links it
    folder: str
    published: str  # its file name in the site, beside the course's page
    digest: str
    size: int       # in bytes


@dataclass(frozen=True)
class MediaRef:
    """A course file naming a file beside it (a picture or a document), with the place it does so: the file is
    checked once every course is read, so that a course's parse result never depends on other files."""

    kind: str       # "image" (the field), "picture" (in a description) or "document" (a link in one)
    name: str       # the file name as written
    source: str     # the file that names it, as shown in messages
    line: int
    col: int
    published: str = ""  # a document's name in the site
    written: str = ""    # a link's address as written, when it is not the name


@dataclass(frozen=True)
class Translation:
    """A course's texts in another language, from content/courses/<institution>/<slug>.<language>.md; what it
    leaves out (its outcomes, its description) is shown from the course file."""

    language: str
    source: str
    title: str
    summary: str
    learning_outcomes: tuple[str, ...] | None = None
    body_html: str | None = None
    image_alt: str | None = None
    # links to other courses' files (course id, address, line, column), for checks across courses
    course_links: tuple[tuple[str, str, int, int], ...] = field(default=(), compare=False)
    media_refs: tuple[MediaRef, ...] = field(default=(), compare=False)  # the files beside it it names


@dataclass(frozen=True)
class CourseText:
    """The texts a page in one interface language shows of a course, each with the language it is written in."""

    title: str
    summary: str
    lang: str  # of the title and the summary
    learning_outcomes: tuple[str, ...]
    outcomes_lang: str
    body_html: str
    body_lang: str
    image_alt: str | None = None  # the description of the course's picture
    image_alt_lang: str = ""


@dataclass(frozen=True)
class Course:
    """A micro-credential, from content/courses/<institution>/<slug>.md, validated and rendered."""

    id: str
    institution_id: str
    slug: str
    source: str
    title: str
    summary: str
    credits: float
    eqf_level: int
    audience: tuple[str, ...]
    language: tuple[str, ...]
    mode: str
    admission: str
    learning_outcomes: tuple[str, ...]
    assessment: str
    quality_assurance: str
    body_html: str
    workload_hours: int | None = None
    prerequisites: str | None = None
    topics: tuple[str, ...] = ()
    isced_f: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    application_deadline: dt.date | None = None
    duration: str | None = None
    fee: float | None = None
    currency: str = "EUR"
    enrol_url: str | None = None
    contact: str | None = None
    supervision: str | None = None
    stackability: str | None = None
    stackable_towards: str | None = None
    europass: bool | None = None
    status: str = "open"
    updated: dt.date | None = None
    image: str | None = None       # the file name of its picture, beside the course file
    image_alt: str | None = None
    translations: tuple[Translation, ...] = ()  # in the order of their language codes
    pictures: tuple[Picture, ...] = ()     # every picture its pages show: its image, those of its descriptions
    documents: tuple[Document, ...] = ()   # the PDFs its descriptions link
    # hash of the source file, its translations and the files beside it that it names: the course's own pages
    # change only with them
    digest: str = ""
    # what of it is over on the build date (content/timeline.py): "", "deadline" or "ended"; with `digest`, what
    # its own pages are made from
    passed: str = ""
    title_line: int = field(default=0, compare=False)  # where the title is, for checks across courses
    # where its dates are in its file (field, line, column), for the checks of dates on the build date
    places: tuple[tuple[str, int, int], ...] = field(default=(), compare=False)
    # links to other courses' files (course id, address, line, column), for checks across courses
    course_links: tuple[tuple[str, str, int, int], ...] = field(default=(), compare=False)
    media_refs: tuple[MediaRef, ...] = field(default=(), compare=False)  # the files beside it it names

    @functools.cached_property
    def url(self) -> str:
        return f"courses/{self.institution_id}/{self.slug}/"

    @property
    def listed(self) -> bool:
        """Archived courses, and those whose run is over, keep their page but are left out of listings, feeds
        and search."""
        return self.status != "archived" and self.passed != "ended"

    @property
    def ended(self) -> bool:
        """True once the run is over (on the build date)."""
        return self.passed == "ended"

    @property
    def body_lang(self) -> str:
        return self.language[0]

    @property
    def picture(self) -> Picture | None:
        """The picture its `image` names (cards, its page's top and link previews show it)."""
        return next((p for p in self.pictures if p.name == self.image), None) if self.image else None

    def text(self, language: str) -> CourseText:
        """What a page in `language` shows of the course's texts: its translation into it, where there is one."""
        own = self.body_lang
        done = next((t for t in self.translations if t.language == language), None)
        if done is None:
            return CourseText(self.title, self.summary, own, self.learning_outcomes, own, self.body_html, own,
                              self.image_alt, own)
        outcomes, body, alt = done.learning_outcomes, done.body_html, done.image_alt
        return CourseText(done.title, done.summary, language,
                          outcomes or self.learning_outcomes, language if outcomes else own,
                          body or self.body_html, language if body else own,
                          alt or self.image_alt, language if alt else own)


@dataclass(frozen=True)
class PageTranslation:
    """A content page's texts in another language, from content/pages/<page>.<language>.md."""

    language: str
    source: str
    title: str
    description: str       # its own, or its text's first paragraph
    body_html: str | None  # None: the page file's text is shown


@dataclass(frozen=True)
class PageText:
    """What a page in one interface language shows of a content page, each part with the language it is in."""

    title: str
    description: str
    lang: str
    body_html: str
    body_lang: str


@dataclass(frozen=True)
class ContentPage:
    """One of the site's own pages (About, Contact, Legal notice...), from content/pages/<slug>.md, written in the
    site's default language, with its translations."""

    slug: str
    source: str
    title: str
    description: str  # its own, or its text's first paragraph: for search engines and link previews
    body_html: str
    language: str     # the site's default language, which the page file is written in
    footer: bool = True
    order: int | None = None
    translations: tuple[PageTranslation, ...] = ()
    digest: str = ""  # hash of the page file and its translations

    @property
    def url(self) -> str:
        return f"{self.slug}/"

    def text(self, language: str) -> PageText:
        """What a page in `language` shows: its translation into it, where there is one."""
        done = next((t for t in self.translations if t.language == language), None)
        if done is None:
            return PageText(self.title, self.description, self.language, self.body_html, self.language)
        return PageText(done.title, done.description, language, done.body_html or self.body_html,
                        language if done.body_html else self.language)
