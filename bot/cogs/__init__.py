"""Cogs: one package per feature, each with only ``setup(bot)`` in its ``__init__``."""
