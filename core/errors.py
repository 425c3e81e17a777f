"""The product's own error types: callers decide by class, pages and the API word them."""


class InvalidInput(Exception):
    """Bad input: `errors` maps each field to the rules it broke, in the person's language."""

    def __init__(self, errors: dict[str, list[str]], *, rules: list[dict] | None = None):
        super().__init__("; ".join(str(m) for ms in errors.values() for m in ms))
        self.errors = {field: [str(m) for m in messages] for field, messages in errors.items()}
        # Where a rule has a stable id: [{"field", "rule", "message"}], for API callers that
        # act on the rule rather than on its words.
        self.rules = rules


class TransitionRefused(Exception):
    """The action is not allowed in the subject's current state."""


class NotPermitted(TransitionRefused):
    """The person's role, or their part in the subject, does not allow the action (the API
    answers 403; pages show the words like any refusal)."""


class UpstreamFailed(Exception):
    """Tencent could not be reached or did not answer; whether it acted may be unknown."""


class Unavailable(Exception):
    """A service the request needs (the job queue, the shared rate limiter) cannot be reached:
    nothing was done, and the same request may be made again later."""
