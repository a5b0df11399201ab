"""plaibot as a package: what `import plaibot` costs, and a wheel that works outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import KNOWLEDGE, ROOT, copy_of_the_index, free_port, wait_for_url

HEAVY = ("torch", "chromadb", "gradio", "sentence_transformers", "transformers", "langchain_core")


def test_import_plaibot_loads_no_heavy_library():
    code = ("import sys, plaibot; plaibot.QuestionError; plaibot.PlaibotError; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60).stdout
    assert loaded.strip() == "[]"


def test_public_names_load_on_first_use():
    import plaibot

    assert plaibot.Assistant.__module__ == "plaibot.assistant"
    assert set(plaibot.__all__) <= set(dir(plaibot))
    with pytest.raises(AttributeError):
        plaibot.NoSuchThing  # noqa: B018


def test_every_error_is_a_plaibot_error_with_an_exit_code():
    import plaibot

    for name in ("QuestionError", "StoreUnavailable", "LoadError", "UnsupportedFileType",
                 "AnswererError", "EvalFileError", "AccessDenied"):
        error = getattr(plaibot, name)
        assert issubclass(error, plaibot.PlaibotError)
        assert error.exit_code in (1, 2, 3)
    assert plaibot.QuestionError.exit_code == 2 and plaibot.StoreUnavailable.exit_code == 3


def _without_pythonpath() -> dict[str, str]:
    """The environment minus PYTHONPATH, which would put a source tree before the wheel."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory) -> Path:
    """The project built as a wheel and installed into a new virtual environment outside
    the checkout. Its dependencies come from this environment (a .pth file), so nothing is
    downloaded; plaibot itself comes only from the wheel."""
    folder = tmp_path_factory.mktemp("wheel")
    alone = _without_pythonpath()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(folder / "dist"), str(ROOT)], check=True, timeout=600)
    [wheel] = (folder / "dist").glob("plaibot-*.whl")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    # The wheel first: with the dependencies already visible, pip would see the checkout's
    # editable install as plaibot and skip the wheel.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", str(wheel)], check=True, timeout=300, env=alone)
    ours = sysconfig.get_paths()["purelib"]
    Path(site.stdout.strip(), "deps.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return python


def test_wheel_serves_the_widget_and_answers(installed_wheel, assistant, tmp_path):
    env = _without_pythonpath()
    where = subprocess.run([str(installed_wheel), "-c", "import plaibot; print(plaibot.__file__)"],
                           capture_output=True, text=True, check=True, env=env, cwd=tmp_path)
    assert where.stdout.startswith(str(installed_wheel.parent.parent)), (
        f"plaibot was imported from {where.stdout}, not from the wheel")
    port = free_port()
    index = copy_of_the_index(assistant, tmp_path / "index")
    env |= {"PLAIBOT_INDEX_DIR": str(index), "PLAIBOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
            "GRADIO_ANALYTICS_ENABLED": "False"}
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen([str(installed_wheel), "-m", "plaibot.cli", "serve", "--port",
                                   str(port)], env=env, cwd=tmp_path, stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{port}"
            assert wait_for_url(f"{url}/api/health", server, 300), (
                (tmp_path / "server.log").read_text(errors="replace"))
            widget = urllib.request.urlopen(f"{url}/widget.js", timeout=10).read()
            assert widget == (ROOT / "ui" / "widget" / "widget.js").read_bytes()
            origin = {"Origin": url, "Content-Type": "application/json"}
            session = urllib.request.Request(f"{url}/api/session", method="POST", headers=origin)
            token = json.load(urllib.request.urlopen(session, timeout=10))["token"]
            ask = urllib.request.Request(
                f"{url}/api/chat", method="POST",
                data=json.dumps({"question": "Where is Hetero Space Solo?"}).encode(),
                headers={**origin, "Authorization": f"Bearer {token}"})
            answer = json.load(urllib.request.urlopen(ask, timeout=60))
            assert answer["grounded"] and answer["sources"]
        finally:
            server.terminate()
            server.wait(timeout=30)
