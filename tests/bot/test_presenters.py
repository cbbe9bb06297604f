"""Results -> Discord messages: embed limits, the seed in bold, .md attachments, upload limits."""

from __future__ import annotations

import dataclasses

from bot import presenters
from workers.contracts import Attachment, ErrorResult, MusicResult, WikiResult, clip_stem


def _wiki(seed: str, markdown: str, title: str = "A title") -> WikiResult:
    return WikiResult(job_id="j1", seed=seed, title=title, markdown=markdown, text=seed + " text",
                      chars=len(markdown), rng_seed=7, model="wiki_writer", seconds=1.5)


def test_short_article_is_one_embed_with_sections_and_the_seed_in_bold():
    result = _wiki("The cat", "The cat sat on the mat.\n\n## Early life\n\nBorn in a box.\n\n## Career\n\nNaps.")
    reply = presenters.wiki_reply(result)
    embed = reply.embeds[0].to_dict()
    assert embed["title"] == "A title"
    assert embed["description"] == "**The cat** sat on the mat."
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [("Early life", "Born in a box."),
                                                                  ("Career", "Naps.")]
    assert reply.attachments == []
    assert "seed 7" in embed["footer"]["text"]


def test_seed_not_at_the_start_is_shown_first_and_markdown_in_it_is_escaped():
    reply = presenters.wiki_reply(_wiki("= **Bold** =", "Something else entirely."))
    assert reply.embeds[0].description.startswith("**= \\*\\*Bold\\*\\* =**\n\n")


def test_long_article_fits_the_embed_limits_and_is_attached_as_markdown():
    sections = "\n\n".join(f"## Section {i}\n\n" + "word " * 400 for i in range(30))
    result = _wiki("Long", "Long " + "intro " * 1000 + "\n\n" + sections, title="T" * 300)
    reply = presenters.wiki_reply(result)
    embed = reply.embeds[0]
    assert len(embed) <= presenters.EMBED_TOTAL_MAX
    assert len(embed.title) <= 256 and len(embed.description) <= 4096
    assert all(len(f.value) <= 1024 for f in embed.fields) and len(embed.fields) <= 25
    (name, data), = reply.attachments
    assert name.endswith(".md") and data.decode().startswith("# " + "T" * 300)
    assert "## Section 29" in data.decode()
    assert [f.filename for f in reply.files()] == [name]


def test_music_reply_has_ogg_midi_and_png_and_respects_the_upload_limit():
    result = _clip_result()
    reply = presenters.result_reply(result)
    assert [n.rsplit(".", 1)[1] for n, _ in reply.attachments] == ["ogg", "mid", "png"]
    fields = {f.name: f.value for f in reply.embeds[0].fields}
    assert fields["Tempo"] == "120 bpm" and fields["Seed"] == "3" and fields["Model"] == "lstm"
    limited = presenters.result_reply(result, size_limit=999)
    assert limited.attachments == []
    assert "upload limit" in limited.content


def test_error_reply_and_progress_text():
    reply = presenters.result_reply(ErrorResult(job_id="j", code="timeout", message="Too slow."))
    assert reply.embeds[0].description == "Too slow." and reply.attachments == []
    assert presenters.progress_text("queued", position=3, eta_seconds=24) == "Queued, position 3, about 24 s…"
    assert presenters.progress_text("running", fraction=0.4, verb="Composing") == "Composing… 40%"


def assert_within_embed_limits(embed: dict) -> None:
    """Discord's documented embed limits (title 256, description 4096, 25 fields of
    256/1024, footer 2048, 6000 characters in all)."""
    fields = embed.get("fields", [])
    assert len(embed.get("title", "")) <= 256 and len(embed.get("description", "")) <= 4096
    assert len(fields) <= 25
    assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in fields), fields
    footer = embed.get("footer", {}).get("text", "")
    assert len(footer) <= 2048
    total = (len(embed.get("title", "")) + len(embed.get("description", "")) + len(footer)
             + sum(len(f["name"]) + len(f["value"]) for f in fields))
    assert total <= 6000, total


def _clip_result(generation_seconds: float = 2.5, sizes: tuple[int, int, int] = (1000, 1000, 1000)
                 ) -> MusicResult:
    stem = clip_stem("jazz", "abcdef123")
    files = [Attachment(f"{stem}.{suffix}", mime, b"x" * n)
             for (suffix, mime), n in zip((("ogg", "audio/ogg"), ("mid", "audio/midi"), ("png", "image/png")),
                                          sizes, strict=True)]
    return MusicResult(job_id="abcdef123", genre="jazz", model="lstm", tempo=120, seconds=12.0, bars=6,
                       rng_seed=3, generation_seconds=generation_seconds, attachments=files)


def test_the_upload_limit_is_per_file_not_on_the_sum():
    # Three files of 1000 bytes under a 1500-byte limit: each fits, so all go (their sum does not).
    reply = presenters.result_reply(_clip_result(), size_limit=1500)
    assert [n.rsplit(".", 1)[1] for n, _ in reply.attachments] == ["ogg", "mid", "png"]
    assert not reply.content
    # Only the file that is itself too large is left out, wherever it is in the list.
    reply = presenters.result_reply(_clip_result(sizes=(5000, 1000, 1000)), size_limit=1500)
    assert [n.rsplit(".", 1)[1] for n, _ in reply.attachments] == ["mid", "png"]
    assert reply.content.startswith("Left out (over this server's upload limit): ")
    assert reply.content.endswith(".ogg")


def test_an_embed_never_shows_a_picture_that_was_left_out():
    full = presenters.result_reply(_clip_result())
    (png,) = [n for n, _ in full.attachments if n.endswith(".png")]
    assert full.embeds[0].image.url == f"attachment://{png}"
    reply = presenters.result_reply(_clip_result(sizes=(1000, 1000, 5000)), size_limit=1500)
    assert png not in [n for n, _ in reply.attachments]
    assert reply.embeds[0].image.url is None
    assert "attachment://" not in str(reply.embeds[0].to_dict())
    assert png in reply.content
    assert full.embeds[0].image.url == f"attachment://{png}"  # the original reply is not changed


def test_generation_time_is_never_shown_as_zero():
    fields = {f.name: f.value for f in presenters.music_reply(_clip_result(0.034)).embeds[0].fields}
    assert fields["Generated in"] == "34 ms"
    fields = {f.name: f.value for f in presenters.music_reply(_clip_result(2.5)).embeds[0].fields}
    assert fields["Generated in"] == "2.5 s"
    assert presenters.format_duration(0.0) == "under 1 ms"
    assert presenters.format_duration(48.0) == "48 s"
    fast = WikiResult(job_id="j", seed="s", title="t", markdown="s x", text="s x", chars=3, rng_seed=1,
                      model="wiki_writer", seconds=0.02)
    assert "· 20 ms ·" in presenters.wiki_reply(fast).embeds[0].footer.text


def test_a_seed_with_markdown_characters_appears_once_in_bold():
    from models.text.format import format_article  # what the worker does with the generated text

    for seed in ("Tom > Jerry", "5 * 3 is 15", "a | b", "x_y", "# one", "- dash"):
        text = f"{seed} was written about at length .\n = = History = = \n It went on ."
        title, markdown = format_article(text)
        result = WikiResult(job_id="j", seed=seed, title=title, markdown=markdown, text=text,
                            chars=len(text), rng_seed=1, model="wiki_writer", seconds=1.0)
        description = presenters.wiki_reply(result).embeds[0].description
        assert description.startswith("**") and "\n\n" not in description, (seed, description)
        assert description.count("was written about") == 1
        bolded = description[2:description.index("**", 2 + len(seed))]
        assert bolded.replace("\\", "") == seed, (seed, bolded)


def test_a_seed_the_article_does_not_start_with_is_escaped_in_full():
    reply = presenters.wiki_reply(_wiki("2 > 1 * x", "Something else."))
    assert reply.embeds[0].description == "**2 \\> 1 \\* x**\n\nSomething else."


def test_the_late_delivery_line_neutralises_the_label_and_says_when_it_failed():
    label = "article “**hi** ||spoiler|| https://discord.gg/abc <@&1> \u202eevil\nline”"
    line = presenters.late_delivery_line(42, label, failed=False)
    assert line.startswith("<@42>, here is your article") and line.endswith(".")
    assert "\u202e" not in line and "\n" not in line
    for raw in ("**", "||", "https://", "discord.gg/", "<@&"):
        assert raw not in line, (raw, line)
    assert "\\*\\*hi\\*\\*" in line and "https\\:\\/\\/discord\\.gg\\/abc" in line
    failed = presenters.late_delivery_line(42, "article “x”", failed=True)
    assert "here is your" not in failed and failed == "<@42>, your article “x” could not be made:"
    assert presenters.result_reply(ErrorResult(job_id="j", code="timeout", message="m")).failed
    assert not presenters.result_reply(_clip_result()).failed


def test_lists_that_do_not_fit_end_with_and_n_more():
    channels = [f"<#{10**18 + i}>" for i in range(60)]
    text = presenters.join_within(channels, 1024)
    assert len(text) <= 1024 and text.endswith(" more")
    shown = text.count("<#")
    assert text.endswith(f" and {60 - shown} more") and shown >= 40
    assert presenters.join_within(channels[:3], 1024) == ", ".join(channels[:3])
    assert presenters.join_within([], 1024, empty="all channels") == "all channels"


def test_a_worker_notice_is_shown_on_the_clip():
    plain = presenters.music_reply(_clip_result()).embeds[0]
    assert plain.description is None
    notice = "Shortened to 10 new bar(s): at 40 bpm, 64 bars would last longer than 120 s, the longest clip."
    capped = presenters.music_reply(dataclasses.replace(_clip_result(), notice=notice)).embeds[0]
    assert capped.description == notice
    assert_within_embed_limits(capped.to_dict())
