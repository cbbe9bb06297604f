"""German and Spanish besides English: the catalogs agree with each other, the synced command
tree carries Discord's localizations, and each user's client locale picks the language of
the bot's replies (the real bot against the strict emulator; no worker: the jobs only queue)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from bot import i18n, presenters
from bot.errors import BadInput
from bot.i18n import t
from bot.store import PendingJob
from bot.validation import validated
from bot.views import edit_fields, result_view
from tests.emulator.harness import running_bot
from tests.emulator.rules import (
    CHAT_INPUT,
    MODAL_TITLE_MAX,
    TEXT_INPUT_LABEL_MAX,
    check_commands,
    valid_command_name,
)
from workers import contracts
from workers.contracts import ComposeJob, ContinueJob, ErrorResult, MusicResult, WikiJob

pytestmark = pytest.mark.timeout(120)


def test_every_catalog_has_every_key_with_the_same_placeholders():
    languages = sorted(i18n.CATALOGS)
    assert languages == ["de", "es"]
    keys = {lang: set(i18n.CATALOGS[lang]) for lang in languages}
    assert keys["de"] == keys["es"], keys["de"] ^ keys["es"]
    for lang in languages:
        for english, text in i18n.CATALOGS[lang].items():
            assert text.strip(), (lang, english)
            assert i18n.placeholders(text) == i18n.placeholders(english), (lang, english, text)


def test_a_locale_picks_its_language_and_anything_else_is_english():
    assert i18n.language("de") == "de" and i18n.language("es-ES") == i18n.language("es-419") == "es"
    assert {i18n.language(code) for code in ("fr", "en-US", "en-GB", "", None)} == {"en"}
    refusal = "This command works only in a server."
    assert t("de", refusal) == "Dieser Befehl funktioniert nur auf einem Server."
    assert t("es-419", refusal) == t("es-ES", refusal) == "Este comando solo funciona en un servidor."
    assert t("fr", refusal) == t("en-US", refusal) == refusal
    # A text no catalog has stays English, formatted all the same.
    assert t("de", "Nothing like {this} is translated.", this="that") == "Nothing like that is translated."
    assert t("de", "Queued, position {position}", position=3) == "In der Warteschlange, Platz 3"


BOT = Path(__file__).resolve().parents[2] / "bot"
REFUSALS = {"BotError", "BadInput", "NotAllowed", "LimitReached", "BackendUnavailable", "ChallengeCommandError",
            "UploadRejected", "BadDeadline", "NotYourResult"}


def refusal_texts() -> list[tuple[str, str]]:
    """(file, English template) of every message a refusal (a BotError) is raised with in
    bot/: literals, module constants and either arm of a conditional."""
    found = []
    for path in sorted(BOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        constants = {target.id: node.value.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                     for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in REFUSALS and node.args):
                continue
            first = node.args[0]
            for arm in (first.body, first.orelse) if isinstance(first, ast.IfExp) else (first,):
                assert not isinstance(arm, ast.JoinedStr), f"{path.name}: an f-string refusal: {ast.unparse(arm)}"
                if isinstance(arm, ast.Constant):
                    found.append((path.name, arm.value))
                elif isinstance(arm, ast.Name) and arm.id in constants:
                    found.append((path.name, constants[arm.id]))
    return found


def contract_refusals() -> list[tuple[str, str]]:
    """("contracts.py", English template) of every InvalidJob the job contracts raise."""
    tree = ast.parse(Path(contracts.__file__).read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "InvalidJob":
            [first, *_] = node.args
            assert isinstance(first, ast.Constant), f"contracts.py: a refusal that is no template: {ast.unparse(first)}"
            found.append(("contracts.py", first.value))
    return found


def test_every_refusal_is_translated():
    from bot import errors
    from bot.cogs.general.commands import NOT_A_RESULT

    texts = refusal_texts()
    assert len(texts) > 50, texts
    contract_texts = contract_refusals()
    assert len(contract_texts) >= 8, contract_texts
    texts += contract_texts
    texts += [("contracts.py", name) for name in ("Length", "Temperature", "Top-k", "Top-p", "Seed", "Bars", "Tempo")]
    texts += [("errors.py", errors.GENERIC_MESSAGE), ("errors.py", errors.BackendUnavailable().template),
              ("commands.py", NOT_A_RESULT)]
    for lang, catalog in i18n.CATALOGS.items():
        missing = [(where, text) for where, text in texts if text not in catalog]
        assert not missing, (lang, missing)


@pytest.mark.parametrize("job", [WikiJob.__new__(WikiJob), ComposeJob.__new__(ComposeJob),
                                 ContinueJob.__new__(ContinueJob)], ids=["wiki", "compose", "continue"])
@pytest.mark.parametrize("bars", [None, 4])
def test_the_edit_modal_is_translated_within_discords_limits(job, bars):
    object.__setattr__(job, "bars", bars)
    for lang in i18n.CATALOGS:
        assert len(t(lang, "Edit and regenerate")) <= MODAL_TITLE_MAX
        for item in edit_fields(job):
            label = t(lang, item.label)
            assert label != item.label or item.label == "Genre" and lang == "de", (lang, item.label)
            assert 1 <= len(label) <= TEXT_INPUT_LABEL_MAX, (lang, label)


def walk(items: list[dict]):
    for item in items:
        yield item
        yield from walk(item.get("options") or [])


async def test_each_user_gets_the_bot_in_their_clients_language(discord_emulator, scratch_redis_url):
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=scratch_redis_url, progress_interval=0.3) as bot:
        # The synced tree: every command, option and menu localized for de, es-ES and es-419,
        # and accepted by the strict checks of those localizations.
        [sync] = emulator.requests_matching("PUT", "/commands")
        assert sync.status == 200, sync.response
        assert not check_commands(sync.json)
        for command in sync.json:
            for item in walk([command]) if command.get("type", CHAT_INPUT) == CHAT_INPUT else [command]:
                names = item.get("name_localizations") or {}
                assert {"de", "es-ES", "es-419"} <= set(names), item["name"]
                assert names["es-ES"] == names["es-419"]
                assert "fr" not in names
                if command.get("type", CHAT_INPUT) == CHAT_INPUT:
                    assert all(valid_command_name(n) for n in names.values()), names
                    assert set(item.get("description_localizations") or {}) >= {"de", "es-ES"}, item["name"]
        wiki = next(c for c in sync.json if c["name"] == "wiki")
        assert wiki["description_localizations"]["de"] == t("de", wiki["description"])
        compose = next(c for c in sync.json if c["name"] == "compose")
        assert compose["name_localizations"] == {"de": "komponieren", "es-ES": "componer", "es-419": "componer"}
        menus = {c["name"]: c["name_localizations"] for c in sync.json if c.get("type") == 3}
        assert menus["Write more"]["de"] == "Weiterschreiben"

        users = {code: emulator.add_user(f"user-{code}", locale=code) for code in ("de", "es-ES", "fr")}
        # Every interaction carries its user's locale and the guild's.
        first = await emulator.invoke("help", user=users["de"])
        assert first.payload["locale"] == "de" and first.payload["guild_locale"] == "en-US"

        async def reply(record) -> dict:
            await emulator.wait_for_callback(record)
            assert record.ephemeral, record.callback_json
            return record.callback_json["data"]

        # /help: the commands under the names and descriptions the user's client shows.
        help_de = (await reply(first))["embeds"][0]
        assert help_de["description"].startswith("Ich schreibe Artikel im Wikipedia-Stil")
        fields_de = {f["name"]: f["value"] for f in help_de["fields"]}
        assert fields_de["/komponieren"] == t("de", compose["description"])
        assert "**Weiterschreiben**" in fields_de["Rechtsklick auf eine Nachricht → Apps"]
        help_es = (await reply(await emulator.invoke("help", user=users["es-ES"])))["embeds"][0]
        assert "/ayuda" in {f["name"] for f in help_es["fields"]}
        assert help_es["footer"]["text"].startswith("Los botones bajo un resultado")
        help_fr = (await reply(await emulator.invoke("help", user=users["fr"])))["embeds"][0]
        assert help_fr["description"].startswith("I write Wikipedia-style articles")
        assert "/compose" in {f["name"] for f in help_fr["fields"]}

        # A refusal.
        wanted = {"de": "Diesen Auftrag finde ich unter deinen nicht. Mit /warteschlange siehst du sie.",
                  "es-ES": "No encuentro ese trabajo entre los tuyos. Usa /cola para verlos.",
                  "fr": "I can't find that job among yours. Use /queue to see them."}
        for code, text in wanted.items():
            record = await emulator.invoke("cancel", {"job": "ffffffff"}, user=users[code])
            assert (await reply(record))["content"] == text
        # A refusal of a job contract's check, with its fields (and an option's name) translated.
        genres = ", ".join(contracts.GENRE_NAMES)
        unknown = {"de": f"Das Genre „polka“ kenne ich nicht. Wähl eines davon: {genres}.",
                  "es-ES": f"No conozco el género «polka». Elige uno de estos: {genres}.",
                  "fr": f"I don't know the genre “polka”. Choose one of: {genres}."}
        for code, text in unknown.items():
            record = await emulator.invoke("compose", {"genre": "polka"}, user=users[code])
            assert (await reply(record))["content"] == text
        # A guild-only command forced through in a DM.
        record = await emulator.invoke("config", {}, user=users["de"], dm=True, force=True)
        assert (await reply(record))["content"] == "Dieser Befehl funktioniert nur auf einem Server."

        # Progress: with no worker the job waits in the queue, and the reply says so.
        queued = {code: await emulator.invoke("wiki", {"seed": "The fox"}, user=users[code])
                  for code in ("de", "es-ES", "fr")}
        prefixes = {"de": "In der Warteschlange", "es-ES": "En cola", "fr": "Queued"}
        for code, record in queued.items():
            edits = await emulator.wait_for(lambda r=record: emulator.original_edits(r), 10)
            assert edits[0].json["content"].startswith(prefixes[code]), edits[0].json
            assert edits[0].json["content"].endswith("…")
        # Cancelled: the confirmation, then the result (an error) under a German title.
        [job] = [j for j in await bot.store.all_pending() if j.user_id == users["de"]]
        assert job.locale == "de"
        record = await emulator.invoke("cancel", {"job": job.job_id[:8]}, user=users["de"])
        assert (await reply(record))["content"] == f"`{job.job_id[:8]}` ({job.label}) abgebrochen."
        final = await emulator.wait_for(
            lambda: [e for e in emulator.original_edits(queued["de"]) if e.json.get("embeds")], 10)
        assert final[-1].json["embeds"][0]["title"] == "Abgebrochen"
        # Another language for the same user, from the next interaction on.
        emulator.set_locale(users["fr"], "es-419")
        record = await emulator.invoke("cancel", {"job": "ffffffff"}, user=users["fr"])
        assert (await reply(record))["content"] == wanted["es-ES"]
    emulator.assert_no_invalid_requests()


def test_a_contracts_refusal_keeps_its_english_and_is_shown_in_the_users_language():
    wiki = WikiJob(job_id="a" * 32, seed="x" * (contracts.WIKI_SEED_MAX_CHARS + 1))
    with pytest.raises(contracts.InvalidJob) as raised:
        wiki.validate()
    assert str(raised.value) == "The seed is 501 characters long; the limit is 500."
    with pytest.raises(BadInput) as refused:
        validated(dataclasses.replace(wiki, seed="The fox", length=5000))
    assert refused.value.user_message == "Length must be a whole number from 100 to 4,000."
    assert refused.value.localized("de") == "Länge muss eine ganze Zahl von 100 bis 4000 sein."
    assert refused.value.localized("fr") == refused.value.user_message
    with pytest.raises(BadInput) as refused:
        validated(ComposeJob(job_id="a" * 32, genre=contracts.GENRE_NAMES[0], bars=65))
    assert refused.value.localized("de") == "Takte muss eine ganze Zahl von 1 bis 64 sein."
    assert refused.value.localized("es-419") == "Compases: debe ser un número entero de 1 a 64."
    with pytest.raises(BadInput) as refused:
        validated(ComposeJob(job_id="a" * 32, genre=contracts.GENRE_NAMES[0], temperature=3.0))
    assert refused.value.user_message == "Temperature must be a number from 0.1 to 2.0."
    assert refused.value.localized("es-ES") == "Temperatura: debe ser un número de 0.1 a 2.0."


def test_the_note_on_a_changed_seed_and_the_origin_line_are_in_the_users_language():
    from bot.cogs.wiki.commands import writable_seed
    from bot.views import ORIGINS

    typed = "The \u6771 fox \u202e\U0001f600"
    assert writable_seed(typed) == ("The Dong fox", "I changed your seed so the writer can spell it: “\u6771” → “Dong”; "
                                    "“\U0001f600” left out; 1 text-direction control(s) removed.")
    assert writable_seed(typed, "de")[1] == (
        "Ich habe deinen Anfang geändert, damit der Schreiber ihn buchstabieren kann: „\u6771“ → „Dong“; "
        "„\U0001f600“ weggelassen; 1 Textrichtungszeichen entfernt.")
    assert writable_seed(typed, "es-ES")[1].startswith("He cambiado tu inicio para que el escritor pueda escribirlo: «")
    for relation in [*ORIGINS.values(), "Continuation of"]:
        assert all(t(lang, relation) != relation for lang in i18n.CATALOGS), relation


def test_a_late_result_is_announced_in_the_requesters_language():
    label = "article “The fox”"
    assert presenters.late_delivery_line(42, label, failed=False) == "<@42>, here is your article “The fox”."
    assert presenters.late_delivery_line(42, label, failed=False, locale="de") == (
        "<@42>, hier ist dein Ergebnis: article “The fox”.")
    assert presenters.late_delivery_line(42, "", failed=True, locale="es-419") == (
        "<@42>, no se pudo crear tu resultado (petición):")


def test_the_challenge_list_and_leaderboard_are_in_the_askers_language():
    from bot.cogs.challenges import embeds
    from bot.db.records import LeaderboardRow

    rows = [LeaderboardRow(user_id=7, points=3, wins=1, runner_ups=0), LeaderboardRow(8, 1, 0, 1)]
    english = embeds.leaderboard_embed(rows, "Guild")
    assert english.title == "🏅 Challenge leaderboard: Guild"
    assert english.description == "1. <@7>: **3** points (1 win, 0 runner-up)\n2. <@8>: **1** points (0 wins, 1 runner-up)"
    german = embeds.leaderboard_embed(rows, "Guild", "de")
    assert german.title == "🏅 Wettbewerbs-Bestenliste: Guild"
    assert german.description.splitlines()[1] == "2. <@8>: **1** Punkte (0 Siege, 1× Zweiter)"
    assert embeds.leaderboard_embed([], "Guild", "es-ES").description == "Todavía no se ha decidido ningún reto."
    assert embeds.list_embed([], "es-ES").title == "Retos"
    assert embeds.list_embed([], "de").description.endswith("`/wettbewerb erstellen`.")
    for label in embeds.STATE_LABELS.values():
        assert all(t(lang, label) != label for lang in i18n.CATALOGS), label


def test_a_results_buttons_and_labels_are_in_the_requesters_language():
    job = {"job_id": "a" * 32, "genre": "jazz", "seconds": 10.0}
    result = MusicResult(job_id="a" * 32, genre="jazz", model="lstm", tempo=120, rng_seed=7, seconds=9.5, bars=4,
                         notes=40, generation_seconds=1.5, primer_seconds=2.0)
    for locale, regen, title, length in (("de", "Neu erzeugen", "Fortsetzung: jazz", "9.5 s · 4 Takte"),
                                         ("es-419", "Regenerar", "Continuación: jazz", "9.5 s · 4 compases"),
                                         ("fr", "Regenerate", "Continuation: jazz", "9.5 s · 4 bars")):
        pending = PendingJob(job_id="a" * 32, task_name=contracts.TASK_CONTINUE, user_id=1, channel_id=2, guild_id=3,
                             job=job, locale=locale)
        view = result_view(pending, result)
        labels = [item.item.label for item in view.children if hasattr(item.item, "label")]
        assert labels[0] == regen and len(labels) == 4, labels
        embed = presenters.result_reply(result, job=job, locale=locale).embeds[0]
        assert embed.title == title
        assert {f.name: f.value for f in embed.fields}[t(locale, "Length")] == length
        error = ErrorResult(job_id="a" * 32, code=contracts.ERR_TIMEOUT, message="Too slow.")
        assert presenters.result_reply(error, locale=locale).embeds[0].title == t(locale, "That took too long")
