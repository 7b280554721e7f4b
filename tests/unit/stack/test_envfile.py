"""The env file renderer: what an override does to the example's lines."""
from airkit.stack.envfile import render


def test_an_override_of_none_drops_the_line_so_the_default_applies():
    text = render("# keep\nA=1\nB=2\n", {"A": None, "C": None, "B": "3"})
    assert text == "# keep\nB=3\n"
