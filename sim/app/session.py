"""The firm of one browser session: what the session keeps between Resets, the firm the page
builds (the CLI's run with the same seed and values), and the CLI command that reproduces it."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from sim.model.model import Organisation
from sim.model.parameters import DEFAULTS, ParameterError
from sim.runs.runner import release

DEFAULT_SEED = 0  # the CLI's default: the page's first firm is `orgsim run baseline`


@dataclass
class Session:
    """What one browser session keeps between Resets: the seed box's value, the last settings the
    model accepted, and the firm on show (released when replaced)."""

    seed: Any = DEFAULT_SEED
    last_good: tuple[int, dict[str, Any]] = (DEFAULT_SEED, {})
    current: Organisation | None = field(default=None, repr=False)


class LiveFirm(Organisation):
    """An :class:`~sim.model.model.Organisation` as the live page builds it (on a change of a
    control, and on Reset).

    ``LiveFirm(seed=N, **kwargs)`` is ``Organisation(seed=N, **kwargs)`` (the same run as the CLI),
    with two additions for the page: the seed defaults to the session's seed box; a refused value
    leaves the last valid firm rebuilt and the reason in :attr:`refused`. Play stops at the
    ``weeks`` horizon, as every Organisation's ``running`` does.

    Args:
        session: the browser session (fixed for the session's lifetime).
        seed: the root seed; None takes the session's seed box.
        **kwargs: parameter values by name (the page's controls; Mesa requires this name).
    """

    def __init__(self, *, session: Session | None = None, seed: Any = None, **kwargs: Any):
        session = session if session is not None else Session()
        chosen = session.seed if seed is None else seed
        # The page's controls hold their values in reactive variables, which Mesa's Reset passes
        # on as they are: the firm takes their values.
        kwargs = {name: _plain(value) for name, value in kwargs.items()}
        try:
            # Organisation checks the seed and every value before it builds anything.
            super().__init__(seed=chosen, **kwargs)
        except ParameterError as exc:
            good_seed, good_values = session.last_good
            super().__init__(seed=good_seed, **good_values)
            self.refused: str | None = (
                f"Not applied: {exc}. The firm was rebuilt with the last valid settings "
                f"(seed {good_seed}); correct the value (a change applies at once)."
            )
        else:
            session.last_good = (self.seed, dict(kwargs))
            self.refused = None
        previous, session.current = session.current, self
        if previous is not None:
            release(previous)


def _plain(value: Any) -> Any:
    """A control's value: a solara reactive variable's current value, or the value itself."""
    from solara.toestand import Reactive

    return value.value if isinstance(value, Reactive) else value


def cli_command(model: Organisation) -> str:
    """The ``orgsim run`` command that runs the same firm as ``model``."""
    sets = [
        f"--set {name}={str(value).lower() if isinstance(value, bool) else value}"
        for name, value in model.p.as_dict().items()
        if value != getattr(DEFAULTS, name)
    ]
    return shlex.join(["orgsim", "run", "baseline", "--seed", str(model.seed)]) + "".join(
        f" {s}" for s in sets
    )
