"""The auditor's compliance rules over an open call's history (art. 13-18; the checker and its helpers are in
states/auditing/compliance.py, which loads this module through the registry of procedures)."""

from __future__ import annotations

from datetime import date

from states import calendar, labels, periods
from states.auditing.compliance import (
    History,
    Rec,
    amount,
    channels_missing,
    day,
    finding,
    moment,
    offer_deadline,
    receipt_rule,
    warsaw,
)
from states.procedures.open_call.names import CallState
from states.subjects import CASE, Subject
from states.text import money, ntr, tr


@finding("announcement_channels", "art. 13 ust. 3",
         tr("The call was announced in fewer than three channels (BIP, notice board, website)"))
def _announcement_channels(h: History):
    for rec in h.events("announce"):
        missing = channels_missing(rec.payload.get("published"))
        if missing:
            yield (tr("The announcement was not published in: {missing}", missing=labels.channels(missing)), (rec,), None)


@finding("offer_deadline_too_short", "art. 13 ust. 1",
         tr("Offer deadline less than 21 days after the latest publication of the announcement"))
def _offer_deadline_too_short(h: History):
    for rec in h.events("announce"):
        published = [moment(v) for v in (rec.payload.get("published") or {}).values() if v]
        chosen = day(rec.payload.get("offer_deadline")) or (day(rec.payload.get("offer_deadline_due")))
        if not published or chosen is None:
            continue
        latest = max(published)
        minimum = max(21, h.rules.open_call.min_offer_days)
        earliest = periods.OFFER_DEADLINE_MINIMUM.earliest(latest, minimum)
        if chosen < earliest:
            published_on = calendar.local_date(latest)
            yield (ntr("The offer deadline {chosen} is {n} day after the latest publication ({published}); the "
                       "earliest lawful is {earliest}",
                       "The offer deadline {chosen} is {n} days after the latest publication ({published}); the "
                       "earliest lawful is {earliest}",
                       (chosen - published_on).days, chosen=chosen, published=published_on, earliest=earliest),
                   (rec,), None)


@finding("offer_after_deadline", "art. 13 ust. 2 pkt 5; KPA art. 57 §5",
         tr("An offer filed after the offer deadline was accepted into the call"))
def _offer_after_deadline(h: History):
    due, announce = offer_deadline(h)
    if due is None:
        return
    rule = receipt_rule(h)
    for rec in h.events("file_offer"):
        received = moment(rec.payload.get("received_at")) or rec.at
        if received <= due:
            continue
        postmark = day(rec.payload.get("postmarked_on"))
        if rule == "postmarked" and postmark is not None and postmark <= calendar.local_date(due):
            continue
        saved = (tr("; the postmark {postmark} does not save it", postmark=postmark)
                 if postmark else "")
        yield (tr("Offer {offer} arrived {received}, after the deadline {due} ({rule}){saved}", offer=rec.offer,
                  received=warsaw(received), due=warsaw(due), rule=labels.receipt_rule(rule), saved=saved),
               (announce, rec), None)


def _conflicts(h: History) -> dict[str, list[tuple[Rec, set[int]]]]:
    declared: dict[str, list[tuple[Rec, set[int]]]] = {}
    for rec in h.events("declare_conflicts"):
        name = rec.member or rec.payload.get("member")
        declared.setdefault(name, []).append((rec, {int(n) for n in rec.payload.get("conflicts") or ()}))
    return declared


@finding("scored_despite_conflict", "art. 15 ust. 2d; KPA art. 24 §1",
         tr("A committee member scored an offer despite a declared conflict of interest"))
def _scored_despite_conflict(h: History):
    declared = _conflicts(h)
    for rec in h.events("score"):
        member = rec.payload.get("member")
        for declaration, offers in declared.get(member, ()):
            if rec.offer in offers:
                yield (tr("{member} scored offer {offer} despite a declared conflict of interest", member=member, offer=rec.offer),
                       (declaration, rec), None)


@finding("committee_nominee_of_bidder", "art. 15 ust. 2d",
         tr("The committee includes a nominee of an organisation taking part in the call"))
def _committee_nominee_of_bidder(h: History):
    bidders: dict[str, Rec] = {}
    for rec in h.events("file_offer"):
        bidders.setdefault(rec.payload.get("organisation_krs"), rec)
    for rec in h.events("appoint_member"):
        krs = rec.payload.get("organisation_krs")
        if rec.payload.get("affiliation") != "ngo" or krs not in bidders:
            continue
        name = rec.payload.get("name") or rec.member
        scores = tuple(r for r in h.events("score") if r.payload.get("member") == name)
        scored = sorted({r.offer for r in scores})
        took_part = (ntr("; scored offer {numbers}", "; scored offers {numbers}", len(scored), numbers=scored)
                     if scores else tr("; scored no offer"))
        yield (tr("{name} was nominated by the organisation KRS {krs}, which filed offer {offer}{took_part}",
                  name=name, krs=krs, offer=bidders[krs].offer, took_part=took_part), (rec, bidders[krs], *scores), None)


@finding("results_channels", "art. 15 ust. 2h",
         tr("The results were not published in all three channels"))
def _results_channels(h: History):
    chosen = next((r for r in h.events("select_offers") if r.to_state == CallState.selected), None)
    if chosen is None:
        return
    later = [r for r in h.records if r.seq > chosen.seq]
    moved_on = next((r for r in later if r.event == "sign_contract"
                     or (Subject.parse(r.subject) == CASE and r.to_state in (CallState.results_published, CallState.in_execution, CallState.settled))), None)
    if moved_on is None:
        return  # still waiting for publication: not (yet) a breach
    publications = [r for r in later if r.event == "publish_results" and r.seq <= moved_on.seq]
    published: dict = {}
    for rec in publications:
        published.update({k: v for k, v in (rec.payload.get("published") or {}).items() if v})
    missing = channels_missing(published)
    if missing:
        yield (tr("Before the step “{event}” (#{seq}) the results were not published in: {missing}",
                  event=moved_on.event, seq=moved_on.seq, missing=labels.channels(missing)),
               (chosen, *publications, moved_on), None)


@finding("unused_funds_returned_late", "ufp art. 251 ust. 1, 3 i 5",
         tr("Unused grant funds returned late"))
def _unused_funds_returned_late(h: History):
    contracts = {r.offer: r for r in h.events("sign_contract")}
    for rec in h.events("settle"):
        if rec.offer is None:
            continue
        contract = contracts.get(rec.offer)
        due = day(rec.payload.get("return_due")) or (day(contract.payload.get("return_due")) if contract else None)
        returned_on = day(rec.payload.get("returned_on"))
        unused = amount(rec.payload.get("unused"))
        if unused <= 0 or returned_on is None or due is None or returned_on <= due:
            continue
        usage = day(contract.payload.get("usage_deadline")) if contract else None
        article = ("ufp art. 251 ust. 1 i 5" if usage is not None and (usage.month, usage.day) == (12, 31)
                   else "ufp art. 251 ust. 3 i 5")
        yield (tr("Offer {offer}: the unused {unused} returned on {returned_on}, due by {due}; interest from {since}",
                  offer=rec.offer, unused=money(unused), returned_on=returned_on, due=due,
                  since=date.fromordinal(due.toordinal() + 1)),
               tuple(r for r in (contract, rec) if r is not None), article)
