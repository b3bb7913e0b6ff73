"""The auditor's compliance rules over a small grant's history (art. 19a; run by states/auditing/compliance.py)."""

from __future__ import annotations

from datetime import date, datetime

from states import calendar, periods
from states.auditing.compliance import History, Rec, amount, day, finding, moment, warsaw
from states.text import money, ntr, tr


def execution_days(start: date, end: date) -> int:
    return (end - start).days + 1  # art. 19a ust. 1 pkt 2: both ends count


@finding("small_grant_over_limit", "art. 19a ust. 1",
         tr("Small grant over PLN 10,000 or longer than 90 days"),
         kinds=("small_grant",))
def _small_grant_over_limit(h: History):
    rules = h.rules.small_grant
    filed = h.first("file_offer")
    for rec in (filed, *h.events("decide")):
        if rec is None:
            continue
        grant = amount(rec.payload.get("grant") if rec.event == "decide" else rec.payload.get("requested_grant"))
        if grant > rules.max_grant:
            yield (tr("The amount {grant} exceeds the limit {max_grant} (step “{event}”)", grant=money(grant),
                      max_grant=money(rules.max_grant), event=rec.event), (rec,), None)
    if filed is not None and filed.payload.get("task_start") and filed.payload.get("task_end"):
        days = execution_days(day(filed.payload["task_start"]), day(filed.payload["task_end"]))
        if days > rules.max_days:
            yield (ntr("The task lasts {n} day (the first and the last day counted); the limit in days: {max_days}",
                       "The task lasts {n} days (the first and the last day counted); the limit in days: {max_days}",
                       days, max_days=rules.max_days), (filed,), None)


def _small_grant_publication(h: History) -> tuple[Rec | None, datetime | None, tuple[Rec, ...]]:
    """The record that completed the publication, the latest channel's moment, and every publication record
    (channels may be recorded one command at a time: ``publish_offer`` for a partial one, then ``publish``)."""
    publish = next((r for r in h.events("publish") if r.payload.get("published")), None)
    if publish is None:
        return None, None, ()
    parts = tuple(r for r in h.events("publish_offer", "publish") if r.seq <= publish.seq and r.payload.get("published"))
    return publish, max(moment(v) for r in parts for v in r.payload["published"].values() if v), parts


@finding("small_grant_published_late", "art. 19a ust. 3",
         tr("Small-grant offer published later than 7 working days after receipt"), kinds=("small_grant",))
def _small_grant_published_late(h: History):
    filed = h.first("file_offer")
    publish, latest, parts = _small_grant_publication(h)
    if filed is None or publish is None:
        return
    received = moment(filed.payload.get("received_at")) or filed.at
    limit = periods.SMALL_GRANT_PUBLICATION.count(received, h.rules.small_grant.publish_within_working_days).last_day
    if calendar.local_date(latest) > limit:
        yield (tr("The offer arrived {received}, was published (in the last channel) {published}; due by {limit}",
                  received=calendar.local_date(received), published=calendar.local_date(latest), limit=limit),
               (filed, *parts), None)


@finding("small_grant_contract_before_comments", "art. 19a ust. 4-5",
         tr("Small-grant contract signed before the 7-day comment period ended"), kinds=("small_grant",))
def _small_grant_contract_before_comments(h: History):
    publish, latest, parts = _small_grant_publication(h)
    for contract in h.events("sign_contract"):
        if publish is None or publish.seq > contract.seq:
            yield (tr("The contract was signed before the offer was published in every channel"),
                   tuple(r for r in (publish, contract) if r is not None), None)
            continue
        until = periods.SMALL_GRANT_COMMENTS.count(latest, h.rules.small_grant.comment_days).due
        if contract.at <= until:
            yield (tr("The contract was signed {at}; comments were open until {until}", at=warsaw(contract.at), until=warsaw(until)),
                   (*parts, contract), None)
