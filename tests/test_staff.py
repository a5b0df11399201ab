"""The staff console: login, sessions, CSRF, hostile input on its forms, and what its Feedback
and Activity tabs show (no browser)."""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from plaibot import Assistant, Settings
from plaibot.answering import Answer
from plaibot.feedback import Feedback, FeedbackStore
from plaibot.records import Records
from plaibot.staff import (
    COOKIE,
    Sessions,
    StaffConsole,
    UploadError,
    build_console,
    hash_password,
    parse_hash,
    safe_name,
    verify_password,
)
from plaibot.web import create_app
from tests.conftest import KNOWLEDGE
from tests.test_gaps import refused
from tests.test_loaders import minimal_pdf

PASSWORD = "kelana-staff-2026"
HASH = hash_password(PASSWORD)
GUARDED = ["/staff/", "/staff/config", "/staff/gradio_api/info", "/staff/gradio_api/file=x",
           "/staff/gradio_api/queue/data?session_hash=abc", "/staff/theme.css"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("staff")
    knowledge = root / "knowledge"
    knowledge.mkdir()
    shutil.copy(KNOWLEDGE / "en" / "hetero-space-solo.md", knowledge)
    return root


@pytest.fixture(scope="module")
def settings(folders) -> Settings:
    # TestClient calls from http://testserver, which is not the address the app listens on.
    return Settings(knowledge_dir=folders / "knowledge", index_dir=folders / "data" / "index",
                    staff_password=HASH, staff_login_attempts=3, max_file_mb=0.05,
                    allowed_origins=["http://testserver"])


@pytest.fixture(scope="module")
def server(settings):
    return create_app(settings)


def login(client: TestClient, password: str = PASSWORD, origin: str = "http://testserver"):
    return client.post("/staff/login", data={"password": password},
                       headers={"origin": origin}, follow_redirects=False)


def test_passwords_are_stored_as_scrypt_hashes():
    assert HASH.startswith("scrypt$16384$8$1$") and PASSWORD not in HASH
    assert verify_password(PASSWORD, HASH) and not verify_password("kelana-staff-2025", HASH)
    assert hash_password(PASSWORD) != HASH  # salted
    for plain in (PASSWORD, "scrypt$99999999999$8$1$AA==$AA==", ""):
        with pytest.raises(ValueError, match="plaibot staff-password"):
            parse_hash(plain)


def test_a_plain_text_password_stops_the_server(settings):
    with pytest.raises(ValueError, match="hash"):
        create_app(Settings(knowledge_dir=settings.knowledge_dir, index_dir=settings.index_dir,
                            staff_password=PASSWORD, index_on_start=False))


def test_nothing_is_reachable_without_a_login(server):
    client = TestClient(server)
    page = client.get("/staff/", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/staff/login"
    for path in GUARDED:
        assert client.get(path).status_code == 401, path
    upload = client.post("/staff/gradio_api/upload", files={"files": ("a.md", b"# A")},
                         headers={"origin": "http://testserver"})
    join = client.post("/staff/gradio_api/queue/join", json={"fn_index": 0, "data": []},
                       headers={"origin": "http://testserver"})
    assert upload.status_code == join.status_code == 401
    client.cookies.set(COOKIE, "forged-session-token")
    assert client.get("/staff/config").status_code == 401
    assert client.get("/staff/login").status_code == 200


def test_login_sets_a_strict_cookie_and_logout_ends_the_session(server):
    client = TestClient(server, base_url="https://testserver")
    response = login(client, origin="https://testserver")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    for flag in ("HttpOnly", "SameSite=strict", "Path=/staff", "Secure"):
        assert flag in cookie
    assert client.get("/staff/config").status_code == 200
    token = client.cookies.get(COOKIE)
    assert client.post("/staff/logout", headers={"origin": "https://testserver"},
                       follow_redirects=False).status_code == 303
    replay = TestClient(server)
    replay.cookies.set(COOKIE, token)
    assert replay.get("/staff/config").status_code == 401


def test_state_changing_requests_need_this_sites_origin(server):
    client = TestClient(server)
    assert login(client, origin="https://evil.example").status_code == 403
    assert client.post("/staff/login", data={"password": PASSWORD}).status_code == 403
    assert login(client).status_code == 303
    for headers in ({}, {"origin": "https://evil.example"},
                    {"referer": "https://evil.example/staff/"}):
        response = client.post("/staff/gradio_api/queue/join", json={}, headers=headers)
        assert response.status_code == 403, headers
    assert client.post("/staff/logout", headers={"origin": "null"}).status_code == 403


def test_login_attempts_are_rate_limited(settings, server):
    client = TestClient(server, client=("10.9.8.7", 5000))
    assert [login(client, "wrong password!").status_code for _ in range(3)] == [401] * 3
    blocked = login(client)  # the right password, but too late
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert COOKIE not in blocked.headers.get("set-cookie", "")


def test_uploads_over_the_cap_are_refused_before_the_body_is_read(server):
    client = TestClient(server)
    login(client)
    big = b"# x\n" + b"a" * 200_000
    response = client.post("/staff/gradio_api/upload", files={"files": ("big.md", big)},
                           headers={"origin": "http://testserver"})
    assert response.status_code == 413


def test_a_huge_login_form_is_refused_unread(server):
    response = TestClient(server).post("/staff/login", data={"password": "x" * 100_000},
                                       headers={"origin": "http://testserver"})
    assert response.status_code == 413


def test_sessions_end_after_the_idle_time(server, monkeypatch):
    sessions = Sessions(server.state.feedback.records, idle_minutes=30)
    token = sessions.create()
    assert sessions.valid(token) and not sessions.valid(token + "x") and not sessions.valid("")
    now = time.time()
    monkeypatch.setattr("plaibot.staff.time.time", lambda: now + 31 * 60)
    assert not sessions.valid(token)


@pytest.mark.parametrize(("name", "safe"), [
    ("../../etc/passwd.md", "passwd.md"), ("..\\..\\Windows\\win.ini.txt", "win.ini.txt"),
    (".hidden.md", "hidden.md"), ("<script>alert(1)</script>.md", "script.md"),
    ("laporan 2025 (final).PDF", "laporan_2025__final.pdf"), ("a\x00b.md", "ab.md"),
    ("x" * 300 + ".md", "x" * 100 + ".md")])
def test_file_names_cannot_leave_the_uploads_folder(name, safe):
    assert safe_name(name) == safe


@pytest.mark.parametrize("name", ["virus.exe", "....md", "noextension", "../", ".md"])
def test_unusable_file_names_are_refused(name):
    with pytest.raises(UploadError):
        safe_name(name)


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "x" * 1000)
    return out.getvalue()


def test_hostile_uploads_are_reported_and_not_kept(settings, tmp_path):
    assistant = Assistant(settings)
    assistant.index()
    console = StaffConsole(assistant, FeedbackStore(Records(settings.records_url)))
    good = "---\ntitle: \"<img src=x onerror=alert(1)> Bengkel\"\n---\n\n" \
           "Bengkel Kayu Kelana di Jepara dibuka pada 3 Maret 2019 oleh Ibu Sari.\n"
    cases = {"corrupt.pdf": b"%PDF-1.7\nonly a header", "zip-as.md": _zip(),
             "binary.txt": bytes(range(256)) * 4, "big.md": b"# Big\n" + b"a " * 40_000,
             "empty.md": b"", "program.exe": b"MZ\x90\x00", "../../escape.md": good.encode(),
             "paper.pdf": minimal_pdf("Kelana Robotics Lab opened in Solo in 2024")}
    sent = []
    for name, data in cases.items():
        path = tmp_path / f"t{len(sent)}"
        path.write_bytes(data)
        sent.append((path, name))
    seen: list[str] = []
    report = console.upload(sent, lambda done, what: seen.append(what))
    for name, reason in (("corrupt.pdf", "corrupt"), ("zip-as.md", "binary"),
                         ("binary.txt", "binary"), ("big.md", "too large"),
                         ("empty.md", "empty"), ("program.exe", "unsupported")):
        assert f"refused {name}: " in report and reason in report.split(f"refused {name}: ")[1]
    assert "2 added" in report and seen[-1].startswith("indexed")
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == ["escape.md", "paper.pdf"]
    assert not any(p.exists() for p, _ in sent)  # the temporary copies are gone
    rows = {r["file"].rsplit("/", 1)[-1]: r for r in console.documents()}
    assert rows["escape.md"]["title"] == "<img src=x onerror=alert(1)> Bengkel"
    assert rows["escape.md"]["uploaded"] and not rows["hetero-space-solo.md"]["uploaded"]
    assert rows["paper.pdf"]["chunks"] == 1 and rows["hetero-space-solo.md"]["language"] == "en"
    assert "Jepara" in Assistant(settings).ask("Kapan Bengkel Kayu Kelana dibuka?").text

    # A corrupt file under a good file's name replaces nothing.
    bad = tmp_path / "bad"
    bad.write_bytes(b"%PDF-1.7\nbroken")
    assert "refused paper.pdf" in console.upload([(bad, "paper.pdf")])
    assert (settings.uploads_dir / "paper.pdf").read_bytes().startswith(b"%PDF")

    # `plaibot index` (no paths) keeps uploads; removing one takes it out of the index.
    assert "0 removed, 3 unchanged" in assistant.index().summary()
    with pytest.raises(UploadError, match="knowledge folder"):
        console.remove(str(settings.knowledge_dir / "hetero-space-solo.md"))
    with pytest.raises(UploadError):
        console.remove(str(settings.uploads_dir / ".." / "feedback.sqlite3"))
    escape = next(r["file"] for r in console.documents() if r["file"].endswith("escape.md"))
    assert "removed" in console.remove(escape)
    assert not (settings.uploads_dir / "escape.md").exists()
    assert Assistant(settings).ask("Kapan Bengkel Kayu Kelana dibuka?").refused


def test_a_thumbs_down_is_a_gap_with_the_answers_confidence_without_answering_again(
        server, monkeypatch):
    answered = []  # the confidence of every answer given
    ask = Assistant.ask

    def counted(self, *args, **kwargs):
        answer = ask(self, *args, **kwargs)
        answered.append(answer.confidence)
        return answer

    monkeypatch.setattr(Assistant, "ask", counted)
    client = TestClient(server)
    own = {"origin": "http://testserver"}
    token = client.post("/api/session", headers=own).json()["token"]
    headers = {**own, "authorization": f"Bearer {token}"}
    question = "What is the address of Hetero Space Solo?"
    answer = client.post("/api/chat", headers=headers, json={"question": question}).json()
    assert len(answered) == 1
    vote = client.post("/api/feedback", headers=headers, json={
        "conversation_id": answer["conversation_id"], "answer": answer["text"], "rating": "down"})
    assert vote.status_code == 201
    assert len(answered) == 1  # the vote answered nothing again
    last = server.state.gaps.records()[-1]
    assert (last.question, last.reason, last.confidence) == (question, "thumbs_down",
                                                             answered[0])


def _voter(server):
    """An API client with a partner token, and how many thumbs-down gaps a question has."""
    client = TestClient(server)
    own = {"origin": "http://testserver"}
    token = client.post("/api/session", headers=own).json()["token"]
    headers = {**own, "authorization": f"Bearer {token}"}

    def downs(question: str, channel: str = "api") -> int:
        return sum(r.question == question and r.channel == channel and r.reason == "thumbs_down"
                   for r in server.state.gaps.records())

    return client, headers, downs


def test_a_thumbs_down_saved_again_with_a_comment_is_one_gap(server):
    client, headers, downs = _voter(server)
    question = "Which street is Hetero Space Solo on?"
    answer = client.post("/api/chat", headers=headers, json={"question": question}).json()
    vote = {"conversation_id": answer["conversation_id"], "answer": answer["text"],
            "rating": "down"}
    before = downs(question)
    # The widget saves the thumb at once, then the same vote again with the comment.
    for comment in ("", "The street number is missing."):
        assert client.post("/api/feedback", headers=headers,
                           json={**vote, "comment": comment}).status_code == 201
    assert downs(question) == before + 1


def test_a_changed_vote_moves_the_thumbs_down_gap(server):
    client, headers, downs = _voter(server)
    question = "What is Hetero Space Solo's street address?"
    answer = client.post("/api/chat", headers=headers, json={"question": question}).json()
    vote = {"conversation_id": answer["conversation_id"], "answer": answer["text"]}
    before = downs(question)
    counted = []
    for rating in ("up", "down", "down", "up", "down"):
        client.post("/api/feedback", headers=headers, json={**vote, "rating": rating})
        counted.append(downs(question) - before)
    assert counted == [0, 1, 1, 0, 1]  # up to down counts; down to up takes it back


def test_a_chat_page_thumbs_down_and_its_comment_are_one_gap(server):
    # The chat page stores the thumb, then the same vote with the comment (web.add_feedback).
    _, _, downs = _voter(server)
    question = "Is Hetero Space Solo open on Sundays?"
    vote = Feedback("page-abc", "Yes, from 9 am.", "down", question=question, channel="page",
                    confidence=0.7)
    before = downs(question, "page")
    server.state.feedback.add(vote)
    server.state.feedback.add(replace(vote, comment="It is closed on Sundays."))
    assert downs(question, "page") == before + 1


def test_api_refusals_streamed_or_not_and_thumbs_down_become_gaps(server):
    client = TestClient(server)
    own = {"origin": "http://testserver"}
    token = client.post("/api/session", headers=own).json()["token"]
    headers = {**own, "authorization": f"Bearer {token}"}
    refused = client.post("/api/chat", headers=headers,
                          json={"question": "Is there a swimming pool at Hetero Space Solo?"})
    assert refused.json()["grounded"] is False
    streamed = client.post("/api/chat/stream", headers=headers,
                           json={"question": "Apakah Hetero Space Solo punya kolam renang?"})
    assert "event: done" in streamed.text and '"grounded": false' in streamed.text
    answer = client.post("/api/chat", headers=headers,
                         json={"question": "Where is Hetero Space Solo?"}).json()
    vote = client.post("/api/feedback", headers=headers, json={
        "conversation_id": answer["conversation_id"], "answer": answer["text"], "rating": "down",
        "question": "Where is Hetero Space Solo?", "comment": "<script>alert(1)</script>"})
    assert vote.status_code == 201
    kept = [(r.question, r.channel, r.reason, r.language) for r in server.state.gaps.records()]
    assert [k[:2] + k[3:] for k in kept[-3:]] == [
        ("Is there a swimming pool at Hetero Space Solo?", "api", "en"),
        ("Apakah Hetero Space Solo punya kolam renang?", "api", "id"),
        ("Where is Hetero Space Solo?", "api", "en")]
    assert kept[-1][2] == "thumbs_down" and {k[2] for k in kept[-3:-1]} <= {
        "low_confidence", "documents_unknown"}


@pytest.fixture
def console(tmp_path) -> StaffConsole:
    """A console over records of its own (empty), so counts are exactly the test's."""
    own = Settings(knowledge_dir=tmp_path / "knowledge", index_dir=tmp_path / "index")
    return StaffConsole(Assistant(own), FeedbackStore(Records(own.records_url)))


def shown_in(console: StaffConsole, elem_id: str) -> tuple[object, list[dict[str, object]]]:
    """What the console page sends the browser for its table `elem_id`: the column types,
    and the rows (by column) as Gradio serialises them for the page's load event."""
    page = build_console(console)
    table = next(b for b in page.blocks.values() if getattr(b, "elem_id", None) == elem_id)
    filled = next(f for f in page.fns.values() if f.outputs == [table])
    sent = table.postprocess(filled.fn())
    return table.get_config()["datatype"], [dict(zip(sent.headers, row)) for row in sent.data]


HOSTILE_COMMENTS = ["<script>alert(1)</script>", '<img src=x onerror="window.pwned=1">',
                    "**bold** [link](javascript:alert(1))"]


def test_feedback_tab_lists_comments_newest_first_as_text(console):
    for n, comment in enumerate(HOSTILE_COMMENTS):
        console.feedback.add(Feedback(f"c{n}", f"Answer {n} [1].", ("up", "down")[n % 2],
                                      comment, f"Question {n}?"))
    console.feedback.add(Feedback("c9", "Answer 9 [1].", "up"))  # a thumb, no comment
    votes = console.votes()
    assert [v["comment"] for v in votes] == ["", *reversed(HOSTILE_COMMENTS)]
    assert [(v["question"], v["rating"]) for v in votes[1:]] == [
        ("Question 2?", "up"), ("Question 1?", "down"), ("Question 0?", "up")]

    # Gradio renders "str" cells as text nodes ("markdown" and "html" would run the markup);
    # the comments reach the page unchanged, neither dropped nor escaped twice.
    datatype, rows = shown_in(console, "staff-feedback")
    assert datatype == "str"
    assert [row["comment"] for row in rows] == ["", *reversed(HOSTILE_COMMENTS)]


class Clock:
    """The records' clock (gap log and feedback), set to a chosen moment."""

    def __init__(self, monkeypatch) -> None:
        self.now = datetime.now(UTC)
        monkeypatch.setattr("plaibot.gaps._now", lambda: self.now)
        monkeypatch.setattr("plaibot.feedback._now",
                            lambda: self.now.isoformat(timespec="seconds"))


def grounded(text: str = "Hetero Space Solo is on Jalan Urip Sumoharjo [1].") -> Answer:
    return Answer(text, [], "en", True, 0.9)


def test_activity_counts_questions_refusals_and_thumbs_per_day(console, monkeypatch):
    clock, today = Clock(monkeypatch), datetime.now(UTC)
    # per day ago: answered questions, refused ones, thumbs up, thumbs down
    made = {40: (1, 1, 1, 1), 2: (2, 1, 1, 0), 0: (1, 2, 2, 1)}
    for ago, (answered, refusals, ups, downs) in made.items():
        clock.now = today - timedelta(days=ago)
        for _ in range(answered):
            console.assistant.gap_log.answered("api", "Where is Hetero Space Solo?", grounded())
        for n in range(refusals):
            console.assistant.gap_log.answered("page", f"Is there a pool? {n}", refused())
        for n, rating in enumerate(["up"] * ups + ["down"] * downs):
            console.feedback.add(Feedback(f"{ago}-{n}", f"Answer {n}.", rating))
    clock.now = today

    expected = []
    for ago, (answered, refusals, ups, downs) in made.items():
        if ago <= 30:  # the plot shows 30 days
            day = (today - timedelta(days=ago)).date().isoformat()
            expected += [{"day": day, "series": series, "count": count} for series, count in (
                ("questions", answered + refusals), ("refusals", refusals),
                ("thumbs down", downs), ("thumbs up", ups)) if count]
    assert console.activity() == expected
