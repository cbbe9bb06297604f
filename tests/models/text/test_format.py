"""WikiText -> title + Discord markdown."""

from hypothesis import given
from hypothesis import strategies as st

from models.text.format import clean_line, end_cleanly, format_article
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


ARTICLE = ("The Battle of Hastings was fought in 1066 . It was won by the Normans , who had landed . \n \n"
           " = = Background = = \n \n In 1051 the king said \" no more . \" The end came later with the")
SEED = "The Battle of"


def test_an_article_finishes_its_sentence_within_the_slack():
    # Length 30 falls inside the first sentence: it is finished (13 characters later).
    assert end_cleanly(ARTICLE, len(SEED), 30, slack=20) == "The Battle of Hastings was fought in 1066 ."
    # A quotation is closed with its sentence, not cut inside it.
    assert end_cleanly(ARTICLE, len(SEED), 125, slack=20).endswith('In 1051 the king said " no more . "')


def test_without_a_sentence_end_in_the_slack_it_trims_back_and_drops_a_bare_heading():
    # Length 60 (inside "who had landed"): the next end is 15 characters on, past a slack of 5.
    assert end_cleanly(ARTICLE, len(SEED), 60, slack=5) == (
        "The Battle of Hastings was fought in 1066 .")
    # At 100 the last end before it is the section heading's line: the heading, left with no
    # paragraph, goes too.
    assert end_cleanly(ARTICLE, len(SEED), 100, slack=5) == (
        "The Battle of Hastings was fought in 1066 . It was won by the Normans , who had landed .")


def test_an_article_never_ends_mid_word_and_keeps_its_prompt():
    # No sentence end after the prompt at all: the last whole word.
    assert end_cleanly("The Battle of the united kingdom and some words", len(SEED), 12, slack=5) == (
        "The Battle of the united")
    assert end_cleanly("The Battle ofxxxxxxxxxxxxxxxxxxxxx", len(SEED), 5, slack=5) == SEED
    # A text the model ended itself (shorter than the length) keeps its end.
    assert end_cleanly("The Battle of Hastings with", len(SEED), 100) == "The Battle of Hastings with"


@given(st.lists(st.sampled_from(["the", "Normans", ",", ".", "\n", " = = A = = \n", '"', "U.S.", "landed"]),
                max_size=80), st.integers(0, 300), st.integers(0, 60))
def test_every_cut_is_a_prefix_at_a_word_end(tokens, length, slack):
    text = SEED + " " + " ".join(tokens)
    out = end_cleanly(text, len(SEED), length, slack)
    assert text.startswith(out) and len(SEED) <= len(out) <= len(SEED) + length + slack
    assert len(out) == len(text) or text[len(out)].isspace()  # never mid-word
