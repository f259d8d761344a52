"""kolvet: vet Xiaohongshu (RedNote) creators for brand campaigns.

`kolvet.vet(inputs)` runs the whole pipeline; importing kolvet loads neither Textual nor
scikit-learn (they load where they are used), so the CLI starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from kolvet.pipeline import VetResult, vet

__all__ = ["__version__", "vet", "VetResult"]


def __getattr__(name: str) -> Any:
    if name in ("vet", "VetResult"):
        from kolvet import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
