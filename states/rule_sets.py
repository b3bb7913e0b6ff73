"""Versioned rule sets: the local policy and the periods and limits a case is run by.

The statute fixes some numbers (21 days, 30 days for a report) and leaves others to the city (scales,
threshold, correction window, contract clauses). All of them live here, each with its basis, so one place
holds every number the engine uses. A case pins one version when it is announced; later versions never
rewrite a running case (invariant 6). A field that undercuts a statutory minimum is refused.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

END_OF_DAY_TIME = time(23, 59, 59)


class Criterion(BaseModel):
    """One evaluation criterion of art. 15 ust. 1."""

    model_config = ConfigDict(frozen=True)
    key: str
    basis: str
    label_pl: str
    label_en: str
    max_points: Decimal = Field(gt=0, le=1000)
    weight: Decimal = Field(default=Decimal("1"), gt=0, le=100)
    support_mode_only: bool = False  # art. 15 ust. 1 pkt 4: own funds count only in support mode


STATUTORY_CRITERIA: tuple[Criterion, ...] = (
    Criterion(key="capacity", basis="art. 15 ust. 1 pkt 1", label_pl="możliwość realizacji zadania",
              label_en="ability to carry out the task", max_points=Decimal(10)),
    Criterion(key="costs", basis="art. 15 ust. 1 pkt 2", label_pl="kalkulacja kosztów",
              label_en="cost calculation against the scope", max_points=Decimal(10)),
    Criterion(key="quality", basis="art. 15 ust. 1 pkt 3", label_pl="jakość i kwalifikacje osób",
              label_en="quality and qualifications of the people", max_points=Decimal(10)),
    Criterion(key="own_funds", basis="art. 15 ust. 1 pkt 4", label_pl="udział środków własnych lub innych",
              label_en="own or other funds", max_points=Decimal(5), support_mode_only=True),
    Criterion(key="contribution", basis="art. 15 ust. 1 pkt 5",
              label_pl="wkład rzeczowy i osobowy, w tym praca wolontariuszy",
              label_en="in-kind and personal contribution, volunteers' work included", max_points=Decimal(5)),
    Criterion(key="track_record", basis="art. 15 ust. 1 pkt 6",
              label_pl="rzetelność, terminowość i rozliczenie wcześniejszych zadań",
              label_en="reliability, timeliness and settlement of earlier grants", max_points=Decimal(5)),
)


class OpenCallRules(BaseModel):
    model_config = ConfigDict(frozen=True)
    min_offer_days: int = Field(default=21, description="art. 13 ust. 1: offers at least 21 days after the latest publication")
    criteria: tuple[Criterion, ...] = STATUTORY_CRITERIA
    pass_threshold: Decimal = Field(default=Decimal("0.60"), ge=0, le=1, description="share of the maximum an offer needs")
    correction_window_days: int = Field(default=7, ge=0, description="days to correct formal defects; 0 = no corrections")
    min_committee_members: int = Field(default=2, ge=1, description="art. 15 ust. 2a: the Mayor appoints the committee")
    justification_days: int = Field(default=30, ge=0, description="art. 15 ust. 2j: window to ask for the justification of the choice")
    final_report_days: int = Field(default=30, ge=30, description="art. 18 ust. 1: final report 30 days after the task ends")
    report_call_days: int = Field(default=7, ge=1, description="contract clause: written call for a missing report")
    funds_usage_days_after_task: int = Field(default=14, ge=0, description="contract clause: grant used within N days after the task ends")
    return_days_after_usage: int = Field(default=15, ge=0, description="ufp art. 251 ust. 3: unused funds returned within 15 days of the usage deadline")
    max_contract_years: int = Field(default=5, ge=1, le=5, description="art. 16 ust. 1: contracts up to 5 years")

    @field_validator("min_offer_days")
    @classmethod
    def _statutory_minimum(cls, value: int) -> int:
        if value < 21:
            raise ValueError("art. 13 ust. 1 sets at least 21 days between the announcement and the offer deadline")
        return value

    def criterion(self, key: str) -> Criterion | None:
        return next((c for c in self.criteria if c.key == key), None)


class SmallGrantRules(BaseModel):
    """Small grant outside competition (art. 19a): statutory caps as upper bounds, local policy below them."""

    model_config = ConfigDict(frozen=True)
    max_grant: Decimal = Field(default=Decimal("10000.00"), gt=0, le=Decimal("10000.00"),
                               description="art. 19a ust. 1 pkt 1: grant at most 10 000 PLN")
    max_days: int = Field(default=90, ge=1, le=90,
                          description="art. 19a ust. 1 pkt 2: execution at most 90 days, both ends counted")
    publish_within_working_days: int = Field(default=7, ge=1, le=7,
                                             description="art. 19a ust. 3: published within 7 working days of receipt")
    comment_days: int = Field(default=7, ge=7, description="art. 19a ust. 3-4: published for 7 days; anyone may comment")
    yearly_share: Decimal = Field(default=Decimal("0.20"), gt=0, le=Decimal("0.20"),
                                  description="art. 19a ust. 7: small grants in a year at most 20 % of the funds the "
                                              "budget plans for NGO grants; a council may set less")
    organisation_cap: Decimal = Field(default=Decimal("20000.00"), gt=0, le=Decimal("20000.00"),
                                      description="art. 19a ust. 6: at most 20 000 PLN a year to one organisation in this "
                                                  "mode; a council may set less")
    report_days: int = Field(default=30, ge=30, description="art. 18 ust. 1 (simplified report form): 30 days after the task ends")
    channels: tuple[str, ...] = Field(default=("bip", "board", "website"), description="art. 19a ust. 3 (art. 13 ust. 3): the three channels")


class ConsultationRules(BaseModel):
    """Consultation of draft acts (art. 5 ust. 2 pkt 3-4, ust. 5; art. 41i): the council's resolution sets the rest."""

    model_config = ConfigDict(frozen=True)
    period_days: int = Field(default=7, ge=7, description="art. 5 ust. 5 (council resolution): comment period, at least 7 days")
    closing_time: time = Field(default=END_OF_DAY_TIME, description="council resolution: the hour the period closes, local time")
    channels: tuple[str, ...] = Field(default=("bip", "board", "website"), description="council resolution: where drafts are published")
    rdpp_opinion_days: int = Field(default=14, ge=14, description="art. 41i ust. 2: the RDPP's opinion within 14 days from delivery")
    council_lead_days: int = Field(default=14, ge=0, description="local practice: days between the consultation report and "
                                                                 "the council's session that adopts the act")
    programme_adopt_by: str = Field(default="11-30", pattern=r"^\d{2}-\d{2}$",
                                    description="art. 5a ust. 1: the annual programme adopted by 30 November of the previous year")


LOCAL_INITIATIVE_SPHERES: tuple[str, ...] = (
    "infrastructure", "charity", "tradition", "culture", "education", "sport", "tourism", "greenery",
    "public_order", "revitalisation", "disability", "environment", "health", "seniors", "civic_activity",
)


class LocalInitiativeRules(BaseModel):
    """Local initiative (art. 19b-19h): the council resolution's criteria weigh mainly the residents' social work."""

    model_config = ConfigDict(frozen=True)
    spheres: tuple[str, ...] = Field(default=LOCAL_INITIATIVE_SPHERES, description="art. 19b ust. 1 pkt 1-13: the spheres")
    weights: dict[str, Decimal] = Field(
        default={"social_work": Decimal("0.40"), "public_benefit": Decimal("0.20"), "feasibility": Decimal("0.20"),
                 "own_contribution": Decimal("0.20")},
        description="art. 19c ust. 1 and the council resolution: criteria weights, the residents' social work weighing most")
    max_points: Decimal = Field(default=Decimal("10"), gt=0, description="council resolution: the scale of each criterion")
    pass_threshold: Decimal = Field(default=Decimal("0.50"), ge=0, le=1, description="council resolution: share of the maximum needed")
    hour_value: Decimal = Field(default=Decimal("35.00"), gt=0, description="council resolution: value of one hour of social work, PLN")
    final_report_days: int = Field(default=30, ge=1, description="council resolution / contract: final report after the task ends")

    @field_validator("weights")
    @classmethod
    def _social_work_weighs_most(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        social = value.get("social_work")
        if social is None or any(w >= social for k, w in value.items() if k != "social_work"):
            raise ValueError("art. 19c ust. 1: the residents' social work must weigh more than every other criterion")
        return value


class RegrantingRules(BaseModel):
    """Regranting (art. 16a): the operator's contract fixes these; the defaults follow the model contract."""

    model_config = ConfigDict(frozen=True)
    transfer_days: int = Field(default=14, ge=1, description="art. 16a (operator's contract): funds transferred to an "
                                                             "implementer within N days after its contract")
    micro_report_days: int = Field(default=30, ge=1, description="operator's contract: an implementer's report after its task ends")
    channels: tuple[str, ...] = Field(default=("operator_website", "bip"), description="art. 16a: where the operator publishes its choice")


# The file types whose content the engine recognises (states/offer_attachments.py reads a file's first bytes), and
# the largest file any rule set may allow: the doors refuse a larger body before reading it.
AttachmentType = Literal["application/pdf", "image/png", "image/jpeg"]
ATTACHMENT_TYPES: tuple[AttachmentType, ...] = ("application/pdf", "image/png", "image/jpeg")
MAX_ATTACHMENT_MEGABYTES = 10


class AttachmentRules(BaseModel):
    """Files attached to an offer on the model form (art. 13 ust. 2: the announcement may ask for annexes; the
    form's VII.6 speaks of the offer's annexes): how large, how many and of which types is the city's policy."""

    model_config = ConfigDict(frozen=True)
    max_megabytes: int = Field(default=5, ge=1, le=MAX_ATTACHMENT_MEGABYTES, description="local policy: each file at most N MB")
    max_files: int = Field(default=10, ge=0, le=50, description="local policy: files per offer (0: none)")
    media_types: tuple[AttachmentType, ...] = Field(default=ATTACHMENT_TYPES, min_length=1,
                                                    description="local policy: the types accepted, read from the content")

    @property
    def max_bytes(self) -> int:
        return self.max_megabytes * 1024 * 1024


class NotificationRules(BaseModel):
    """Lead times of reminders (local policy: the statute sets none); used by ``notifications/``."""

    model_config = ConfigDict(frozen=True)
    report_reminder_days_before: int = Field(default=7, ge=1, description="remind of a report N days before it is due")
    report_reminder_on_due_day: bool = Field(default=True, description="remind again on the day the report is due")
    scoring_reminder_working_days_before: int = Field(
        default=2, ge=1, description="remind a member who has not scored N working days before the selection date")
    reminder_hour: int = Field(default=8, ge=0, le=23, description="Warsaw hour at which reminders are sent")


# The texts every basis string cites, as checked against their consolidated texts on 2026-12-06 (docs/law.md).
LEGAL_TEXTS: dict[str, str] = {
    "ustawa": "ustawa z dnia 24 kwietnia 2003 r. o działalności pożytku publicznego i o wolontariacie "
              "(t.j. Dz.U. 2024 poz. 1491)",
    "KC": "ustawa z dnia 23 kwietnia 1964 r. – Kodeks cywilny (t.j. Dz.U. 2024 poz. 1061)",
    "KPA": "ustawa z dnia 14 czerwca 1960 r. – Kodeks postępowania administracyjnego (t.j. Dz.U. 2024 poz. 572)",
    "ufp": "ustawa z dnia 27 sierpnia 2009 r. o finansach publicznych (t.j. Dz.U. 2024 poz. 1530)",
    "wzory ofert": "rozporządzenie Przewodniczącego Komitetu do spraw Pożytku Publicznego z dnia 24 października "
                   "2018 r. w sprawie wzorów ofert i ramowych wzorów umów (Dz.U. 2018 poz. 2057)",
    "oferta uproszczona": "rozporządzenie Przewodniczącego Komitetu do spraw Pożytku Publicznego z dnia 24 "
                          "października 2018 r. w sprawie uproszczonego wzoru oferty i uproszczonego wzoru "
                          "sprawozdania (Dz.U. 2018 poz. 2055)",
}
# Provisions repealed in the texts above: no basis may cite them (tests/test_citations.py).
REPEALED = ("art. 19a ust. 2",)


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True)
    version: str
    description: str = ""
    legal_texts: dict[str, str] = Field(default_factory=lambda: dict(LEGAL_TEXTS),
                                        description="the consolidated texts the bases cite")
    open_call: OpenCallRules = OpenCallRules()
    notifications: NotificationRules = NotificationRules()
    small_grant: SmallGrantRules = SmallGrantRules()
    consultation: ConsultationRules = ConsultationRules()
    local_initiative: LocalInitiativeRules = LocalInitiativeRules()
    regranting: RegrantingRules = RegrantingRules()
    attachments: AttachmentRules = AttachmentRules()


LESZNO_2026 = RuleSet(
    version="leszno-2026.1",
    description="Leszno, programme of cooperation 2026: statutory periods, Leszno's local policy",
    # Resolution XLVI/601/2021: 7 calendar days closing at 15:30; portal, NGO portal, BIP and the board.
    consultation=ConsultationRules(closing_time=time(15, 30),
                                   channels=("consultations_portal", "ngo_portal", "bip", "board")),
)

BUILTIN_RULE_SETS: dict[str, RuleSet] = {LESZNO_2026.version: LESZNO_2026}
DEFAULT_RULE_SET = LESZNO_2026.version
