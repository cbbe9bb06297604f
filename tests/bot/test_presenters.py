"""Results -> Discord messages: embed limits, the seed in bold, .md attachments, upload limits."""

from __future__ import annotations

import base64

from bot import presenters
from workers.contracts import ErrorResult, MusicResult, WikiResult


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
    blob = base64.b64encode(b"x" * 1000).decode()
    result = MusicResult(job_id="abcdef123", genre="jazz", model="lstm", tempo=120, seconds=12.0, bars=6,
                         rng_seed=3, generation_seconds=2.5, midi_b64=blob, audio_b64=blob, png_b64=blob)
    reply = presenters.result_reply(result)
    assert [n.rsplit(".", 1)[1] for n, _ in reply.attachments] == ["ogg", "mid", "png"]
    fields = {f.name: f.value for f in reply.embeds[0].fields}
    assert fields["Tempo"] == "120 bpm" and fields["Seed"] == "3" and fields["Model"] == "lstm"
    limited = presenters.result_reply(result, size_limit=2500)
    assert [n.rsplit(".", 1)[1] for n, _ in limited.attachments] == ["ogg", "mid"]
    assert "upload limit" in limited.content


def test_error_reply_and_progress_text():
    reply = presenters.result_reply(ErrorResult(job_id="j", code="timeout", message="Too slow."))
    assert reply.embeds[0].description == "Too slow." and reply.attachments == []
    assert presenters.progress_text("queued", position=3, eta_seconds=24) == "Queued, position 3, about 24 s…"
    assert presenters.progress_text("running", fraction=0.4, verb="Composing") == "Composing… 40%"
