"""``python -m bot [--sync]``: run the wikimuse Discord bot."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence

import discord
import sqlalchemy.exc

from bot.runtime import open_bot
from bot.settings import BotSettings, SettingsError, load_settings


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if getattr(record, "job_id", None):
            data["job_id"] = record.job_id  # type: ignore[attr-defined]
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data)


def configure_logging(settings: BotSettings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_JsonFormatter() if settings.log_json else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)


async def run(settings: BotSettings, *, sync_commands: bool) -> None:
    async with open_bot(settings, sync_commands=sync_commands) as bot:
        await bot.start(settings.token)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Run the wikimuse Discord bot.")
    parser.add_argument("--sync", "--sync-commands", dest="sync", action="store_true",
                        help="register the slash commands with Discord (once, after they change)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"wikimuse: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        asyncio.run(run(settings, sync_commands=args.sync))
    except discord.LoginFailure:
        print("wikimuse: Discord rejected DISCORD_TOKEN; reset it in the Developer Portal "
              "(https://discord.com/developers/applications -> Bot -> Reset Token).", file=sys.stderr)
        return 2
    except sqlalchemy.exc.ArgumentError as exc:
        print(f"wikimuse: DATABASE_URL is not a valid database URL ({exc}).", file=sys.stderr)
        return 2
    except sqlalchemy.exc.OperationalError as exc:
        print(f"wikimuse: cannot open the database: {exc.orig}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
