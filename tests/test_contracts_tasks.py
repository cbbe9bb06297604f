"""The task table, the jobs' own bounds and the results' attachments (stdlib contracts)."""

from __future__ import annotations

import dataclasses

import pytest

from workers import contracts
from workers.contracts import Attachment, ComposeJob, ContinueJob, InvalidJob, MusicResult, WikiJob


def test_every_task_is_one_spec_and_the_tables_derive_from_it():
    assert set(contracts.TASKS) == {contracts.TASK_WIKI, contracts.TASK_COMPOSE, contracts.TASK_CONTINUE}
    for name, spec in contracts.TASKS.items():
        assert spec.name == name and contracts.TASK_QUEUES[name] == spec.queue
        assert spec.command.startswith("/") and spec.verb and spec.typical_seconds > 0
        assert spec.history_kind in (contracts.HISTORY_TEXT, contracts.HISTORY_MUSIC)
        assert contracts.job_from_dict(spec.job(job_id="j", **_required(spec.job)).to_dict()).__class__ is spec.job
    assert contracts.task_spec(contracts.TASK_WIKI).short == "wiki"
    with pytest.raises(contracts.ContractError):
        contracts.task_spec("wikimuse.nothing")


def _required(job: type) -> dict:
    return {"seed": "s"} if job is WikiJob else {"genre": "jazz"} if job is ComposeJob else {"midi_b64": ""}


@pytest.mark.parametrize(("job", "message"), [
    (WikiJob(job_id="j", seed=" \n"), "The seed is empty"),
    (WikiJob(job_id="j", seed="x" * 501), "The seed is 501 characters long; the limit is 500."),
    (WikiJob(job_id="j", seed="ok", length=99), "Length must be a whole number from 100 to 4,000."),
    (WikiJob(job_id="j", seed="ok", length=True), "Length must be a whole number"),
    (WikiJob(job_id="j", seed="ok", temperature=float("nan")), "Temperature must be a number from 0.1 to 2.0."),
    (WikiJob(job_id="j", seed="ok", top_p=0.01), "Top-p must be a number from 0.05 to 1.0."),
    (WikiJob(job_id="j", seed="ok", rng_seed=-1), "Seed must be a whole number from 0 to 2,147,483,647."),
    (WikiJob(job_id="j", seed="ok", model="../x"), "Unknown model name."),
    (ComposeJob(job_id="j", genre=""), "Please pick a genre: chorale"),
    (ComposeJob(job_id="j", genre="po*lka"), "I don't know the genre “polka”. Choose one of: chorale"),
    (ComposeJob(job_id="j", genre="jazz", model="gpt"), "Unknown model. Choose one of: lstm"),
    (ComposeJob(job_id="j", genre="jazz", seconds=12.5), "Length must be a whole number from 5 to 120."),
    (ComposeJob(job_id="j", genre="jazz", bars=65), "Bars must be a whole number from 1 to 64."),
    (ComposeJob(job_id="j", genre="jazz", tempo=300), "Tempo must be a whole number from 40 to 240."),
    (ContinueJob(job_id="j", midi_b64="", bars=0), "Bars must be a whole number from 1 to 64."),
    (ContinueJob(job_id="j", midi_b64="", genre="polka"), "I don't know the genre"),
])
def test_a_job_out_of_bounds_is_refused_with_its_message(job, message):
    with pytest.raises(InvalidJob) as excinfo:
        job.validate()
    assert str(excinfo.value).startswith(message), excinfo.value


def test_jobs_within_bounds_pass_and_longer_stays_within_them():
    for job in (WikiJob(job_id="j", seed="ok"), ComposeJob(job_id="j", genre="jazz", seconds=30.0),
                ContinueJob(job_id="j", midi_b64="", genre=None)):
        job.validate()
        job.longer().validate()
    assert WikiJob(job_id="j", seed="ok", length=3000).longer().length == contracts.WIKI_LENGTH_MAX
    assert ComposeJob(job_id="j", genre="jazz", bars=5).longer().bars == 10
    assert ComposeJob(job_id="j", genre="jazz", seconds=100).longer().seconds == contracts.MUSIC_SECONDS_MAX


def _clip() -> MusicResult:
    return MusicResult(job_id="0123456789", genre="classical_piano", model="lstm", tempo=90, seconds=4.0,
                       bars=2, rng_seed=1, generation_seconds=0.5,
                       attachments=[Attachment("a.ogg", "audio/ogg", b"OggS\x00"),
                                    Attachment("a.png", "image/png", b"\x89PNG")])


def test_attachments_travel_as_base64_json_and_come_back_equal():
    result = _clip()
    data = result.to_dict()
    assert data["attachments"][0] == {"name": "a.ogg", "mime": "audio/ogg", "data": contracts.b64encode(b"OggS\x00")}
    assert contracts.result_from_dict(data) == result
    assert MusicResult.from_json(result.to_json()) == result
    with pytest.raises(contracts.ContractError):
        contracts.result_from_dict({**data, "attachments": [{"name": "x", "mime": "y", "data": "%%%"}]})


def test_a_result_in_the_shape_before_attachments_still_decodes():
    old = {key: value for key, value in _clip().to_dict().items() if key != "attachments"}
    old |= {"midi_b64": contracts.b64encode(b"MThd"), "audio_b64": contracts.b64encode(b"OggS"),
            "png_b64": contracts.b64encode(b"\x89PNG"), "audio_format": "ogg"}
    result = contracts.result_from_dict(old)
    stem = contracts.clip_stem("classical_piano", "0123456789")
    assert stem == "wikimuse-classical-piano-01234567"
    assert [(a.name, a.mime, a.data) for a in result.attachments] == [
        (f"{stem}.ogg", "audio/ogg", b"OggS"), (f"{stem}.mid", "audio/midi", b"MThd"),
        (f"{stem}.png", "image/png", b"\x89PNG")]
    assert dataclasses.replace(result, attachments=[]) == dataclasses.replace(_clip(), attachments=[])
