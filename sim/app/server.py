"""The app's server: ``orgsim viz`` starts Solara on this package, bound to loopback unless told
otherwise, and stops it cleanly; the batch folder the results page opens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from sim.results.evidence import is_calibration
from sim.results.tables import ResultsError, open_batch

RESULTS_ENV = "ORGSIM_RESULTS"
APP_NAME = "orgsim: marketing and IT"
_results_dir: str | None = None


def configure(results_dir: str | os.PathLike[str] | None) -> None:
    """Set the batch folder the results page opens (also for a server started after this)."""
    global _results_dir
    _results_dir = None if results_dir is None else str(results_dir)
    if results_dir is None:
        os.environ.pop(RESULTS_ENV, None)
    else:
        os.environ[RESULTS_ENV] = str(results_dir)


def results_dir() -> str | None:
    """The configured batch folder: :func:`configure`, else ``$ORGSIM_RESULTS``, else None."""
    return _results_dir or os.environ.get(RESULTS_ENV) or None


def served_root() -> Path:
    """The one folder tree the results page may open: the batch folder given to ``orgsim viz
    --results`` (its parent when the folder is missing, so a batch still to come there can be
    opened), else the folder the server was started in."""
    given = results_dir()
    if given is None:
        return Path.cwd().resolve()
    path = Path(given).expanduser().resolve()
    return path if path.is_dir() else path.parent


def may_open(folder: str | os.PathLike[str]) -> bool:
    """Whether the results page may open ``folder``: inside :func:`served_root`. Decided on the
    path alone, before anything is looked up, so the page tells nothing of other paths."""
    path = Path(folder).expanduser()
    path = path if path.is_absolute() else Path.cwd() / path
    return Path(os.path.realpath(path)).is_relative_to(served_root())


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    import ipaddress

    return all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (None when it can)."""
    if not 1 <= port <= 65535:
        return f"port {port} is not a valid port number: choose one from 1 to 65535"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"host {host!r} cannot be resolved ({exc}); use 127.0.0.1 or a local address"
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The server sets SO_REUSEADDR too: a port in TIME_WAIT is usable, a listening one not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
                return (
                    f"port {port} on {host} is already in use (another orgsim viz?); "
                    f"stop that program or choose another port with --port"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def server_command(host: str, port: int) -> list[str]:
    """The Solara server command line for this app."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "sim.app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]


def server_env(results: str | os.PathLike[str] | None) -> dict[str, str]:
    env = dict(os.environ)
    # No network here, and none needed: no usage telemetry, no version check.
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # Solara warns on every page load over plain http at an address other than "localhost" that
    # its session cookie falls back to SameSite=Lax, which matters only to a page embedded in
    # another site's iframe; this page is not, and Lax is the right cookie for it.
    cookie = "ignore:Cookies with samesite=none require https:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), cookie) if w)
    # Reacton's own faster renderer (opt-in, REACTON_FAST=1, reacton >= 1.11) skips the parts
    # of the page whose state did not change. The default one walks and reconciles the whole
    # element tree on every render: a step re-runs only the figures and the week label, yet
    # reconciled all 200 elements of the page (the 40 controls included), about 10 ms a week.
    env.setdefault("REACTON_FAST", "1")
    if results is not None:
        env[RESULTS_ENV] = str(Path(results).expanduser().resolve())
    elif results_dir() is not None:
        env[RESULTS_ENV] = str(results_dir())
    return env


def serve(host: str = "127.0.0.1", port: int = 8765, results: str | None = None) -> int:
    """Start the app's Solara server and wait until it stops (Ctrl+C).

    Args:
        host: address to listen on; loopback by default, so only this machine can connect.
        port: TCP port.
        results: a batch folder for the results page.

    Returns:
        The exit code: 0 after Ctrl+C or a clean stop, 2 when the port cannot be used, else the
        server's own exit code.
    """
    problem = port_problem(host, port)
    if problem is not None:
        print(f"orgsim viz: {problem}", file=sys.stderr)
        return 2
    url = url_for(host, port)
    if not is_loopback(host):
        print(
            f"orgsim viz: warning: listening on {host}: anyone who can reach this machine can "
            "use the pages, which have no authentication; use --host 127.0.0.1 to keep them "
            "to this machine",
            file=sys.stderr,
        )
    print(
        f"orgsim viz: open {url} (live firm), {url}results (batch results) and {url}evidence "
        "(a calibration's evidence)",
        flush=True,
    )
    if results is not None and is_calibration(results):
        print(f"orgsim viz: {results} is a calibration: the evidence page opens it", flush=True)
    elif results is not None:
        try:
            open_batch(results)
        except ResultsError as exc:
            print(f"orgsim viz: note: {exc} The results page will say so.", file=sys.stderr)
    print("orgsim viz: press Ctrl+C to stop", flush=True)
    proc = subprocess.Popen(server_command(host, port), env=server_env(results))
    previous = _stop_on_sigterm()
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(proc)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm():
    """Treat SIGTERM like Ctrl+C, so that stopping ``orgsim viz`` also stops its server process.
    Returns the previous handler (None off the main thread, where handlers cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a server process: terminate, then kill if it has not ended within ``timeout``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
