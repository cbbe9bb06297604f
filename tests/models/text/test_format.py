"""WikiText -> title + Discord markdown."""

from models.text.format import clean_line, format_article
from models.text.vocab import UNK


def test_title_sections_and_paragraphs():
    text = (" = Valkyria Chronicles = \n \n The game was released in 2011 , selling 1 @,@ 000 @,@ 000 copies . \n"
            " \n = = Gameplay = = \n \n It is a well @-@ known role @-@ playing game ( RPG ) . \n"
            " = = = Combat = = = \n Each unit costs 3 @.@ 5 points ; enemies don 't . \n")
    title, markdown = format_article(text)
    assert title == "Valkyria Chronicles"
    assert markdown == (
        "The game was released in 2011, selling 1,000,000 copies.\n\n"
        "## Gameplay\n\n"
        "It is a well-known role-playing game (RPG).\n\n"
        "### Combat\n\n"
        "Each unit costs 3.5 points; enemies don't."
    )


def test_without_a_title_line_the_title_is_the_first_words():
    title, markdown = format_article("I plan to make the world a better place by building roads and "
                                     "bridges across the river . \n")
    assert title == "I plan to make the world a better…"
    assert markdown.startswith("I plan to make the world a better place by building")
    assert markdown.endswith("river.")


def test_quotes_and_unknown_symbol_are_cleaned():
    assert clean_line(' He said " hello there " to ' + UNK + " them . ") == 'He said "hello there" to them.'


def test_discord_markdown_is_escaped():
    _, markdown = format_article(" a *bold* claim with _under_ and `code` | pipes \n - not a list \n")
    assert "\\*bold\\*" in markdown and "\\_under\\_" in markdown and "\\`code\\`" in markdown
    assert "\\|" in markdown
    assert "\n\n\\- not a list" in markdown


def test_later_top_level_heading_becomes_h1_and_empty_text_is_fine():
    _, markdown = format_article(" = A = \n text \n = B = \n more \n")
    assert markdown == "text\n\n# B\n\nmore"
    assert format_article("") == ("", "")
