"""The pytest header says which orcapost is under test, so a stale installed copy is visible."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, describe_orcapost


def test_an_editable_install_of_this_checkout():
    lines = describe_orcapost(REPO / "core", True,
                              {"url": REPO.as_uri(), "dir_info": {"editable": True}}, REPO)
    assert lines == [f"orcapost under test: {REPO / 'core'}", f"  editable install of {REPO}"]


def test_an_installed_copy_says_edits_are_not_tested_until_reinstalled():
    site = Path("/venv/lib/python3.11/site-packages/orcapost")
    lines = describe_orcapost(site, True, {"url": REPO.as_uri(), "dir_info": {}}, REPO)
    assert lines[0] == f"orcapost under test: {site}"
    assert "not editable" in lines[1] and 'pip install -e ".[dev]"' in lines[1]
    assert lines[2] == f"  not the source of this checkout ({REPO})"


def test_an_editable_install_of_another_checkout_is_not_this_one():
    other = Path("/elsewhere/orcapost")
    lines = describe_orcapost(other / "core", True,
                              {"url": other.as_uri(), "dir_info": {"editable": True}}, REPO)
    assert lines[1:] == [f"  editable install of {other}",
                         f"  not the source of this checkout ({REPO})"]


def test_source_on_the_path_without_an_install():
    assert describe_orcapost(REPO / "core", False, None, REPO)[1:] == [
        "  not installed: imported from sys.path"]


def test_a_windows_file_url_names_the_drive_path(monkeypatch):
    import nturl2path

    import conftest

    # What url2pathname is on Windows; unquote() alone left "/C:/..." (shown as \\C:\\...).
    monkeypatch.setattr(conftest, "url2pathname", nturl2path.url2pathname)
    url = "file:///C:/Users/me/orca%20post"
    lines = describe_orcapost(Path("C:/x"), True, {"url": url, "dir_info": {"editable": True}},
                              REPO)
    assert lines[1] == "  editable install of C:\\Users\\me\\orca post"
