"""panodepth.io.inputs: one collection rule (folders, lists, single files), one naming rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from panodepth.io import IMAGE_SUFFIXES, InputError, InputItem, collect_inputs


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")  # collection never opens the files
    return path


def names(items: list[InputItem]) -> list[str]:
    return [item.name for item in items]


def test_a_folder_is_searched_recursively_sorted_without_hidden_files(tmp_path):
    root = tmp_path / "panos"
    for rel in ("b.JPG", "a.png", "sub/b.png", "sub2/b.png", "a-b/x.png", "a/x.webp"):
        touch(root / rel)
    for rel in (".hidden.png", ".cache/c.png", "sub/.a.png.123.tmp", "notes.md", "list.txt"):
        touch(root / rel)
    items = collect_inputs(root)
    # sorted by path components, as pathlib sorts paths (and as the old collectors did)
    assert names(items) == ["a/x", "a-b/x", "a", "b", "sub/b", "sub2/b"]
    assert [i.path for i in items] == sorted(i.path for i in items)
    assert items[2].path == root / "a.png" and items[3].path == root / "b.JPG"
    assert collect_inputs(str(root)) == items  # a str, a Path or a list of them
    touch(tmp_path / ".panos" / "z.png")  # only what is below the folder given is skipped
    assert names(collect_inputs(tmp_path / ".panos")) == ["z"]


def test_a_single_file_is_named_by_its_stem_even_if_missing(tmp_path):
    items = collect_inputs([touch(tmp_path / "x" / "room.v2.jpg"), tmp_path / "gone.png"])
    assert items == [
        InputItem("room.v2", tmp_path / "x" / "room.v2.jpg"),
        InputItem("gone", tmp_path / "gone.png"),  # reported when it is read
    ]


def test_list_files_first_column_relative_to_their_folder(tmp_path):
    lists = tmp_path / "lists"
    outside = touch(tmp_path / "elsewhere" / "c.png")
    touch(lists / "imgs" / "a.png")
    listing = lists / "train.lst"
    listing.write_text(
        "# rgb [depth]\n"
        "imgs/a.png depth/a.png   # labeled lists read as unlabeled\n"
        "\n"
        f"{lists / 'imgs' / 'b.png'}\n"  # absolute, inside the list's folder
        "./imgs/../imgs/c.png\n"
        "../elsewhere/c.png\n"  # outside: its absolute path without the root
    )
    items = collect_inputs(listing)
    absolute = Path(os.path.abspath(outside)).with_suffix("")
    assert names(items) == ["imgs/a", "imgs/b", "imgs/c", absolute.relative_to("/").as_posix()]
    assert items[0].path == lists / "imgs" / "a.png"
    assert items[3].path == lists / "../elsewhere/c.png" and items[3].path.resolve() == outside
    for suffix in (".txt", ".list"):  # all three list suffixes
        other = listing.with_suffix(suffix)
        other.write_text("imgs/a.png\n")
        assert names(collect_inputs(other)) == ["imgs/a"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.png\nb.png c.png d.png\n", r"l\.txt:2: expected 'rgb \[depth\]'.*3 fields"),
        ("a.png\nb.gif\n", r"l\.txt:2: 'b\.gif' is not an image \(\.png"),
        ("# nothing\n\n", r"l\.txt: list file has no entries"),
    ],
)
def test_bad_list_files_name_the_file_and_line(tmp_path, text, message):
    (tmp_path / "l.txt").write_text(text)
    with pytest.raises(InputError, match=message):
        collect_inputs(tmp_path / "l.txt")


def test_a_missing_list_file_is_an_error(tmp_path):
    with pytest.raises(InputError, match=r"nope\.txt: list file not found"):
        collect_inputs(tmp_path / "nope.txt")


def test_two_inputs_with_one_name_are_refused_naming_both(tmp_path):
    x, y = touch(tmp_path / "x" / "a.png"), touch(tmp_path / "y" / "a.png")
    with pytest.raises(InputError, match=r"named 'a': .*x/a\.png and .*y/a\.png"):
        collect_inputs([x, y])
    assert names(collect_inputs(tmp_path)) == ["x/a", "y/a"]  # the folder holding both
    touch(tmp_path / "x" / "a.jpg")
    with pytest.raises(InputError, match=r"named 'a': .*a\.jpg and .*a\.png"):
        collect_inputs(tmp_path / "x")  # same name, different suffix
    with pytest.warns(UserWarning, match=r"is given twice"):  # the same file: used once
        assert collect_inputs([y, y, tmp_path / "y" / ".." / "y" / "a.png"]) == [InputItem("a", y)]


def test_items_are_kept_as_given_and_checked_with_the_rest(tmp_path):
    a = touch(tmp_path / "p" / "a.png")
    item = InputItem("custom/name", tmp_path / "anything.png")
    assert collect_inputs([item, a]) == [item, InputItem("a", a)]
    with pytest.raises(InputError, match="named 'a'"):
        collect_inputs([InputItem("a", tmp_path / "b.png"), a])


def test_an_empty_folder_gives_nothing(tmp_path):
    assert collect_inputs(tmp_path) == []


def test_image_suffixes_are_defined_once():
    from panodepth.data.datasets import base, listfile, unlabeled

    assert base.IMAGE_SUFFIXES is IMAGE_SUFFIXES
    assert listfile.IMAGE_SUFFIXES is IMAGE_SUFFIXES and unlabeled.IMAGE_SUFFIXES is IMAGE_SUFFIXES
    src = Path(__file__).parents[2] / "src" / "panodepth"
    defining = [
        p.relative_to(src).as_posix()
        for p in src.rglob("*.py")
        if "IMAGE_SUFFIXES = " in p.read_text() or "IMAGE_SUFFIXES: " in p.read_text()
    ]
    assert defining == ["io/inputs.py"]
