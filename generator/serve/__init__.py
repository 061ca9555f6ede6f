"""The live preview: the same load, plan and make as a build, serving the site on this machine and rebuilding
what a saved file touched; bad content never stops it (the problems show in the open pages)."""
from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from generator.content.files import check_source
from generator.diagnostics import UsageError, display_path
from generator.serve.backend import LocalBackend
from generator.serve.preview import Background, Preview, describe
from generator.serve.server import Hub, _Server, _loopback_host, handler_for
from generator.serve.watch import Watcher, _relevant


def serve(source: Path, host: str = "127.0.0.1", port: int = 8000, announce: Callable[[str], None] = print,
          today: dt.date | None = None) -> None:
    """Build, serve and keep rebuilding until interrupted, for `today` (else for the day of each rebuild)."""
    check_source(source)
    out = Path(tempfile.mkdtemp(prefix="catalogue-serve-"))
    preview = Preview(source, out, today)
    hub = Hub()
    stopping = threading.Event()
    # the web editor's local backend writes into the site folder: only for a preview on this machine alone
    backend = LocalBackend(source) if _loopback_host(host) else None
    try:
        server = _Server((host, port), handler_for(out, preview, hub, stopping, backend))
    except OSError as exc:
        shutil.rmtree(out, ignore_errors=True)
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is already in use: stop the other server or choose "
                             f"another port with --port") from exc
        raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror or exc}; check --host and --port") from exc
    background = Background(preview, announce)
    changes: list[str] = []
    pending = threading.Event()
    lock = threading.Lock()

    def on_change(path: str) -> None:
        with lock:
            changes.append(path)
        pending.set()

    def rebuild(names: list[str]) -> None:
        outcome = preview.refresh()
        announce(describe(outcome, names))
        if outcome.ok:
            for d in outcome.diagnostics:
                announce("  " + d.text())
            hub.send("reload")
            background.request(reindex=outcome.reindex or not (out / "pagefind").exists(),
                               changed=[*outcome.written, *outcome.removed])
        else:
            for d in outcome.diagnostics:
                announce("  " + d.text())
            hub.send("problems", [d.text() for d in outcome.diagnostics if d.is_error])

    def on_signal(signum: int, frame: object) -> None:  # Ctrl-C (or a TERM): finish the current step, then stop
        stopping.set()
        pending.set()

    previous_handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    # A parent may have started us with these signals blocked (a test runner's thread, some IDEs): unblock them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    watcher = thread = None
    try:
        rebuild([])
        watcher = Watcher(source, on_change)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        if not stopping.is_set():
            announce(f"Serving the catalogue at http://{host}:{server.server_address[1]}/ (Ctrl-C to stop; "
                     f"built files in {out})")
        while not stopping.is_set():
            pending.wait()
            if stopping.is_set():
                break
            time.sleep(0.03)  # let an editor's burst of events (write, rename, chmod) arrive
            pending.clear()
            with lock:
                names = sorted({display_path(Path(p)) for p in changes if _relevant(Path(p))})
                changes.clear()
            watcher.update()
            rebuild(names)
        announce("Stopped.")
    finally:
        # If a worker thread holds things up (a Pagefind run, a half-started watcher), leave all the same.
        deadline = threading.Timer(10, lambda: (shutil.rmtree(out, ignore_errors=True), os._exit(0)))
        deadline.daemon = True
        deadline.start()
        stopping.set()
        hub.close()
        if watcher:
            watcher.stop()
        background.stop(timeout=5)
        if thread:
            server.shutdown()
        server.server_close()
        shutil.rmtree(out, ignore_errors=True)
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
