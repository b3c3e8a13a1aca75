"""The aiogram runtime keeps the response models of its calls built across garbage collections."""

from __future__ import annotations

import gc
import weakref

from aiogram.client.session.base import Response
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

import handlers.aiogram3  # noqa: F401  (the runtime holds its models from its import on)


def test_response_models_outlive_garbage_collection() -> None:
    """Without the held models, pydantic drops them at the next collection and every call under
    load builds its model again (the bench's aiogram rows lost half their speed to it)."""
    for method in (SendMessage, EditMessageText, AnswerCallbackQuery):
        model = weakref.ref(Response[method.__returning__])  # type: ignore[name-defined]
        gc.collect()
        assert model() is not None, method.__name__
        assert model() is Response[method.__returning__]  # type: ignore[name-defined]
