"""A staged site's folders, made ahead by a process of its own while the build reads the content."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterable

from generator.fast.programs import command


class FoldersAhead:
    """Makes `folders` under `root` in a process of its own (a thread would wait for Python's lock after
    each folder while the build's thread reads the content); `prune` removes those the build did not use."""

    def __init__(self, root: Path, folders: Iterable[str]) -> None:
        self.root = root
        self.folders = sorted(folders)
        self._maker: subprocess.Popen | None = None
        if not self.folders:
            return
        try:
            self._maker = subprocess.Popen(command("make_folders", os.fspath(root)), stdin=subprocess.PIPE,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._maker.stdin.write("\0".join(self.folders).encode("utf-8", "surrogateescape"))
            self._maker.stdin.close()
        except OSError:  # the build makes them itself as it writes
            self.stop()

    def join(self) -> None:
        if self._maker:
            self._maker.wait()

    def stop(self) -> None:
        """Stop making folders (the staged site is being discarded)."""
        if self._maker and self._maker.poll() is None:
            self._maker.kill()
        self.join()
        self._maker = None

    def prune(self, files: Iterable[str]) -> None:
        """Remove the folders made ahead that none of these files is in (deepest first)."""
        self.join()
        needed = set()
        for rel in files:
            folder = rel.rpartition("/")[0]
            while folder and folder not in needed:
                needed.add(folder)
                folder = folder.rpartition("/")[0]
        for folder in sorted(set(self.folders) - needed, key=lambda f: f.count("/"), reverse=True):
            try:
                os.rmdir(self.root / folder)
            except OSError:  # (not empty, or gone)
                pass
