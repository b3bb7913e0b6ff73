"""What a procedure declares of its notifications, as plain data (its package's ``notices.py``): the templates it
sends and the routing rows that say which audit record sends which template to whom. notifications/routing.py
collects them through the registry (states/procedures/) and acts on them: the builders of a template's data, the
audiences, the timings and the cancellers live there, one layer up; the domain only names them.

A row matches a record by (case kind, event, subject kind, target state) and does one thing:
- ``message``: enqueue ``template`` to an ``audience`` (applicant, applicants, member, scorers, officers, public,
  registry, rdpp, initiator, operator, commenters);
- ``reminder``: enqueue ``template`` to an audience with a not-before time derived from a deadline (``timing``),
  tagged so that it is cancelled when what it reminds of is done;
- ``cancel``: cancel the pending reminders with the tags ``cancels`` computes;
- ``notice``: render the public notice of a publication subject into ``Publication.text``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.text import Message


@dataclass(frozen=True)
class TemplateSpec:
    category: str  # notice | task | legal | reminder | information (only the last two may be opted out of)
    description: Message


@dataclass(frozen=True)
class Rule:
    kind: str
    event: str
    action: str  # message | reminder | cancel | notice
    template: str = ""
    audience: str = ""
    subject: str = "*"  # case | offer | member | * (any)
    to_state: str | None = None
    timing: str = ""  # reminders: a key of notifications.routing.TIMINGS
    cancels: str = ""  # cancel: a key of notifications.routing.CANCELLERS
    notice: str = ""  # notice: the publication subject (announcement, results, invalidation)
    when: str = ""  # optional extra condition: a key of notifications.routing.CONDITIONS
    why: Message | None = None  # the README table's "why"
