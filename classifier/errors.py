"""Exceptions of the classifier package."""


class ClassifierError(Exception):
    """Base of every classifier failure."""


class ArtefactError(ClassifierError):
    """The shipped model artefact is missing, unreadable or of another format."""


class TrainingDataError(ClassifierError):
    """A training or measuring corpus is missing or malformed."""
