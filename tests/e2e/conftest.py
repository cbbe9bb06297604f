from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.emulator.fixtures import discord_emulator  # noqa: F401


# The first job of a fresh worker imports TensorFlow and loads a model; on a loaded
# 2-core CI machine that can pass the default 120 s soft limit, which is not what
# these tests are about.
PATIENT_LIMITS = {"TASK_SOFT_TIME_LIMIT": "600", "TASK_TIME_LIMIT": "660"}


@pytest.fixture(scope="session")
def music_stack_url(redis_server_factory: Callable, start_celery_worker: Callable,
                    tiny_all_models_dir: Path) -> str:
    """A private Redis with one worker (text + music, tiny models): jobs run in order, alone."""
    server = redis_server_factory()
    start_celery_worker(queues=("text", "music"), redis_url_override=server.url,
                        env={"MODEL_DIR": str(tiny_all_models_dir), **PATIENT_LIMITS})
    return server.url
