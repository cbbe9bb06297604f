"""The one base of the models' hyper-parameter dataclasses: JSON in and out, driven by the fields.

A config is a ``@dataclass`` that also derives from :class:`JsonConfig`. Its sidecar and
resume files hold ``to_dict()``; ``from_dict`` rebuilds it and drops keys that are no
longer fields, so a checkpoint written before a field was removed still loads (a field
added since takes its default).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Self


class JsonConfig:
    """Mixin of a dataclass of hyper-parameters: ``to_dict``, ``from_dict`` and ``tiny``.

    ``TINY`` holds the fields a subclass overrides for its tiny size (a model that trains
    in a second, for tests and the ``--config tiny`` of the training CLIs).
    """

    TINY: ClassVar[dict[str, Any]] = {}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def tiny(cls) -> Self:
        """The defaults with the ``TINY`` overrides."""
        if not cls.TINY:
            raise NotImplementedError(f"{cls.__name__} names no tiny size")
        return cls(**cls.TINY)
