"""Who may do what in the other four procedures (small grant, consultation, local initiative, regranting):
every handler that writes refuses the auditor, the scheduler, the public and the applicant and changes
nothing; the only writes the public may make are lawful comments (art. 19a ust. 4, consultation
resolutions), and even those must not admit the auditor or the scheduler. SQLite and PostgreSQL."""

from __future__ import annotations

import inspect

import pytest

from states.authorization import MATRIX, command_name
from states.engine import Actor, execute
from states.errors import NotPermitted
from states.procedures import PROCEDURES
from states.procedures.consultation import handlers as consultation_handlers
from states.procedures.consultation import inputs as consultation_inputs
from states.procedures.local_initiative import handlers as local_initiative_handlers
from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from tests.conftest import dump
from tests.test_consultation import comment as consultation_comment
from tests.test_consultation import open_, programme
from tests.test_small_grant import ALL_CHANNELS, do, file, setup_registry

MODULES = tuple(procedure.handlers for procedure in PROCEDURES if procedure.slug != "open_call")  # tests/test_roles.py: the open call
READ_ONLY = {"show", "show_budget"}  # they read, never write: anyone may run them
# reads of what a person filed through the portal: held to the filer by the matrix's relation (test_initiative_filing)
PORTAL_READS = {"initiative_receipt", "my_initiatives", "application_facts", "initiative_reports",
                "initiative_report_receipt"}
PUBLIC_COMMENTS = {"add_comment"}  # the law lets anyone comment (art. 19a ust. 4; consultation resolutions)
# an organisation's representative files its own organisation's offer and report on the model form (issue 22),
# nothing else
OWN_FILINGS = {"small_grant.file_offer_form", "small_grant.file_report_form"}
# the local initiative's report on its form: filed by whoever filed its application (relation ``filer``), or an officer
FILER_FILINGS = {"local_initiative.file_report_form"}
# residents file a local initiative themselves, directly or through an organisation (art. 19b ust. 1; issue 22)
RESIDENTS_FILE = {"file_residents_application", "file_organisation_application"}
FORBIDDEN = ("auditor", "scheduler", "public", "applicant")


def handlers() -> dict[str, object]:
    return {f"{module.__name__.split('.')[2]}.{name}": fn
            for module in MODULES
            for name, fn in inspect.getmembers(module, inspect.isfunction)
            if fn.__module__ == module.__name__ and command_name(fn) in MATRIX}


def roles(fn) -> frozenset[str]:
    return frozenset(MATRIX[command_name(fn)])


def short(name: str) -> str:
    return name.rsplit(".", 1)[1]


MUTATING = sorted(name for name in handlers()
                  if short(name) not in READ_ONLY | PORTAL_READS | PUBLIC_COMMENTS | RESIDENTS_FILE)
COMMENTS = sorted(name for name in handlers() if short(name) in PUBLIC_COMMENTS)


@pytest.mark.fast
def test_every_procedures_handlers_are_found():
    found = handlers()
    assert len(MUTATING) >= 30
    for module in MODULES:  # each module contributes writers, and the deadline kinds are not commands
        prefix = module.__name__.split(".")[2]
        assert any(name.startswith(prefix + ".") for name in MUTATING), prefix
        assert not set(module.DEADLINE_HANDLERS.values()) & set(found.values())
    assert COMMENTS == ["consultation.add_comment", "small_grant.add_comment"]
    # Only handlers that read (and the public comment) admit anyone beyond the officer and the committee.
    open_to_all = {name for name, fn in found.items() if roles(fn) & set(FORBIDDEN)} - OWN_FILINGS - FILER_FILINGS
    assert {short(name) for name in open_to_all} <= READ_ONLY | PORTAL_READS | PUBLIC_COMMENTS | RESIDENTS_FILE
    for name in OWN_FILINGS:  # the representative of that very organisation only (states/authorization.py)
        assert MATRIX[command_name(found[name])] == {"officer": "any", "applicant": "organisation"}
    for name in FILER_FILINGS:  # the initiative's own filer only (states/authorization.py ``_check_filer``)
        assert MATRIX[command_name(found[name])] == {"officer": "any", "applicant": "filer", "public": "filer"}


@pytest.mark.fast
def test_residents_file_a_local_initiative_themselves_but_never_the_auditor_or_the_scheduler():
    assert MATRIX["local_initiative.file_residents_application"] == {"public": "any", "applicant": "any"}
    assert MATRIX["local_initiative.file_organisation_application"] == {"applicant": "organisation"}
    for name in PORTAL_READS:
        assert not {"scheduler", "administrator", "committee_member"} & set(MATRIX[f"local_initiative.{name}"])


@pytest.mark.parametrize("name", MUTATING)
@pytest.mark.parametrize("role", FORBIDDEN)
def test_no_mutating_procedure_command_admits_a_reader_or_the_scheduler(db_url, name, role):
    before = dump(db_url)
    with pytest.raises(NotPermitted) as info:
        execute(handlers()[name], object(), actor=Actor("ktoś", role), at="2026-04-05T09:00+02:00", url=db_url)
    if name in OWN_FILINGS and role == "applicant":  # the role may file; a typed name represents no organisation
        assert info.value.exit_code == 5 and info.value.rule == "not_your_organisation"
    elif name in FILER_FILINGS and role in ("applicant", "public"):  # a typed name filed nothing
        assert info.value.exit_code == 5 and info.value.rule == "not_your_filing"
    else:
        assert info.value.exit_code == 5 and role in info.value.message()
    assert dump(db_url) == before


@pytest.mark.fast
def test_only_officers_and_committee_members_evaluate_local_initiatives():
    assert roles(local_initiative_handlers.evaluate) == frozenset({"officer", "committee_member"})
    assert all(roles(fn) == frozenset({"officer"}) for name, fn in handlers().items()
               if name in MUTATING and name != "local_initiative.evaluate" and name not in OWN_FILINGS | FILER_FILINGS)


def small_grant_in_comment_period(url: str) -> str:
    setup_registry(url)
    code = file(url)["code"]
    do(url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=code, published=ALL_CHANNELS), "2026-04-08T10:05+02:00")
    return code


def consultation_open(url: str) -> str:
    code = programme(url)["code"]
    open_(url, code)
    return code


def test_the_public_and_an_applicant_may_comment_as_the_law_allows(db_url):
    code = small_grant_in_comment_period(db_url)
    for role in ("public", "applicant"):
        result = do(db_url, small_grant_handlers.add_comment, small_grant_inputs.AddComment(code=code, author=f"Jan ({role})", text="Popieram."),
                    "2026-04-09T10:00+02:00", actor=Actor(f"Jan ({role})", role))
        assert result["code"] == code
    code = consultation_open(db_url)
    assert consultation_comment(db_url, code, "Stowarzyszenie Rowerowe", "2026-11-02T10:00+01:00")["comment"] == 1


@pytest.mark.parametrize("role", ["auditor", "scheduler"])
def test_the_auditor_and_the_scheduler_cannot_comment(db_url, role):
    code = small_grant_in_comment_period(db_url)
    before = dump(db_url)
    with pytest.raises(NotPermitted):
        do(db_url, small_grant_handlers.add_comment, small_grant_inputs.AddComment(code=code, author="Kontrola", text="Uwaga audytora."),
           "2026-04-09T10:00+02:00", actor=Actor("Kontrola", role))
    assert dump(db_url) == before
    code = consultation_open(db_url)
    before = dump(db_url)
    with pytest.raises(NotPermitted):
        do(db_url, consultation_handlers.add_comment, consultation_inputs.ConsultationCommentInput(code=code, author="Kontrola", author_kind="ngo",
                                                               text="Uwaga.", provision="§ 1"),
           "2026-11-02T10:00+01:00", actor=Actor("Kontrola", role))
    assert dump(db_url) == before
