"""Domain errors shared by every app.

Services raise these; interfaces (API, admin) map them to responses.  Services
never import DRF.  Each error carries a stable machine-readable ``code``.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str = "", *, code: str | None = None, details=None):
        # Without a message the class docstring is the message, translated at raise time.
        message = message or gettext((self.__class__.__doc__ or self.code).strip())
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class ValidationFailed(DomainError):
    """The input is not valid."""

    code = "invalid"
    status = 400


class NotFound(DomainError):
    """No such object."""

    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    """You are not allowed to do this."""

    code = "permission_denied"
    status = 403


class Conflict(DomainError):
    """The request conflicts with the current state."""

    code = "conflict"
    status = 409


class TransitionNotAllowed(Conflict):
    """This transition is not allowed from the current state or for this user."""

    code = "transition_not_allowed"


# The docstrings above double as default messages: listed here for makemessages.
DEFAULT_MESSAGES = (
    gettext_noop("The input is not valid."),
    gettext_noop("No such object."),
    gettext_noop("You are not allowed to do this."),
    gettext_noop("The request conflicts with the current state."),
    gettext_noop("This transition is not allowed from the current state or for this user."),
    gettext_noop("The push is not signed with this shop's app secret."),
    gettext_noop("The delivery does not satisfy the endpoint's integration contract."),
)
