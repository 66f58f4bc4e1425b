"""Wires the shipped classifier into the router: they never import each other (ARCHITECTURE.md)."""

from __future__ import annotations

from functools import partial

import classifier
from classifier import Thresholds
from config.schema import AcknowledgmentSettings, ClassifierSettings, RouterSettings
from router.route import Router


def thresholds_from(settings: ClassifierSettings) -> Thresholds:
    """The classifier's thresholds as the operator configured them."""
    options = settings.model_dump(exclude={"enabled"})
    return Thresholds(**{**options, "languages": tuple(options["languages"])})


def build_router(settings: RouterSettings, acknowledgments: AcknowledgmentSettings) -> Router:
    """The router with the shipped model behind the operator's rules."""
    return Router(settings, acknowledgments,
                  model=partial(classifier.classify_many, thresholds=thresholds_from(settings.classifier)))
