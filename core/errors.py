"""The product's own error types: callers decide by class, pages and the API word them."""


class InvalidInput(Exception):
    """Bad input: `errors` maps each field to the rules it broke, in the person's language."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(str(m) for ms in errors.values() for m in ms))
        self.errors = {field: [str(m) for m in messages] for field, messages in errors.items()}


class TransitionRefused(Exception):
    """The action is not allowed in the subject's current state."""


class UpstreamFailed(Exception):
    """Tencent could not be reached or did not answer; whether it acted may be unknown."""
