"""The README's generated parts match the code they describe."""

from cogapp import Cog

from tests.conftest import ROOT


def test_readme_settings_table_matches_settings():
    # `cog --check` fails (status 5) when regenerating would change the file.
    status = Cog().main(["cog", "--check", "--diff", str(ROOT / "README.md")])
    assert status == 0, "README.md is out of date: run `cog -r README.md`"


def test_every_setting_is_in_the_readme():
    from plaibot.config import Settings

    readme = (ROOT / "README.md").read_text()
    missing = [n for n in Settings.model_fields if f"`PLAIBOT_{n.upper()}`" not in readme]
    assert not missing


def test_how_it_works_names_every_module():
    """The README's "How it works" table names every module and package of src/plaibot."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## How it works", 1)[1].split("\n## ", 1)[0]
    package = ROOT / "src" / "plaibot"
    names = {p.name for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")}
    names |= {f"{p.name}/" for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"}
    names |= {p.name for p in (package / "store").glob("*.py") if p.stem != "__init__"}
    assert not sorted(n for n in names if f"`{n}`" not in table)
