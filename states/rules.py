"""Versioned rule sets: the local policy and the periods and limits a case is run by.

The statute fixes some numbers (21 days, 30 days for a report) and leaves others to the city (scales,
threshold, correction window, contract clauses). All of them live here, each with its basis, so one place
holds every number the engine uses. A case pins one version when it is announced; later versions never
rewrite a running case (invariant 6). A field that undercuts a statutory minimum is refused.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator


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


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True)
    version: str
    description: str = ""
    open_call: OpenCallRules = OpenCallRules()


LESZNO_2026 = RuleSet(
    version="leszno-2026.1",
    description="Leszno, programme of cooperation 2026: statutory periods, Leszno's local policy",
)

BUILTIN_RULE_SETS: dict[str, RuleSet] = {LESZNO_2026.version: LESZNO_2026}
DEFAULT_RULE_SET = LESZNO_2026.version
