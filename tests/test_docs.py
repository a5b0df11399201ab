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
