from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.log_scan import no_token_in_logs, no_token_in_worker_logs  # noqa: F401
from tests.emulator.fixtures import discord_emulator  # noqa: F401
from tests.emulator.harness import PATIENT_LIMITS


@pytest.fixture(scope="session")
def music_stack_url(redis_server_factory: Callable, start_celery_worker: Callable,
                    tiny_all_models_dir: Path) -> str:
    """A private Redis with one worker (text + music, tiny models): jobs run in order, alone."""
    server = redis_server_factory()
    start_celery_worker(queues=("text", "music"), redis_url_override=server.url,
                        env={"MODEL_DIR": str(tiny_all_models_dir), **PATIENT_LIMITS})
    return server.url
