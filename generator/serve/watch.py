"""Watching the site folder: content/, the themes and site.yaml, with watchdog."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from generator.content.config import PACKAGE_THEMES
from generator.engine.cache import CACHE_DIR


class Watcher:
    """Watches content/, the themes and the site config with watchdog, calling on_change(path) for each change."""

    def __init__(self, source: Path, on_change: Callable[[str], None]) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        ignored = (str((source / "output").resolve()), str((source / CACHE_DIR).resolve()))

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:  # noqa: ANN001
                if event.event_type in ("opened", "closed_no_write"):
                    return
                for path in (event.src_path, getattr(event, "dest_path", "")):
                    if path and not str(path).startswith(ignored) and not Path(path).name.startswith("."):
                        on_change(str(path))

        self.source = source
        self.handler = Handler()
        self.observer = Observer()
        self.watched: set[Path] = set()
        self.observer.schedule(self.handler, str(source), recursive=False)  # site.yaml, and a new themes/
        self.update()
        # daemon threads: a Ctrl-C that lands while watchdog is still starting must not keep the process alive
        self.observer.daemon = True
        for emitter in self.observer.emitters:
            emitter.daemon = True
        self.observer.start()

    def update(self) -> None:
        """Start watching folders that have appeared since (a site's own themes/, say)."""
        package_themes = PACKAGE_THEMES
        for folder in (self.source / "content", self.source / "themes", package_themes):
            if folder.is_dir() and folder not in self.watched:
                self.observer.schedule(self.handler, str(folder), recursive=True)
                self.watched.add(folder)

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=2)


WATCHED_SUFFIXES = (".md", ".yaml", ".yml", ".html", ".xml", ".txt", ".css", ".js", ".svg", ".png", ".jpg", ".pdf",
                   ".jpeg", ".webp", ".json")


def _relevant(path: Path) -> bool:
    """A change worth naming: a file of a kind the site is made from (not a folder or an editor's temp file)."""
    return path.name == "_headers" or (path.suffix.lower() in WATCHED_SUFFIXES and not path.is_dir())
