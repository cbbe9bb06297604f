"""German and Spanish besides English: the catalogs agree with each other, the synced command
tree carries Discord's localizations, and each user's client locale picks the language of
the bot's replies (the real bot against the strict emulator; no worker: the jobs only queue)."""

from __future__ import annotations

import ast
import dataclasses
import json
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


def rule_refusals() -> list[tuple[str, str]]:
    """(file, English template) of every refusal of the challenge rules (``errors.X(...)`` in bot/db)."""
    found = []
    for path in sorted((BOT / "db").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "errors" and node.args):
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path.name}: a refusal that is no template: {ast.unparse(first)}"
                found.append((path.name, first.value))
    return found


def test_every_refusal_is_translated():
    from bot import errors
    from bot.cogs.general.commands import NOT_A_RESULT

    texts = refusal_texts()
    assert len(texts) > 50, texts
    contract_texts = contract_refusals()
    assert len(contract_texts) >= 8, contract_texts
    texts += contract_texts
    rule_texts = rule_refusals()
    assert len(rule_texts) >= 19, rule_texts
    texts += rule_texts
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
    from bot.cogs.wiki.commands import wiki_label

    job = WikiJob(job_id="a" * 32, seed="The fox\njumps")
    assert presenters.late_delivery_line(42, wiki_label(job), failed=False) == "<@42>, here is your article “The fox”."
    assert presenters.late_delivery_line(42, wiki_label(job, "de"), failed=False, locale="de") == (
        "<@42>, hier ist dein Ergebnis: Artikel „The fox“.")
    # No label (a job from before labels): no English word in the line either.
    assert presenters.late_delivery_line(42, "", failed=True, locale="es-419") == "<@42>, no se pudo hacer tu petición:"
    assert presenters.late_delivery_line(42, "", failed=False, locale="de") == "<@42>, hier ist dein Ergebnis."
    assert presenters.late_delivery_line(42, "", failed=False) == "<@42>, here is your result."


def test_a_requests_label_is_in_the_requesters_language():
    from bot.cogs.music.commands import compose_label
    from bot.views import derive_job

    compose = ComposeJob(job_id="a" * 32, genre="classical_piano")
    assert compose_label(compose) == "classical piano piece"
    assert compose_label(compose, "es-ES") == "pieza de classical piano"
    pending = PendingJob(job_id="a" * 32, task_name=contracts.TASK_COMPOSE, user_id=1, channel_id=2, guild_id=3,
                         job=compose.to_dict(), label=compose_label(compose, "de"), locale="de")
    labels = {action: derive_job(pending, action, "jazz", "de")[1] for action in ("regen", "vary", "longer", "genre")}
    assert labels == {"regen": "Neufassung von Stück (classical piano)",
                      "vary": "Variation von Stück (classical piano)",
                      "longer": "längere Fassung von Stück (classical piano)",
                      "genre": "jazz-Fassung von Stück (classical piano)"}
    assert derive_job(pending, "genre", "jazz")[1] == "jazz version of Stück (classical piano)"
    for template in ("continuation of {what}", "variation of {what}", "edited {what}", "{genre} piece",
                     "article “{seed}”"):
        assert all(t(lang, template) != template for lang in i18n.CATALOGS), template


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


def test_a_word_with_two_meanings_has_a_translation_for_each():
    from bot.cogs.challenges import embeds
    from bot.db.models import ChallengeState

    # The option /challenge create voting (a name: lowercase) and the state of a challenge.
    voting = embeds.STATE_LABELS[ChallengeState.VOTING]
    assert (t("de", "voting"), t("de", voting), t("es-ES", voting), t("en-US", voting)) == (
        "abstimmung", "Abstimmung", "votación", "voting")
    # A text's length (the /wiki option, its refusal) and a clip's (its duration).
    assert (t("es-ES", "Length"), t("es-ES", presenters.CLIP_LENGTH)) == ("Longitud", "Duración")
    assert (t("de", "Length"), t("de", presenters.CLIP_LENGTH), t(None, presenters.CLIP_LENGTH)) == (
        "Länge", "Dauer", "Length")
    with pytest.raises(BadInput) as refused:
        validated(WikiJob(job_id="a" * 32, seed="The fox", length=5000))
    assert refused.value.localized("es-ES") == "Longitud: debe ser un número entero de 100 a 4000."


def challenge(locale: str | None, **changes) -> object:
    from datetime import UTC, datetime, timedelta

    from bot.db.models import ChallengeKind, ChallengeState
    from bot.db.records import ChallengeRecord

    start = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    fields = dict(id=7, guild_id=1, channel_id=2, created_by=3, title="Jazz night", prompt="A jazz clip",
                  kind=ChallengeKind.MUSIC, genre="jazz", submission_deadline=start + timedelta(days=1),
                  voting_deadline=start + timedelta(days=2), state=ChallengeState.OPEN, announcement_message_id=None,
                  results_message_id=None, created_at=start, voting_opened_at=None, closed_at=None, locale=locale)
    return ChallengeRecord(**{**fields, **changes})


def test_a_challenges_public_messages_are_in_its_guilds_language():
    from bot.cogs.challenges import embeds
    from bot.cogs.challenges.views import ballot_view
    from bot.db.records import CloseOutcome, ResultRecord, Scoring, SubmissionRecord

    scoring = Scoring()
    english = embeds.announcement_embed(challenge(None), scoring, thread_id=9)
    assert english.title == "🎯 Challenge #7: Jazz night" and english.footer.text == "Challenge #7"
    assert [f.name for f in english.fields] == ["Kind", "Genre", "Submissions close", "Voting closes", "Rules",
                                                "Entries and talk"]
    assert english.fields[4].value.splitlines()[-1] == "• Winner 3 points, runner-up 1."
    german = embeds.announcement_embed(challenge("de"), scoring, thread_id=9)
    assert german.title == "🎯 Wettbewerb #7: Jazz night" and german.description == "A jazz clip"
    fields = {f.name: f.value for f in german.fields}
    assert list(fields) == ["Art", "Genre", "Einsendeschluss", "Ende der Abstimmung", "Regeln", "Beiträge und Gespräche"]
    assert fields["Art"] == "Musik" and fields["Beiträge und Gespräche"] == "<#9>"
    assert fields["Regeln"].startswith("• Einreichen mit `/wettbewerb einreichen`: ein wikimuse-Clip aus deinem")
    assert fields["Regeln"].splitlines()[-1] == "• Sieger 3 Punkte, Zweiter 1."
    spanish = embeds.announcement_embed(challenge("es-419", kind=embeds.ChallengeKind.TEXT, genre=None), scoring)
    assert spanish.title == "🎯 Reto #7: Jazz night" and spanish.fields[0].value == "texto"
    assert "un artículo de wikimuse de tu `/historial`" in spanish.fields[3].value
    assert embeds.thread_name(challenge("es-ES")) == "Reto #7: Jazz night"

    # The ballots: the header, each entry and its button.
    assert embeds.voting_header(challenge("de"), 1).startswith("🗳️ **Die Abstimmung läuft** für Wettbewerb #7, "
                                                              "*Jazz night*: 1 Beitrag unten.")
    assert embeds.voting_header(challenge(None), 2).startswith("🗳️ **Voting is open** for challenge #7, "
                                                             "*Jazz night*: 2 entries below.")
    entry = SubmissionRecord(id=5, challenge_id=7, user_id=11, job_id="j", content=None, filename=None,
                             content_type=None, code_url="https://example.org/code", summary="jazz piece",
                             jump_url="https://discord.com/channels/1/2/3", vote_message_id=None,
                             created_at=challenge(None).created_at, updated_at=challenge(None).created_at)
    assert embeds.submission_text(challenge("es-ES"), entry, 2).splitlines() == [
        "**Entrega 2** del reto #7, de <@11>", "jazz piece", "Resultado de wikimuse: https://discord.com/channels/1/2/3",
        "Código: <https://example.org/code>"]
    assert embeds.submission_text(challenge(None), entry, 2).splitlines()[0] == "**Entry 2** for challenge #7, by <@11>"
    assert ballot_view(7, 5, 2, locale="de").children[0].item.label == "Für Beitrag 2 stimmen"
    assert ballot_view(7, 5, 2, closed=True, locale="es-ES").children[0].item.label == "Votación cerrada"
    assert ballot_view(7, 5, 2).children[0].item.label == "Vote for entry 2"

    # The results.
    won = ResultRecord(challenge_id=7, place=1, user_id=11, submission_id=5, votes=1, points=3)
    outcome = CloseOutcome(challenge("de"), (won,), submissions=2, voters=1)
    results = embeds.results_embed(outcome, [(5, 11, 1)], {5: 2})
    assert results.title == "🏆 Ergebnisse von Wettbewerb #7: Jazz night"
    assert [(f.name, f.value) for f in results.fields] == [
        ("🥇 Sieger", "<@11>, Beitrag 2: 1 Stimme, +3 Punkte"), ("Alle Stimmen", "Beitrag 2 (<@11>): 1")]
    assert results.footer.text == "2 Beiträge, 1 Abstimmende · /wettbewerb bestenliste"
    english = embeds.results_embed(CloseOutcome(challenge(None), (won,), 2, 1), [(5, 11, 1)], {5: 2})
    assert english.fields[0].value == "<@11>, entry 2: 1 vote, +3 points"
    assert english.footer.text == "2 entries, 1 voters · /challenge leaderboard"
    empty = embeds.results_embed(CloseOutcome(challenge("es-ES"), (), submissions=0, voters=0), [], {})
    assert empty.description == "No hubo entregas, así que esta vez no hay ganador."
    # A challenge from before its language was stored (None) and a locale without a catalog: English.
    assert embeds.announcement_embed(challenge("fr"), scoring).fields[0].name == "Kind"


def test_a_workers_error_is_shown_in_the_users_language():
    from bot import safety

    job = ComposeJob(job_id="a" * 32, genre=contracts.GENRE_NAMES[0], bars=65)
    with pytest.raises(contracts.InvalidJob) as raised:
        job.validate()
    sent = ErrorResult.refusal(job.job_id, raised.value)
    received = contracts.result_from_dict(json.loads(sent.to_json()))  # as it crosses the queue
    assert received == sent and received.message == "Bars must be a whole number from 1 to 64."
    assert received.template == "{name} must be a whole number from {low:,} to {high:,}."
    assert presenters.result_reply(received, locale="de").embeds[0].description == (
        "Takte muss eine ganze Zahl von 1 bis 64 sein.")
    assert presenters.error_message(received, "es-419") == "Compases: debe ser un número entero de 1 a 64."
    assert presenters.error_message(received, "fr") == received.message
    # A result of a worker from before templates: its message, translated where it is a known text.
    old = contracts.result_from_dict({"kind": "error_result", "job_id": "j", "code": contracts.ERR_TIMEOUT,
                                      "message": "The job took too long and was stopped. Try a shorter length."})
    assert (old.template, old.fields) == ("", {})
    assert presenters.error_message(old, "es-ES") == (
        "El trabajo ha tardado demasiado y se ha detenido. Prueba con una longitud menor.")
    odd = ErrorResult(job_id="j", code=contracts.ERR_BAD_INPUT, message="Odd {thing}.")
    assert presenters.error_message(odd, "de") == "Odd {thing}."
    # A newer worker's template this bot lacks, or fields that do not fit it: the English message.
    newer = ErrorResult.of("j", contracts.ERR_BAD_INPUT, "A new refusal about {thing}.", thing="that")
    assert presenters.error_message(newer, "de") == "A new refusal about that."
    misfit = dataclasses.replace(received, fields={"name": "Bars"})
    assert presenters.error_message(misfit, "de") == received.message
    # Safe mode masks the fields too, so the translation shows no blocked word either.
    unknown = ErrorResult.of("j", contracts.ERR_BAD_INPUT, "I don't know the genre “{genre}”. Choose one of: {genres}.",
                             genre="zebra", genres="jazz")
    masked = safety.mask_result(unknown, safety.Blocklist(["zebra"]))
    assert "zebra" not in presenters.error_message(masked, "de") and "zebra" not in masked.message


def worker_error_texts() -> list[tuple[str, str]]:
    """(file, English template) of every error a worker returns: the templates of the
    ``ErrorResult.of`` and ``_bad`` calls and the ``InvalidJob`` refusals in workers/, and the
    fixed messages of a MIDI file the worker cannot read (models/music/midi_io.py)."""
    root = Path(contracts.__file__).resolve().parents[1]
    found = []
    for path in (root / "workers" / "pipeline.py", root / "workers" / "tasks.py", root / "models/music/midi_io.py"):
        tree = ast.parse(path.read_text())
        constants = {target.id: node.value.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                     for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            at = {"of": 2, "_bad": 1, "InvalidJob": 0, "MIDIConversionError": 0}.get(name)
            if at is None or len(node.args) <= at:
                continue
            arg = node.args[at]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((path.name, arg.value))
            elif isinstance(arg, ast.Name) and arg.id in constants:
                found.append((path.name, constants[arg.id]))
    return found


def test_every_workers_error_is_translated():
    from models.text.vocab import OutOfVocabularyError

    texts = worker_error_texts()
    assert len(texts) >= 20, texts
    assert ("tasks.py", "The job took too long and was stopped. Try a shorter length.") in texts
    texts += [("vocab.py", OutOfVocabularyError(chars).template) for chars in ("\u0416", "\u0416\u0417" * 20)]
    for lang, catalog in i18n.CATALOGS.items():
        missing = [(where, text) for where, text in texts if text not in catalog]
        assert not missing, (lang, missing)


def test_about_describes_the_models_in_the_users_language():
    from bot.cogs.general.commands import _model_summaries

    shipped = Path(contracts.__file__).resolve().parents[1] / "models" / "checkpoints"
    english, german = dict(_model_summaries(shipped)), dict(_model_summaries(shipped, "de"))
    assert english["wiki_writer"].startswith("Character-level stacked LSTM trained on WikiText-2")
    assert german["wiki_writer"].startswith("Zeichenbasiertes, gestapeltes LSTM, trainiert auf WikiText-2")
    assert "Daten: " in german["wiki_writer"] and "Gemessen: test_" in german["wiki_writer"]
    assert german["wiki_writer"].endswith(" Parameter.") and english["wiki_writer"].endswith(" parameters.")
    spanish = dict(_model_summaries(shipped, "es-ES"))
    assert spanish["música: lstm"].startswith("Compositor LSTM sobre piano rolls de 88 teclas. Medido por género: ")
    assert english["music: lstm"].startswith("LSTM composer over 88-key piano rolls. Measured per genre: ")
    for blurb in contracts.MUSIC_KINDS.values():
        assert all(t(lang, blurb) != blurb for lang in i18n.CATALOGS), blurb


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
        assert {f.name: f.value for f in embed.fields}[t(locale, presenters.CLIP_LENGTH)] == length
        error = ErrorResult(job_id="a" * 32, code=contracts.ERR_TIMEOUT, message="Too slow.")
        assert presenters.result_reply(error, locale=locale).embeds[0].title == t(locale, "That took too long")


def long_midi(notes: int = 1200) -> bytes:
    """A Standard MIDI File of ``notes`` short notes: over contracts.UPLOAD_INLINE_MAX once in
    base64, so that the bot stores it in Redis and the job carries its key."""
    events = b"".join(bytes([0x00, 0x90, 60 + i % 12, 0x60, 0x30, 0x80, 60 + i % 12, 0x40]) for i in range(notes))
    track = events + b"\x00\xff\x2f\x00"
    return b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk" + len(track).to_bytes(4, "big") + track


async def test_a_workers_refusal_reaches_the_user_in_their_language(
        discord_emulator, redis_server_factory, start_celery_worker, tmp_path):
    import redis

    from tests.emulator.server import Upload

    emulator = discord_emulator
    server = redis_server_factory()  # its own Redis: only the worker started below consumes it
    broker = redis.Redis.from_url(server.url)
    data = long_midi()
    assert len(contracts.b64encode(data)) > contracts.UPLOAD_INLINE_MAX
    try:
        async with running_bot(emulator, redis_url=server.url) as bot:
            user = emulator.add_user("user-es", locale="es-ES")
            record = await emulator.invoke("continue", {"midi": Upload("long.mid", data, "audio/midi"), "bars": 2},
                                           user=user)
            stored = await emulator.wait_for(lambda: broker.keys(contracts.UPLOAD_KEY.format("*")), 15,
                                             "the upload stored by reference")
            broker.delete(*stored)  # as if it expired before any worker took the job
            start_celery_worker(queues=("music",), redis_url_override=server.url, env={"MODEL_DIR": str(tmp_path)})
            final = await emulator.wait_for(
                lambda: [e for e in emulator.original_edits(record) if e.json.get("embeds")], 90, "the error")
            assert await bot.store.all_pending() == []
    finally:
        broker.close()
    embed = final[-1].json["embeds"][0]
    assert embed["title"] == "Esa petición no se puede hacer"
    assert embed["description"] == "El archivo MIDI subido ya no está guardado; vuelve a enviarlo."
    emulator.assert_no_invalid_requests()


async def test_a_challenge_is_announced_and_balloted_in_its_guilds_language(
        discord_emulator, scratch_redis_url, tmp_path):
    from bot.db import default_sqlite_url
    from tests.emulator.server import Upload

    emulator = discord_emulator
    emulator.guild_locale = "de"
    midi = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"
    async with running_bot(emulator, redis_url=scratch_redis_url, extensions=("bot.cogs.challenges",),
                           database_url=default_sqlite_url(tmp_path)) as bot:
        admin = emulator.add_user("admin-es", admin=True, locale="es-ES")
        created = await emulator.invoke("challenge create", {
            "title": "Jazz", "prompt": "A jazz clip", "kind": "music", "deadline": "1h"}, user=admin)
        answer = await emulator.wait_for(
            lambda: (m := emulator.original_message(created)) and not m["flags"] & 128 and m, 15, "the answer")
        entry = await emulator.invoke("challenge submit", {
            "challenge": 1, "file": Upload("mine.mid", midi, "audio/midi")}, user=emulator.add_user("m", locale="de"))
        await emulator.wait_for(lambda: (m := emulator.original_message(entry)) and not m["flags"] & 128, 15)
        voting = await emulator.invoke("challenge start-voting", {"challenge": 1}, user=admin)
        await emulator.wait_for_callback(voting)
        ballots = await emulator.wait_for(
            lambda: [m for m in emulator.channel_messages() if m.get("components")], 15, "the ballot")
        stored = await bot.database.run(bot.database.challenges.get, 1)
        # The rules' refusals, in the asker's language; a challenge's state by its label.
        missing = await emulator.invoke("challenge cancel", {"challenge": 99}, user=admin)
        await emulator.wait_for_callback(missing)
        cancels = []
        for _ in range(2):
            cancels.append(await emulator.invoke("challenge cancel", {"challenge": 1}, user=admin))
            await emulator.wait_for_callback(cancels[-1])
    assert missing.callback_json["data"]["content"] == "Aquí no hay ningún reto #99."
    cancelled, again = (record.callback_json["data"] for record in cancels)
    assert not cancels[0].ephemeral and cancels[1].ephemeral  # the cancellation is public, the refusal private
    assert cancelled["content"] == f"Wettbewerb #1, *Jazz*, wurde von <@{admin}> abgebrochen."
    assert again["content"] == "El reto #1 ya está en estado «cancelado»."
    # The one who asked reads their own language; everyone reads the guild's.
    assert answer["content"].startswith("El reto #1 está anunciado: ")
    assert voting.callback_json["data"]["content"].startswith("La votación del reto #1 está abierta")
    assert stored.locale == "de"
    [announcement] = [m for m in emulator.channel_messages() if m["embeds"]]
    embed = announcement["embeds"][0]
    assert embed["title"] == "🎯 Wettbewerb #1: Jazz" and embed["footer"]["text"] == "Wettbewerb #1"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Art"] == "Musik" and "Regeln" in fields and "Einsendeschluss" in fields
    [header] = [m for m in emulator.channel_messages() if m["content"].startswith("🗳️")]
    assert header["content"].startswith("🗳️ **Die Abstimmung läuft** für Wettbewerb #1, *Jazz*: 1 Beitrag unten.")
    assert ballots[0]["content"].startswith("**Beitrag 1** zu Wettbewerb #1, von <@")
    assert ballots[0]["components"][0]["components"][0]["label"] == "Für Beitrag 1 stimmen"
    emulator.assert_no_invalid_requests()


def test_a_results_footer_is_in_the_requesters_language():
    from workers.contracts import WikiResult

    article = WikiResult(job_id="a" * 32, seed="The fox", title="", markdown="The fox ran.", text="The fox ran.",
                         chars=12, rng_seed=7, model="wiki_writer", seconds=1.5, batch_size=2)
    footers = {locale: presenters.result_reply(article, locale=locale).embeds[0].footer.text
               for locale in (None, "de", "es-ES")}
    assert footers == {None: "wiki_writer · 12 characters · 1.5 s · seed 7 · batch of 2",
                       "de": "wiki_writer · 12 Zeichen · 1.5 s · Seed 7 · in einem Stapel von 2",
                       "es-ES": "wiki_writer · 12 caracteres · 1.5 s · semilla 7 · en un lote de 2"}
    assert presenters.result_reply(article, locale="es-ES").embeds[0].title == "Sin título"
    music = MusicResult(job_id="b" * 32, genre="jazz", model="lstm", tempo=120, rng_seed=7, seconds=9.5, bars=4,
                        notes=40, generation_seconds=0.0)
    embed = presenters.result_reply(music, locale="de").embeds[0]
    assert embed.footer.text == "40 Noten · Auftrag bbbbbbbb"
    assert {f.name: f.value for f in embed.fields}["Erzeugt in"] == "unter 1 ms"


@pytest.mark.parametrize("name", ["no_notes.mid", "huge_delta.mid", "smpte.mid", "drums_only.mid"])
def test_a_midi_file_the_worker_cannot_read_is_explained_in_the_users_language(name):
    from models.music.midi_io import MIDIConversionError, midi_bytes_to_roll

    data = (Path(__file__).resolve().parents[1] / "data" / name).read_bytes()
    with pytest.raises(MIDIConversionError) as raised:
        midi_bytes_to_roll(data, 4)
    # As a worker returns it (workers/pipeline.py: the reader's template and fields).
    result = ErrorResult.of("j", contracts.ERR_BAD_MIDI, raised.value.template, **raised.value.fields)
    result = contracts.result_from_dict(json.loads(result.to_json()))
    assert result.message == str(raised.value)
    for lang in i18n.CATALOGS:
        assert raised.value.template in i18n.CATALOGS[lang], (lang, raised.value.template)
        shown = presenters.error_message(result, lang)
        assert shown != result.message and "{" not in shown, (lang, shown)


def test_a_results_parameter_line_names_the_parameters_in_the_requesters_language():
    from bot.presenters import parameters_text

    job = contracts.WikiJob(job_id="j1", seed="The old bridge", length=1000, rng_seed=42).to_dict()
    assert parameters_text(job) == "length 1000 · temperature 0.8 · top-k 0 · top-p 0.95 · seed 42 · model wiki_writer"
    assert parameters_text(job, "de") == "Länge 1000 · Temperatur 0.8 · Top-k 0 · Top-p 0.95 · Seed 42 · Modell wiki_writer"
    assert parameters_text(job, "es-ES").startswith("longitud 1000 · temperatura 0.8 · top-k 0 · top-p 0.95 · semilla 42")
    compose = contracts.ComposeJob(job_id="j2", genre="jazz", seconds=30, tempo=120, rng_seed=1).to_dict()
    assert "Dauer (s) 30" in parameters_text(compose, "de") and "Tempo 120" in parameters_text(compose, "de")
    assert "duración (s) 30" in parameters_text(compose, "es-419")
