"""The area hierarchy is the real one, and a code's parent is its prefix."""

from shared.areas import NATION, ancestors, area_level, areas, is_within, parent


def test_real_counts():
    index = areas()
    levels = [area_level(code) for code in index.names]
    assert levels.count("province") == 38
    assert levels.count("regency") == 514
    assert levels.count("district") == 7277
    assert levels.count("village") == 83763


def test_parent_is_prefix_up_to_the_nation():
    assert ancestors("53.71.01.1001") == ["53.71.01.1001", "53.71.01", "53.71", "53", NATION]
    assert parent("53") == NATION and parent(NATION) is None


def test_children_names_and_descendants():
    index = areas()
    assert index.name("53.71") == "KOTA KUPANG"
    assert "53.71.01" in index.children("53.71")
    assert all(parent(child) == "53.71" for child in index.children("53.71"))
    under = index.descendants("53.71")
    assert "53.71.01.1001" in under and all(is_within(code, "53.71") for code in under)


def test_jurisdiction_does_not_match_on_a_bare_prefix():
    assert is_within("53.71.01.1001", "53")
    assert is_within("53", NATION)
    assert not is_within("53.71", "53.7")
    assert not is_within("52.01", "53")
