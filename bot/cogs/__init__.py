"""Cogs: one package per feature, each with only ``setup(bot)`` in its ``__init__``.

A new slash command that runs on a worker: its job and result in
:mod:`workers.contracts` (with ``validate()``) and a :class:`~workers.contracts.TaskSpec`
line there; a task in ``workers/tasks.py``; a command in a cog here that builds the
job, checks it with :func:`bot.validation.validated` and hands it to
``bot.runner.start``; and its reply in :data:`bot.presenters.REPLIES`.
"""
