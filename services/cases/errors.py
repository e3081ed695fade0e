"""The domain's refusals. Messages name the rule and never echo what was submitted.

How the HTTP layer will answer them: :class:`InvalidField` 422 (naming the field),
:class:`NotPermitted` 403, every :class:`RuleViolation` 409. A refused command changes nothing.
"""

from __future__ import annotations


class CaseError(Exception):
    """Base of every refusal of the cases domain."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidField(CaseError):
    """A value is out of bounds or does not fit the rest of the request (422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotPermitted(CaseError):
    """The caller's role or jurisdiction does not allow this (403)."""


class RuleViolation(CaseError):
    """The case's state does not allow this now (409)."""


class TransitionNotAllowed(RuleViolation):
    """The workflow does not go there from the case's current status."""


class ConsentRequired(RuleViolation):
    """A referral without the survivor's recorded consent, and no supervisor's override."""


class AssignmentRefused(RuleViolation):
    """The case worker cannot take the case (jurisdiction, or the survivor's requested sex)."""
