"""The public contract: the case file (input) and the recommendation (output).

Field names follow ``spec/contract.md`` v1 exactly; a few optional fields are added (documented in
``docs/contract.md``): persons' ``private_gain``, ``superior_order_manifestly_unlawful``,
``diligent_review`` and ``crime_suspected``; ``history.series_cases``; and, in the output, the
per-item breakdown, the channel, the band, and the circumstances considered but not applied.

All models forbid unknown keys, so a misspelt key is an error rather than silently ignored.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, model_validator
from pydantic_core import PydanticCustomError

Origin = Literal["court", "procuratorate", "reconsideration", "supervision"]
Outcome = Literal[
    "revoked", "partly_revoked", "varied", "confirmed_illegal", "confirmed_void", "ordered_perform",
    "ordered_pay", "compensation", "upheld", "dismissed", "withdrawn", "mediated",
]
ActType = Literal[
    "penalty", "compulsion", "licensing", "inspection", "decision", "information_disclosure", "other"
]
Ground = Literal[
    "insufficient_evidence", "wrong_law", "illegal_procedure", "minor_procedure", "ultra_vires",
    "abuse_of_power", "clearly_improper", "failure_to_perform", "delayed_performance", "void",
    "deemed_no_evidence",
]
AgencyLevel = Literal["township", "county", "city", "province"]
AbsenceReason = Literal["none", "force_majeure", "accident", "irreplaceable_duty", "other_justified"]
SocialImpact = Literal["none", "minor", "serious", "severe"]
Role = Literal[
    "handler", "reviewer", "legal_reviewer", "approver", "leader_in_charge", "principal",
    "collective_member", "superior",
]
Fault = Literal["none", "ordinary_negligence", "gross_negligence", "intentional"]
Conduct = Literal[
    "proposed_wrong_opinion", "failed_to_detect", "detected_not_corrected",
    "overrode_correct_opinion", "decided_without_review", "instructed_or_interfered",
    "acted_beyond_approval", "held_wrong_opinion_in_collective", "recorded_dissent", "failed_approval_duty",
]
Status = Literal["error_case", "not_error_case", "pending"]
#: a responsibility code: the rulebook's own (the default rulebook: direct, primary_leadership,
#: important_leadership, none)
Responsibility = str
#: a review track code: the rulebook's own (the default rulebook: routine, special, key)
Track = str
Referral = Literal["discipline", "criminal"]

ORIGINS: tuple[str, ...] = Origin.__args__  # type: ignore[attr-defined]
OUTCOMES: tuple[str, ...] = Outcome.__args__  # type: ignore[attr-defined]
ACT_TYPES: tuple[str, ...] = ActType.__args__  # type: ignore[attr-defined]
GROUNDS: tuple[str, ...] = Ground.__args__  # type: ignore[attr-defined]
AGENCY_LEVELS: tuple[str, ...] = AgencyLevel.__args__  # type: ignore[attr-defined]
ABSENCE_REASONS: tuple[str, ...] = AbsenceReason.__args__  # type: ignore[attr-defined]
SOCIAL_IMPACTS: tuple[str, ...] = SocialImpact.__args__  # type: ignore[attr-defined]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
FAULTS: tuple[str, ...] = Fault.__args__  # type: ignore[attr-defined]
CONDUCTS: tuple[str, ...] = Conduct.__args__  # type: ignore[attr-defined]

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")]
Code = Annotated[str, Field(pattern=r"^[A-Z]{1,3}[0-9]{1,3}$")]
SnakeId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date(value: Any) -> Any:
    """A date, or its ISO text ``YYYY-MM-DD``; nothing else (no timestamps, no date-times)."""
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError("date_value", "Input is not a real calendar date (YYYY-MM-DD)") from None
    raise PydanticCustomError("date_type", "Input should be a date written YYYY-MM-DD")


#: A date in a case: a YAML date or the text ``YYYY-MM-DD`` (a number, a date-time or other text is an error).
IsoDate = Annotated[_dt.date, BeforeValidator(_iso_date)]


class _Strict(BaseModel):
    # strict: no coercion at the contract boundary — a boolean is not a number, a number is not a
    # date, text is not a number (issue #15); dates are handled by IsoDate
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class Agency(_Strict):
    """The agency whose act was corrected."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    level: AgencyLevel
    field: SnakeId
    region: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="The administrative area (县、市、州) the agency belongs to, for statistics "
        "that pool a region's agencies (extension; default: the agency alone)."
    )


class Hearing(_Strict):
    """Court hearing facts (court cases only): did the agency head appear (S04)."""

    head_summoned: StrictBool
    head_appeared: StrictBool
    absence_reason: AbsenceReason = "none"
    absence_documented: StrictBool = False
    staff_appeared: StrictBool = True


class Finding(_Strict):
    """A conclusion of the backward review (倒查): one situation item and who committed it."""

    item: Code
    persons: list[Identifier] = Field(default_factory=list, max_length=100)
    note: Annotated[str, Field(max_length=2000)] | None = None
    deception_detectable: StrictBool = Field(
        default=True,
        description="For a falsification (F4): a diligent review could have detected it (extension; false when "
                    "only e.g. an expert appraisal revealed it).",
    )
    collective: StrictBool = Field(
        default=False, description="The item came from a collective decision (集体决策) (extension)."
    )
    unlawful_norm: StrictBool = Field(
        default=False, description="The act followed a normative document that itself conflicts with a higher law "
                                   "(所执行的规范性文件与法律、法规相抵触) (extension)."
    )


class Consequences(_Strict):
    """What the wrongful act caused."""

    economic_loss_yuan: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0
    social_impact: SocialImpact = "none"
    state_compensation: StrictBool = False
    mass_incident: StrictBool = False


class History(_Strict):
    """The agency's record, for series and repeat detection."""

    same_field_losses_3y: Annotated[StrictInt, Field(ge=0, le=100_000)] = 0
    same_issue_lost_before: StrictBool = False
    same_act_remade: StrictBool = Field(
        default=False, description="After an order to re-make the act, the agency re-made the same act on the same "
        "facts and reasons (行政诉讼法 第七十一条, 行政复议法 第六十四条第二款) (extension).")
    series_cases: Annotated[StrictInt, Field(ge=0, le=100_000)] = Field(
        default=0, description="Other cases of the same series (系列案件) in the same field (extension)."
    )
    county_loss_rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = Field(
        default=None, description="The county's administrative-litigation loss rate (0-1) in the current statistics "
                                  "period; omitted when unknown (extension)."
    )
    agency_loss_rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = Field(
        default=None, description="The agency's own administrative-litigation loss rate (0-1) in the current "
                                  "statistics period; omitted when unknown (extension)."
    )
    same_field_losses: Annotated[StrictInt, Field(ge=0, le=100_000)] | None = Field(
        default=None, description="Cases of the agency lost or corrected in the same field within "
        "`same_field_window_years` years (extension; default: `same_field_losses_3y` over 3 years).")
    same_field_window_years: Annotated[StrictInt, Field(ge=1, le=20)] | None = Field(
        default=None, description="The window of `same_field_losses`, in years (extension; required with it).")
    prior_unit_sanctions: Annotated[StrictInt, Field(ge=0, le=100_000)] = Field(
        default=0, description="Accountability measures already taken against the agency as a unit (通报批评, "
        "约谈 …) in the current assessment period (extension).")

    @model_validator(mode="after")
    def _window(self) -> History:
        if (self.same_field_losses is None) != (self.same_field_window_years is None):
            raise ValueError("same_field_losses and same_field_window_years go together: give both or neither")
        return self


class Procedure(_Strict):
    """How the act went through the agency's internal procedure (extension): whether it was reviewed,
    legally reviewed and approved. Omitted: derived from the persons listed (a reviewer, a legal reviewer,
    an approver among them)."""

    reviewed: StrictBool
    legally_reviewed: StrictBool
    approved: StrictBool


class CaseInfo(_Strict):
    """The corrected administrative act and how it was corrected."""

    id: Identifier
    origin: Origin
    outcome: Outcome
    effective: StrictBool
    decided_on: IsoDate | None = None
    conduct_date: IsoDate | None = None
    act_type: ActType
    grounds: list[Ground] = Field(default_factory=list, max_length=20)
    agency: Agency
    hearing: Hearing | None = None
    opinion_letter: StrictBool = Field(
        default=False, description="The reconsideration body issued a 行政复议意见书 on the act (extension).")
    supervision_recommendation_refused: StrictBool = Field(
        default=False, description="The unit refused, without a proper reason, a 监察建议 of the supervisory "
        "commission on the matter, or refused to carry out its handling decision (监察法 第七十一条; 2018 第六十二条).")
    findings: list[Finding] = Field(default_factory=list, max_length=200)
    consequences: Consequences = Field(default_factory=Consequences)
    history: History = Field(default_factory=lambda: History())
    procedure: Procedure | None = Field(
        default=None, description="Whether the act passed review, legal review and approval (extension; "
        "omitted: derived from the roles of the persons listed).")
    party_org_serious_breach: StrictBool = Field(
        default=False,
        description="The unit's party organisation failed its duty, seriously breached party discipline and "
                    "cannot correct itself (问责条例 第八条 predicate of 改组) (extension).",
    )


class Person(_Strict):
    """A person in the handling chain."""

    id: Identifier
    name: Annotated[str, Field(max_length=100)] = ""
    role: Role
    party_member: StrictBool = False
    leading_cadre: StrictBool = False
    fault: Fault
    conduct: list[Conduct] = Field(default_factory=list, max_length=20)
    circumstances: list[Code] = Field(default_factory=list, max_length=40)
    private_gain: StrictBool = Field(default=False, description="Acted for private gain (谋取私利) (extension).")
    superior_order_manifestly_unlawful: StrictBool = Field(
        default=False, description="Executed a superior's decision that was manifestly unlawful (extension)."
    )
    diligent_review: StrictBool = Field(
        default=False, description="Diligent performance of the review duty is documented (extension)."
    )
    crime_suspected: StrictBool = Field(default=False, description="A crime is suspected (extension).")
    within_sanction_period: StrictBool = Field(
        default=False, description="Acted again within a sanction or influence period (处分期、影响期内) (extension)."
    )
    prior_sanctions: Annotated[StrictInt, Field(ge=0, le=100)] = Field(
        default=0, description="Accountability measures or sanctions the person received before, for other "
        "conduct (extension).")


class Case(_Strict):
    """One case file: ``case`` and ``persons`` (contract §1)."""

    case: CaseInfo
    persons: list[Person] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _references(self) -> Case:
        seen: dict[str, int] = {}
        errors: list[str] = []
        for i, p in enumerate(self.persons):
            if p.id in seen:
                errors.append(f"persons[{i}].id: duplicate person id '{p.id}' (also persons[{seen[p.id]}])")
            seen.setdefault(p.id, i)
        for fi, f in enumerate(self.case.findings):
            for pi, pid in enumerate(f.persons):
                if pid not in seen:
                    known = ", ".join(seen) or "none"
                    errors.append(
                        f"case.findings[{fi}].persons[{pi}]: unknown person '{pid}'; "
                        f"persons defined: {known}"
                    )
            if len(set(f.persons)) != len(f.persons):
                errors.append(f"case.findings[{fi}].persons: a person is listed twice")
        for i, p in enumerate(self.persons):
            if len(set(p.circumstances)) != len(p.circumstances):
                errors.append(f"persons[{i}].circumstances: a code is listed twice")
        if errors:
            raise ValueError("\n".join(errors))
        return self


# --------------------------------------------------------------------------- output


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_O = TypeVar("_O", bound=BaseModel)
_Spec = tuple[tuple[str, ...], tuple[tuple[str, Any, Callable[[], Any] | None], ...]]
_FIELD_SPECS: dict[type[BaseModel], _Spec] = {}
_set = object.__setattr__


def _field_spec(cls: type[BaseModel]) -> _Spec:
    rows = tuple((name, f.default, f.default_factory) for name, f in cls.model_fields.items())
    spec: _Spec = (tuple(r[0] for r in rows), rows)  # type: ignore[assignment]  # factories take no argument here
    _FIELD_SPECS[cls] = spec
    return spec


def trusted(cls: type[_O], **values: Any) -> _O:
    """Build an output model from values the engine computed itself, without validating them.

    The decision stage builds a few dozen output objects per case; validating values it has just
    computed costs more than deciding them. This does what ``model_construct`` does (missing
    fields take their defaults; the result equals a validated instance, fields in declaration
    order, which is the order pydantic writes them in) at a fraction of its cost. The test suite
    round-trips recommendations through ``Recommendation.model_validate_json``, so an invalid
    value cannot go unnoticed.
    """
    names, rows = _FIELD_SPECS.get(cls) or _field_spec(cls)
    if tuple(values) == names:  # every field given, in order (the hot path): take them as they are
        d = values
    else:
        d = {}
        for name, default, factory in rows:
            if name in values:
                d[name] = values[name]
            elif factory is not None:
                d[name] = factory()
            else:
                d[name] = default
    obj = cls.__new__(cls)
    _set(obj, "__dict__", d)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


class Citation(_Out):
    """An article of an instrument, in a given version.

    ``analogue`` marks a text of another jurisdiction (or outside its field), printed as 参照 and never
    the binding basis; ``in_force`` is false for the marker printed when no cited text was in force on
    the date that decides (无当时有效文本, 无当时有效的法律、法规文本) or none applies to the case, and None
    (``null``) for a text whose in-force dates are unknown (printed "施行日期不详").
    """

    instrument: str
    article: str
    version: str
    quote: str | None = None
    analogue: bool = False
    in_force: bool | None = True


class Reason(_Out):
    """Why a conclusion holds: the rule, its text, its citation, where it is written, the facts."""

    rule: str
    text: str
    citation: Citation
    citations: list[Citation] = Field(default_factory=list)
    source: str
    facts: dict[str, Any] = Field(default_factory=dict)
    inference: str | None = None


class RulebookRef(_Out):
    """Which rulebook produced the recommendation."""

    id: str
    version: str
    sha256: str


class EngineRef(_Out):
    """Which engine and backend produced it."""

    version: str
    backend: Literal["durable", "python"]


class ErrorCaseOut(_Out):
    """Is this an error case (错案), and under which definition."""

    status: Status
    definition: str | None
    reasons: list[Reason]


class Situation(_Out):
    """An accountability situation (问责情形) that occurred."""

    item: str
    category: str
    name: str = ""
    persons: list[str]
    reasons: list[Reason]
    unanswered: bool = Field(
        default=False, description="Nobody was found responsible for it: 倒查未查明责任人员，应补充调查 (extension).")
    note: str | None = None


class Exemption(_Out):
    """An exemption (不予/免予问责) that was applied."""

    code: str
    reasons: list[Reason]
    kind: Literal["not_liable", "exempt_from_sanction"] = Field(
        default="not_liable",
        description="not_liable: 不予追究 (no liability); exempt_from_sanction: 免予处分 (liable, no sanction; "
                    "the lighter measures remain) (extension).")


class Considered(_Out):
    """A circumstance or exemption that was claimed or tested, and whether it applied."""

    code: str
    applied: bool
    effect: str
    why: str
    reasons: list[Reason] = Field(default_factory=list)


class Influence(_Out):
    """The influence period (影响期) attached to a level."""

    months: int | None
    effects: list[str]
    verified: bool
    basis: Reason


class ItemOutcome(_Out):
    """The per-item breakdown for one person."""

    item: str
    responsibility: Responsibility
    grade: str | None
    level: str
    rank: int
    exempted_by: str | None = None


class PersonOutcome(_Out):
    """What one person should receive (contract §2 ``persons``)."""

    id: str
    name: str = ""
    role: str = ""
    responsibility: Responsibility
    level: str
    rank: int
    measures: list[str]
    exemption: Exemption | None
    referral: Referral | None
    influence: Influence | None
    channel: str | None = None
    band: Literal["lower", "middle", "upper"] | None = None
    items: list[ItemOutcome] = Field(default_factory=list)
    considered: list[Considered] = Field(default_factory=list)
    reasons: list[Reason]


class UnitMeasure(_Out):
    """A measure for the unit (单位)."""

    measure: str
    code: str = ""
    name: str = ""
    reasons: list[Reason]


class Review(_Out):
    """The expert-panel review track."""

    track: Track
    reasons: list[Reason]
    tracks: list[Track] = Field(
        default_factory=list, description="Every track that applies, highest first (extension).")


class Recommendation(_Out):
    """The recommendation (contract §2)."""

    case_id: str
    rulebook: RulebookRef
    engine: EngineRef
    error_case: ErrorCaseOut
    situations: list[Situation]
    persons: list[PersonOutcome]
    unit_measures: list[UnitMeasure]
    review: Review
