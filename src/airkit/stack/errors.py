"""The one exception the stack core raises for people: its message says what to do."""


class StackError(RuntimeError):
    """A failure with a message meant for the person who started the stack."""
