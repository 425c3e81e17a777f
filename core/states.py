"""What every state machine shares (campaigns, bulk jobs and their batches, segments, test
sends): a table of allowed moves, a conditional UPDATE that makes each move at most once
(a racing worker or a second click finds nothing to move), and, for a move of one subject,
its audit event in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models, transaction
from django.db.models import Q

from .audit import audit_record
from .errors import TransitionRefused


class StateMachine:
    """`allowed_from` maps each status to the statuses it may be reached from; an audited move
    writes `verbs[to]` if the move has a verb of its own (a person's cancel), else `verb`."""

    def __init__(self, model: type[models.Model], allowed_from: Mapping[str, frozenset[str]], *,
                 verb: str, verbs: Mapping[str, str] | None = None, field: str = "status",
                 subject_type: str = ""):
        self.model, self.allowed_from, self.field = model, allowed_from, field
        self.verb, self.verbs, self.subject_type = verb, dict(verbs or {}), subject_type

    def sources(self, to: str, from_=None) -> frozenset[str]:
        """The statuses a move to `to` may start from: all allowed, or those of `from_`, each
        of which must be allowed."""
        allowed = self.allowed_from.get(to)
        if allowed is None:
            raise TransitionRefused(f"{self.model.__name__} has no status {to!r}")
        if from_ is None:
            return allowed
        refused = set(from_) - allowed
        if refused:
            raise TransitionRefused(f"{self.model.__name__}: {sorted(refused)} → {to} is not "
                                    "a transition")
        return frozenset(from_)

    def move_all(self, query: models.QuerySet, *, to: str, from_=None, **changes) -> int:
        """Move every row of `query` that may move, in one UPDATE, with no audit event: for
        the hot paths (a job's batches). Returns how many moved."""
        return query.filter(**{f"{self.field}__in": self.sources(to, from_)}).update(
            **{self.field: to}, **changes)

    def move(self, subject: models.Model | int, *, to: str, actor=None, from_=None,
             where: Q | None = None, verb: str = "", audit_subject=None,
             audit_params: dict | None = None, **changes) -> bool:
        """Move one row (an instance or its pk) if it is in an allowed status and matches
        `where`, and record who moved it from what to what; True if this call made the move.
        An instance is updated in memory too."""
        allowed = self.sources(to, from_)
        pk = getattr(subject, "pk", subject)
        # No savepoint inside a caller's transaction: a failed query fails that one anyway.
        with transaction.atomic(savepoint=False):
            before = (self.model.objects.select_for_update().filter(pk=pk)
                      .values_list(self.field, flat=True).first())
            query = self.model.objects.filter(pk=pk, **{f"{self.field}__in": allowed})
            if where is not None:
                query = query.filter(where)
            if not query.update(**{self.field: to}, **changes):
                return False
            if not isinstance(subject, models.Model):
                subject = self.model.objects.get(pk=pk)
            audit_record(actor=actor, verb=verb or self.verbs.get(to, self.verb),
                         subject=subject if audit_subject is None else audit_subject,
                         subject_type=self.subject_type if audit_subject is None else "",
                         from_status=before, to_status=to, **(audit_params or {}))
        setattr(subject, self.field, to)
        for field, value in changes.items():
            if not hasattr(value, "resolve_expression"):
                setattr(subject, field, value)
        return True
