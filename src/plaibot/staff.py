"""The staff console at `/staff`: indexed documents, uploads, knowledge gaps, feedback, activity.

A Gradio app mounted behind a login. `PLAIBOT_STAFF_PASSWORD` holds a scrypt hash of the
password (`plaibot staff-password` prints one); without it the console is off (404).

- **Nothing without a session.** Every request under `/staff/` but the login page passes
  `StaffGate`: without a valid session cookie a page request is sent to the login page and
  anything else gets 401, Gradio's own routes (queue, upload, files) included.
- **Sessions** are random tokens kept (hashed) in the records database, so every worker
  and host knows them and logging out ends them everywhere; they end after
  `PLAIBOT_STAFF_SESSION_MINUTES` without a request, and after 12 hours in any case.
- **Cookies** are `HttpOnly`, `SameSite=Strict`, `Path=/staff`, and `Secure` over https.
- **CSRF**: a request that changes anything (any method but GET/HEAD) must carry an `Origin`
  (or `Referer`) of this server.
- **Login attempts** are limited per client IP (`PLAIBOT_STAFF_LOGIN_ATTEMPTS` per 15 min).
- **Uploads** are capped at `PLAIBOT_MAX_FILE_MB` per request before the body is read,
  saved under a cleaned file name in the uploads folder, and indexed by the same loaders
  and limits as `plaibot index`; a file that fails is reported and not kept.
- Everything shown (titles, questions, comments, file names) is shown as text, never HTML.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import os
import secrets
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func
from starlette.types import ASGIApp, Receive, Scope, Send

from plaibot.access import AccessDenied, RateLimiter
from plaibot.errors import UploadError
from plaibot.gaps import GapLog
from plaibot.indexing import source_path
from plaibot.loaders import LOADERS, LoadError, load_file
from plaibot.records import Records, tables
from plaibot.text import clean_text

if TYPE_CHECKING:
    import gradio as gr

    from plaibot.api import Guard
    from plaibot.assistant import Assistant
    from plaibot.config import Settings
    from plaibot.feedback import FeedbackStore
    from plaibot.indexing import IndexReport

log = logging.getLogger(__name__)

PREFIX = "/staff"
LOGIN_BODY_BYTES = 4096  # the login form, read before any session exists
COOKIE = "plaibot_staff"
MIN_PASSWORD_CHARS = 10
# scrypt at n=2**14, r=8: 16 MB and about 40 ms per attempt here, so guessing is slow and a
# burst of logins cannot exhaust memory; hashes with a larger cost than `_MAX_N` are refused.
_N, _R, _P, _MAX_N = 2**14, 8, 1, 2**20
_SESSION_HOURS = 12
_LOGIN_WINDOW = 900
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_NAME_CHARS = 100


# --- passwords -------------------------------------------------------------------------

def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` (base64) of `password`, for `PLAIBOT_STAFF_PASSWORD`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    """The parts of a stored hash; `ValueError` with what to do when it is not one."""
    parts = stored.strip().split("$")
    try:
        kind, n, r, p, salt, digest = parts
        n, r, p = int(n), int(r), int(p)
        values = (n, r, p, base64.b64decode(salt, validate=True),
                  base64.b64decode(digest, validate=True))
    except ValueError:
        kind = ""
    if kind != "scrypt" or not (2 <= n <= _MAX_N and 1 <= r <= 32 and 1 <= p <= 16):
        raise ValueError("PLAIBOT_STAFF_PASSWORD must be a hash printed by "
                         "`plaibot staff-password`, not the password itself")
    return values


def verify_password(password: str, stored: str) -> bool:
    n, r, p, salt, digest = parse_hash(stored)
    given = hashlib.scrypt(password.encode()[:1024], salt=salt, n=n, r=r, p=p,
                           maxmem=256 * 1024 * 1024, dklen=len(digest))
    return hmac.compare_digest(given, digest)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- sessions --------------------------------------------------------------------------

class Sessions:
    """Staff sessions in the records database (every worker and host sees them); tokens
    are stored as their SHA-256, so the table gives no one a session."""

    def __init__(self, records: Records, idle_minutes: int) -> None:
        self.records, self.idle = records, idle_minutes * 60.0

    def create(self) -> str:
        token, now = secrets.token_urlsafe(32), time.time()
        t = tables.staff_sessions
        with self.records.begin() as db:
            db.execute(t.delete().where(t.c.expires < now))
            db.execute(t.insert().values(token_hash=_digest(token), created=now,
                                         expires=now + self.idle))
        return token

    def valid(self, token: str | None) -> bool:
        """Whether `token` is a live session; each use extends it by the idle time, up to
        `_SESSION_HOURS` after login."""
        if not token or len(token) > 100:
            return False
        now, t = time.time(), tables.staff_sessions
        extended = func.min(now + self.idle, t.c.created + _SESSION_HOURS * 3600)
        if self.records.dialect == "postgresql":
            extended = func.least(now + self.idle, t.c.created + _SESSION_HOURS * 3600)
        with self.records.begin() as db:
            changed = db.execute(t.update().where(t.c.token_hash == _digest(token),
                                                  t.c.expires >= now)
                                 .values(expires=extended)).rowcount
        return changed == 1

    def end(self, token: str | None) -> None:
        if token:
            t = tables.staff_sessions
            with self.records.begin() as db:
                db.execute(t.delete().where(t.c.token_hash == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- the gate --------------------------------------------------------------------------

def same_origin(request: Request) -> bool:
    """Whether a state-changing request comes from a page of this server (CSRF check)."""
    claimed = request.headers.get("origin") or request.headers.get("referer") or ""
    host = request.headers.get("host", "")
    return bool(host) and urlsplit(claimed).netloc.lower() == host.lower()


def staff_body_limit(settings: Settings) -> int:
    """The largest request body the console takes: one upload and its form fields."""
    return int(settings.max_file_mb * 1_000_000) + 64_000


class StaffGate:
    """Lets a request through to the staff app only with a live session and, for anything
    but GET/HEAD, from this server's own pages; caps request bodies at `max_body` bytes
    before they are read."""

    def __init__(self, app: ASGIApp, sessions: Sessions, max_body: int) -> None:
        from plaibot.api import BodyLimit

        self.app = BodyLimit(app, max_body)
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if scope["type"] != "http":  # websockets: the console uses none
            await send({"type": "websocket.close", "code": 1008})
            return
        if not self.sessions.valid(request.cookies.get(COOKIE)):
            wants_page = request.method == "GET" and "text/html" in request.headers.get(
                "accept", "")
            response: Response = (RedirectResponse(f"{PREFIX}/login", 303) if wants_page else
                                  JSONResponse({"error": {"code": "login_required",
                                                          "message": "Log in first."}}, 401))
            await response(scope, receive, send)
            return
        if request.method not in _SAFE_METHODS and not same_origin(request):
            await JSONResponse({"error": {"code": "cross_site", "message":
                                          "Refused: not sent from this site."}}, 403)(
                scope, receive, send)
            return
        await self.app(scope, receive, send)


# --- what the console shows and does ---------------------------------------------------

def safe_name(name: str) -> str:
    """A file name that cannot leave the uploads folder or hide: the last path part only,
    letters, digits, `-`, `_` and `.`, no leading dot, at most 100 characters, a type
    plaibot reads."""
    name = unicodedata.normalize("NFKC", clean_text(name)).replace("\\", "/").split("/")[-1]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._")
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in LOADERS:
        raise UploadError(f"unsupported type: plaibot reads {', '.join(sorted(LOADERS))}")
    stem = stem.strip("._")[:_MAX_NAME_CHARS]
    if not stem:
        raise UploadError("the file name has no letters or digits")
    return f"{stem}.{suffix.lower()}"


class StaffConsole:
    """The console's data and actions, independent of its web page (tested directly)."""

    def __init__(self, assistant: Assistant, feedback: FeedbackStore) -> None:
        self.assistant, self.feedback = assistant, feedback
        self.settings = assistant.settings
        self.uploads = self.settings.uploads_dir
        self.max_bytes = int(self.settings.max_file_mb * 1_000_000)
        self._lock = threading.Lock()  # one index run at a time from this console

    def documents(self) -> list[dict[str, object]]:
        """Every indexed document: title, language, date, chunks, sources, file; uploads
        first."""
        files: dict[str, dict[str, object]] = {}
        for chunk in self.assistant.store.all_chunks():
            meta = chunk.metadata
            row = files.setdefault(str(meta.get("source", "")), {
                "title": str(meta.get("title", "")), "language": str(meta.get("language", "")),
                "date": str(meta.get("published", "")), "chunks": 0,
                "sources": _source_list(meta), "file": str(meta.get("source", "")),
                "uploaded": self.is_upload(str(meta.get("source", "")))})
            row["chunks"] = int(row["chunks"]) + 1  # type: ignore[call-overload]
        return sorted(files.values(), key=lambda r: (not r["uploaded"], str(r["file"])))

    def is_upload(self, source: str) -> bool:
        try:
            source_path(source, self.settings.sources_base).relative_to(self.uploads.resolve())
        except ValueError:
            return False
        return True

    def upload(self, files: list[tuple[Path, str]],
               progress: Callable[[float, str], None] = lambda done, what: None) -> str:
        """Check, save and index uploaded (temporary path, original name) files; the run's
        report as text. The temporary files are deleted."""
        refused: list[str] = []
        saved: list[Path] = []
        with self._lock:
            try:
                for n, (temporary, original) in enumerate(files):
                    progress(n / max(len(files), 1) / 2, f"checking {original}")
                    try:
                        saved.append(self._save(Path(temporary), original))
                    except (UploadError, LoadError, OSError) as error:
                        refused.append(f"refused {clean_text(original)[:200]}: {error}")
            finally:
                for temporary, _ in files:
                    Path(temporary).unlink(missing_ok=True)
            report = None
            if saved:
                done = iter(range(1, len(saved) + 1))
                report = self.assistant.index(
                    saved, on_file=lambda p: progress(0.5 + next(done) / len(saved) / 2,
                                                      f"indexed {p.name}"))
        return "\n".join([*refused, *(_report_lines(report) if report else [])]) or "nothing sent"

    def _save(self, temporary: Path, original: str) -> Path:
        name = safe_name(original)
        self.uploads.mkdir(parents=True, exist_ok=True)
        # Copied beside the target under a hidden name (indexing skips those), checked with
        # the same loaders and limits as `plaibot index`, then renamed: a failing file
        # never replaces a good one, and no reader sees half a file.
        handle, partial = tempfile.mkstemp(dir=self.uploads, prefix=".upload-",
                                           suffix=Path(name).suffix)
        try:
            with os.fdopen(handle, "wb") as out, temporary.open("rb") as source:
                out.write(source.read(self.max_bytes + 1))
            load_file(Path(partial), self.max_bytes)
            target = self.uploads / name
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return target

    def remove(self, source: str) -> str:
        """Delete an uploaded document from the uploads folder and the index."""
        if not source or not self.is_upload(source):
            raise UploadError("only uploaded documents can be removed here; documents in the "
                              "knowledge folder are removed from that folder")
        with self._lock:
            source_path(source, self.settings.sources_base).unlink(missing_ok=True)
            report = self.assistant.index([self.uploads])
        return "\n".join(_report_lines(report))

    def gaps(self, min_confidence: float, max_confidence: float) -> list[dict[str, object]]:
        return [g.as_row() for g in self.assistant.gaps(min_confidence, max_confidence)]

    def votes(self) -> list[dict[str, object]]:
        """Feedback, newest first."""
        keys = ("updated", "rating", "comment", "question", "answer", "channel")
        return [{k: row[k] for k in keys} for row in reversed(self.feedback.export())]

    def activity(self, days: int = 30) -> list[dict[str, object]]:
        """Questions, refusals, thumbs up and thumbs down per day (rows for a line plot)."""
        since = (datetime.now(UTC) - timedelta(days=days)).date().isoformat()
        counts: dict[tuple[str, str], int] = {}
        for day, kind, n in self.assistant.gap_log.daily(days):
            counts[day, f"{kind}s"] = n
        for vote in self.feedback.export():
            day = str(vote["created"])[:10]
            if day >= since:
                key = (day, f"thumbs {vote['rating']}")
                counts[key] = counts.get(key, 0) + 1
        return [{"day": d, "series": s, "count": n} for (d, s), n in sorted(counts.items())]


def _source_list(meta: dict) -> str:
    try:
        sources = json.loads(str(meta.get("sources") or "{}"))
    except ValueError:
        sources = {}
    urls = [str(s.get("url") or s.get("title") or "") for s in sources.values()
            if isinstance(s, dict)] if isinstance(sources, dict) else []
    urls = [u for u in urls if u] or [str(meta.get("url", ""))]
    more = f" (+{len(urls) - 3} more)" if len(urls) > 3 else ""
    return " ".join(urls[:3]) + more


def _report_lines(report: IndexReport) -> list[str]:
    lines = [f"{kind} {name}" for kind, names in (
        ("added", report.added), ("updated", report.updated), ("removed", report.removed),
        ("unchanged", report.unchanged)) for name in names]
    lines += [f"failed {name}: {reason}" for name, reason in report.failed]
    lines += [f"skipped {name}: {reason}" for name, reason in report.skipped]
    return [*lines, report.summary()]


# --- the page ---------------------------------------------------------------------------

_DOC_COLUMNS = ["title", "language", "date", "chunks", "sources", "file"]
_GAP_COLUMNS = ["count", "example", "last", "languages", "reasons", "confidence", "questions"]
_VOTE_COLUMNS = ["updated", "rating", "comment", "question", "answer", "channel"]
_LOGOUT_JS = ("() => fetch('/staff/logout', {method: 'POST', credentials: 'same-origin'})"
              ".then(() => { window.location.href = '/staff/login'; })")


def build_console(console: StaffConsole) -> gr.Blocks:
    """The staff page: Documents, Knowledge gaps, Feedback and Activity tabs."""
    import gradio as gr
    import pandas as pd

    def table(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame([[r.get(c, "") for c in columns] for r in rows], columns=columns)

    def documents() -> tuple[pd.DataFrame, dict]:
        rows = console.documents()
        uploaded = [str(r["file"]) for r in rows if r["uploaded"]]
        return table(rows, _DOC_COLUMNS), gr.update(choices=uploaded, value=None)

    def gaps(low: float, high: float) -> pd.DataFrame:
        return table(console.gaps(low, high), _GAP_COLUMNS)

    def votes() -> pd.DataFrame:
        return table(console.votes(), _VOTE_COLUMNS)

    def activity() -> pd.DataFrame:
        rows = console.activity()
        return pd.DataFrame(rows or [{"day": datetime.now(UTC).date().isoformat(),
                                      "series": "questions", "count": 0}])

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple:
        if not files:
            raise gr.Error("Choose one or more files first.")
        report = console.upload([(Path(f), Path(f).name) for f in files],
                                lambda done, what: progress(done, desc=what))
        return (report, None, *documents())

    def remove(source: str | None) -> tuple:
        try:
            report = console.remove(source or "")
        except UploadError as error:
            raise gr.Error(str(error)) from None
        return (report, *documents())

    with gr.Blocks(title="plaibot staff", analytics_enabled=False) as page:
        with gr.Row():
            gr.Markdown("# plaibot staff console")
            gr.Button("Log out", size="sm", scale=0, elem_id="staff-logout").click(
                None, js=_LOGOUT_JS)
        with gr.Tab("Documents"):
            docs = gr.Dataframe(headers=_DOC_COLUMNS, interactive=False, wrap=True,
                                label="Indexed documents (uploads first)", max_height=420,
                                column_widths=["28%", "7%", "9%", "6%", "30%", "20%"],
                                elem_id="staff-documents")
            with gr.Row():
                files = gr.File(label="Upload Markdown, text, HTML or PDF files",
                                file_count="multiple", type="filepath",
                                file_types=sorted(LOADERS), elem_id="staff-upload")
                with gr.Column():
                    index_button = gr.Button("Index uploaded files", variant="primary",
                                             elem_id="staff-index")
                    chosen = gr.Dropdown(label="Uploaded document", choices=[],
                                         elem_id="staff-remove-choice")
                    remove_button = gr.Button("Remove document", variant="stop",
                                              elem_id="staff-remove")
            report = gr.Textbox(label="Report", lines=6, interactive=False,
                                elem_id="staff-report")
        with gr.Tab("Knowledge gaps"):
            with gr.Row():
                low = gr.Slider(0, 1, value=0.0, step=0.05, label="Minimum confidence",
                                info="Raise it to hide off-topic questions and prompt "
                                "injection", elem_id="staff-min-confidence")
                high = gr.Slider(0, 1, value=1.0, step=0.05, label="Maximum confidence")
                refresh_gaps = gr.Button("Refresh", scale=0)
            gap_table = gr.Dataframe(headers=_GAP_COLUMNS, interactive=False, wrap=True,
                                     label="Questions the documents did not answer, grouped",
                                     column_widths=["6%", "30%", "10%", "8%", "12%", "8%",
                                                    "26%"], elem_id="staff-gaps")
        with gr.Tab("Feedback"):
            vote_table = gr.Dataframe(headers=_VOTE_COLUMNS, interactive=False, wrap=True,
                                      label="Votes and comments, newest first",
                                      column_widths=["14%", "6%", "20%", "20%", "34%", "6%"],
                                      elem_id="staff-feedback")
        with gr.Tab("Activity"):
            plot = gr.LinePlot(x="day", y="count", color="series", label="Per day (30 days)",
                               elem_id="staff-activity")

        index_button.click(upload, [files], [report, files, docs, chosen],
                           concurrency_limit=1, show_progress="full")
        remove_button.click(remove, [chosen], [report, docs, chosen], concurrency_limit=1)
        for trigger in (refresh_gaps.click, low.release, high.release):
            trigger(gaps, [low, high], [gap_table])
        page.load(documents, None, [docs, chosen]).then(gaps, [low, high], [gap_table]).then(
            votes, None, [vote_table]).then(activity, None, [plot])
    return page


# --- mounting ---------------------------------------------------------------------------

def install_staff(app: FastAPI, assistant: Assistant, guard: Guard,
                  feedback: FeedbackStore) -> bool:
    """Add the login routes and the console at `/staff` to `app` (call before the chat page
    is mounted at `/`), and record knowledge gaps from answers and thumbs down.

    Returns whether the console is on (`PLAIBOT_STAFF_PASSWORD` set)."""
    settings = assistant.settings
    records = feedback.records
    gap_log = assistant.gap_log = app.state.gaps = GapLog.on(  # the app's one pool
        records, settings.gaps_days, assistant.min_confidence)
    app.state.metrics.listeners.append(gap_log.answered)

    def gap_from_vote(vote, replaced) -> None:  # noqa: ANN001 - a Feedback, its old rating
        # With the confidence the answer was given with (the conversation store keeps it):
        # asking again would answer once more per vote, outside the answering stage and
        # its admission control. A reply that was no answer (an error) is no gap.
        if not vote.question or vote.confidence is None:
            return
        if vote.rating == "down":
            gap_log.thumbs_down(vote.channel, vote.question, vote.confidence)
        elif replaced == "down":  # a changed mind: that thumbs down no longer counts
            gap_log.thumbs_down_withdrawn(vote.channel, vote.question)

    feedback.listeners.append(gap_from_vote)
    if settings.staff_password is None:
        return False
    stored = settings.staff_password.get_secret_value()
    parse_hash(stored)  # a password given in plain text stops the server at start
    sessions = Sessions(records, settings.staff_session_minutes)
    attempts = RateLimiter(settings.staff_login_attempts, _LOGIN_WINDOW, guard.state)

    def secure(request: Request) -> bool:
        forwarded = request.headers.get("x-forwarded-proto", "") if settings.trusted_proxies else ""
        return request.url.scheme == "https" or forwarded.split(",")[-1].strip() == "https"

    @app.get(f"{PREFIX}/login", include_in_schema=False)
    def login_page() -> HTMLResponse:
        return _login_html()

    @app.post(f"{PREFIX}/login", include_in_schema=False)
    def login(request: Request, password: str = Form("", max_length=1024)) -> Response:
        if not same_origin(request):
            return _login_html("Refused: the form was not sent from this site.", 403)
        try:
            attempts.hit(f"staff-login:{guard.client(request)}")
        except AccessDenied as error:
            return _login_html(f"Too many attempts; try again in {error.retry_after} s.", 429,
                               {"Retry-After": str(error.retry_after)})
        if not verify_password(password, stored):
            log.warning("staff login failed")
            return _login_html("Wrong password.", 401)
        response = RedirectResponse(f"{PREFIX}/", 303)
        response.set_cookie(COOKIE, sessions.create(), httponly=True, samesite="strict",
                            secure=secure(request), path=PREFIX,
                            max_age=_SESSION_HOURS * 3600)
        return response

    @app.post(f"{PREFIX}/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        if not same_origin(request):
            return JSONResponse({"error": {"code": "cross_site", "message": "Refused."}}, 403)
        sessions.end(request.cookies.get(COOKIE))
        response = RedirectResponse(f"{PREFIX}/login", 303)
        response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict",
                               secure=secure(request))
        return response

    import gradio as gr

    console = StaffConsole(assistant, feedback)
    max_body = staff_body_limit(settings)
    gr.mount_gradio_app(app, build_console(console), path=PREFIX, show_error=True,
                        max_file_size=int(settings.max_file_mb * 1_000_000),
                        footer_links=[])
    mount = app.router.routes[-1]
    mount.app = StaffGate(mount.app, sessions, max_body)  # type: ignore[attr-defined]
    return True


def _login_html(message: str = "", status: int = 200,
                headers: dict[str, str] | None = None) -> HTMLResponse:
    note = f'<p role="alert" id="staff-login-error">{html.escape(message)}</p>' if message else ""
    return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>plaibot staff: log in</title>
<style>body{{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}}
input,button{{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}}
[role=alert]{{color:#b00020}}</style></head>
<body><h1>plaibot staff</h1>{note}
<form method="post" action="{PREFIX}/login">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button></form></body></html>""", status, headers=headers,
        media_type="text/html")
