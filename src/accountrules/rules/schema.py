"""The rulebook schema (pydantic v2): what a rule author may write in ``rules/*.yaml``.

A rulebook is a directory. ``rulebook.yaml`` holds the manifest (id, version, policy); every other
``*.yaml`` file (``*.cases.yaml`` excepted) holds one or more *sections*. Each section is a list;
the lists of all files are concatenated in file-name order. See ``docs/rule-format.md``.

Catalogue sections (vocabularies): ``instruments``, ``definitions``, ``categories``, ``items``,
``grades``, ``responsibilities``, ``ladder``, ``measures``, ``channels``, ``circumstances``,
``unit_measure_types``, ``review_tracks``; the table ``matrix``. Reporting sections (read by the
letter and the statistics, not by the engine): ``deciding_bodies``, ``stat_thresholds``.

Rule sections (each rule: ``id``, ``title``, ``when``, ``then``, ``citations`` …):
``status_rules``, ``grounds`` and ``grade_modifiers`` (stage *case*),
``personal_grade_modifiers``, ``chain``,
``circumstance_effects``, ``exemptions``, ``exemption_blocks``, ``level_rules`` (stage
*person × finding*), ``channel_rules`` (stage *person*), ``unit_measures`` and ``review``
(stage *outcome*).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ..diagnostics import SourceSpan

Id = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,79}$")]
Code = Annotated[str, Field(pattern=r"^[A-Z]{1,3}[0-9]{1,3}$")]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    _span: SourceSpan | None = PrivateAttr(default=None)

    @property
    def span(self) -> SourceSpan | None:
        """Where this element is written (not part of equality)."""
        return self._span


class Text(_M):
    """A text in Chinese and English."""

    zh: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``zh`` or ``en``)."""
        return self.zh if lang == "zh" else self.en


class CitationSpec(_M):
    """A citation: an article of a registered instrument, optionally quoted word for word."""

    instrument: Id
    article: Annotated[str, Field(min_length=1, max_length=80)]
    version: Annotated[str, Field(pattern=r"^\d{4}(-\d{2}-\d{2})?$")] | None = None
    quote: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    when: Any = Field(
        default=None, description="When the citation applies (a condition, see *Conditions*; the facts of "
        "the stage where the reason is given, `case.*` and `policy.*` for catalogue entries); omitted: always.")
    analogue: bool | None = Field(
        default=None, description="Printed as 参照 (an analogue, not binding); the instrument's `analogue` "
        "when omitted.")
    date: Literal["conduct", "decision", "evaluation"] | None = Field(
        default=None, description="Which date picks the version in force: the conduct date, the date of the "
        "correcting decision or the date of evaluation; the section's default when omitted "
        "(see semantics.md, *Citations and dates*).")
    _cond: Any = PrivateAttr(default=None)
    _basis: str = PrivateAttr(default="decision")

    @property
    def cond(self) -> Any:
        """The parsed ``when`` (set by the validator; None means always)."""
        return self._cond

    @property
    def basis(self) -> str:
        """Which date picks the version in force: ``conduct``, ``decision`` or ``evaluation``."""
        return self._basis


class _Cited(_M):
    citations: Annotated[list[CitationSpec], Field(min_length=1)]
    inference: str | None = Field(
        default=None, description="Set when the rule rests on inference rather than the cited text alone."
    )


# --------------------------------------------------------------------------- catalogues


class Instrument(_M):
    """A law, regulation, party rule or local rule that rules cite."""

    id: Id
    name: Annotated[str, Field(min_length=1)]
    short: Annotated[str, Field(min_length=1)]
    kind: Literal["law", "regulation", "judicial_interpretation", "party_rule", "local_rule",
                  "local_regulation", "departmental_rule", "policy", "local_practice"]
    version: Annotated[str, Field(pattern=r"^(\d{4}(-\d{2}-\d{2})?|unknown)$",
                                  description="The version (date of the text): `YYYY`, `YYYY-MM-DD`, or `unknown` "
                                  "when the date of the text was not found (no version is printed).")] | None = None
    in_force_from: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = Field(
        default=None, description="First day in force. Omitted: the text counts from the date of its `version` "
        "(`YYYY-MM-DD`) or 1 January of its year (`YYYY`), never before it existed, and its dates are printed as "
        "unknown (施行日期不详).")
    in_force_until: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = Field(
        default=None, description="Last day in force; omitted: still in force.")
    official_text: str | None = Field(
        default=None, description="File name of the official text in the rulebook's `law/` folder, "
        "`NAME(YYYY-MM-DD).md`; how it is laid out: *Official texts* below.")
    reliability: Literal["V", "Vp", "P", "R", "I"] = "V"
    analogue: bool = Field(
        default=False, description="A text of another jurisdiction (or outside its field): every citation of it "
        "is printed as 参照 (analogue), never as the binding basis.")
    governs: Literal["correcting_decision"] | None = Field(
        default=None, description="`correcting_decision`: a text of the correcting body's procedure (行政诉讼法, "
        "行政复议法, their interpretations, 出庭应诉规定, 行政执法监督条例): a citation of it without `date` takes the "
        "date of the correcting decision, whatever its section; lint reports one cited with `date: conduct` "
        "(`procedure-date`).")
    note: str | None = None

    @property
    def earliest_in_force(self) -> str | None:
        """The first day (ISO) on which the text may be in force: ``in_force_from``; without it, the date of
        the text (``version`` ``YYYY-MM-DD``) or 1 January of its year (``version`` ``YYYY``) — a text cannot
        govern before it existed (docs/semantics.md, *Citations and dates*); None when nothing is known."""
        if self.in_force_from is not None:
            return self.in_force_from
        if self.version is None or self.version == "unknown":
            return None
        return self.version if len(self.version) == 10 else f"{self.version}-01-01"


class Definition(_Cited):
    """An error-case definition (T1…T6)."""

    id: Id
    name: Text


class Category(_M):
    """A category of situations (D, E, F, L, P, N, R)."""

    id: Id
    name: Text


class ItemRoles(_M):
    """Who typically bears the item: direct bearers, then oversight roles."""

    direct: list[str] = Field(
        default_factory=list,
        description="Roles that typically commit the item (the fact `finding.role_is_direct`).")
    oversight: list[str] = Field(
        default_factory=list,
        description="Roles that typically fail to stop it (the fact `finding.role_is_oversight`).")


class Item(_Cited):
    """A situation item (问责情形), e.g. P2."""

    id: Code
    category: Id
    name: Text
    base_grade: Id
    roles: ItemRoles = Field(default_factory=ItemRoles)


class Grade(_M):
    """A severity grade (G1…G5)."""

    id: Id
    value: Annotated[int, Field(ge=1, le=20)]
    name: Text


class ResponsibilityType(_Cited):
    """A responsibility type (直接责任 …), ranked: the rulebook names its own types; the engine knows only
    their ranks (exactly one type has rank 0: no responsibility; the heaviest rank wins, and the matrix
    has a column for every type of rank above 0)."""

    id: Id
    rank: Annotated[int, Field(ge=0, le=10, description="Order: higher is heavier; 0 is no responsibility "
                                                        "(exactly one type).")]
    name: Text
    non_leader_name: Text | None = Field(
        default=None, description="How the responsibility is named for a person who is not a leading cadre "
        "(领导责任 is reserved to leading cadres): e.g. 主要责任 for 主要领导责任. Default: name."
    )


class InfluenceSpec(_Cited):
    """An influence period (影响期)."""

    months: Annotated[int, Field(ge=0, le=120)] | None = None
    effects: list[Id] = Field(default_factory=list)
    verified: bool


class Level(_Cited):
    """A rung of the sanction ladder."""

    id: Id
    rank: Annotated[int, Field(ge=0, le=20)]
    name: Text
    referral: Literal["discipline", "criminal"] | None = None
    measures: dict[Id, list[Id]] = Field(default_factory=dict, description="channel -> measures")
    aggravates_to: Id | None = Field(
        default=None, description="The level one step of 加重 leads to (default: the next rank up).")
    influence: dict[Id, InfluenceSpec] = Field(default_factory=dict, description="channel or 'default'")


class Measure(_M):
    """An individual measure named in ``measures`` (调离执法岗位 …)."""

    id: Id
    name: Text


class Channel(_Cited):
    """A channel by person type (问责条例 / 政务处分 / 过错追究)."""

    id: Id
    name: Text
    leading_cadres: bool = Field(
        default=False, description="The channel is for leading cadres: its persons are named as bearing 领导责任."
    )


class Circumstance(_Cited):
    """A circumstance code (AG…, MT…, EX…)."""

    code: Code
    kind: Literal["aggravating", "mitigating", "exempting"]
    name: Text
    exemption: Literal["not_liable", "exempt_from_sanction"] = Field(
        default="not_liable",
        description="For an exempting code: 不予追究 (not_liable: no liability) or 免予处分 (exempt_from_sanction: "
                    "liable, no sanction, the lighter measures of policy.exemption_keeps remain).")


class UnitMeasureType(_Cited):
    """A unit-level measure (U1…)."""

    id: Id
    code: Code
    name: Text
    superseded_by: list[Id] = Field(default_factory=list)


class ReviewTrack(_M):
    """A review track (常规/专项/重点评审)."""

    id: Id
    rank: Annotated[int, Field(ge=0, le=10)]
    name: Text


class DecidingBody(_Cited):
    """A body that decides on the recommendation for a person (纪检监察机关, 任免机关): the letter's addressee.

    A person referred (``referral``) goes to the first body listing that referral; any other person to
    the first body listing the person's channel.
    """

    id: Id
    name: Text
    channels: list[Id] = Field(default_factory=list, description="Persons of these channels go to this body.")
    referrals: list[Literal["discipline", "criminal"]] = Field(
        default_factory=list, description="Persons referred this way go to this body, whatever their channel."
    )


class StatThreshold(_Cited):
    """A threshold on the statistics (``accountrules stats``): crossing it raises a flag naming this rule.

    Rates (``litigation_loss_rate``, ``reconsideration_correction_rate``, ``head_appearance_rate``) take
    ``above`` or ``below`` (a fraction, strict); ``field_losses`` (lost or corrected cases of one agency in
    one field within ``window_years`` years) takes ``at_least``.
    """

    id: Id
    title: Text
    metric: Literal["litigation_loss_rate", "reconsideration_correction_rate", "head_appearance_rate",
                    "field_losses"]
    group: Literal["region", "agency", "agency_field"] = Field(
        description="region: all agencies of a region (agency.region, else the agency itself); agency; "
        "agency_field: one agency in one enforcement field."
    )
    agency_level: Literal["township", "county", "city", "province"] | None = Field(
        default=None, description="Only groups whose agencies are at this level."
    )
    above: Annotated[float, Field(ge=0, le=1)] | None = None
    below: Annotated[float, Field(ge=0, le=1)] | None = None
    at_least: Annotated[int, Field(ge=1, le=100_000)] | None = None
    window_years: Annotated[int, Field(ge=1, le=20)] = 1
    action: Text = Field(description="What the flag requires (书面报告, 专项评审 …).")

    @model_validator(mode="after")
    def _one_bound(self) -> StatThreshold:
        bounds = [b for b in ("above", "below", "at_least") if getattr(self, b) is not None]
        if len(bounds) != 1:
            raise ValueError("give exactly one of 'above', 'below' (rates) or 'at_least' (field_losses)")
        if (self.metric == "field_losses") != (bounds[0] == "at_least"):
            raise ValueError("'field_losses' takes 'at_least'; a rate takes 'above' or 'below'")
        if self.window_years != 1 and self.metric != "field_losses":
            raise ValueError("'window_years' applies to 'field_losses' only")
        return self


class ParameterValue(_M):
    """One value of a parameter and when it is in force (like an instrument's dates)."""

    value: float | int = Field(description="The value (a number: a rate as a fraction 0–1, an amount in yuan, "
                               "a number of months …).")
    in_force_from: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = Field(
        default=None, description="First day the value applies (by `case.law_date`); omitted: always before.")
    in_force_until: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = Field(
        default=None, description="Last day the value applies; omitted: still in force.")


class Parameter(_Cited):
    """A threshold or other number the rules compare facts with (`{param: ID}` in a condition), dated like a
    citation and printed with its source: the reason of a rule that tests it adds the parameter's citations
    and its value (`{param.ID}` in a rule's `explain`)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,79}$", description="Lower-case snake_case id.")]
    name: Text
    unit: Literal["rate", "yuan", "months", "years", "count", "number"] = Field(
        default="number", description="What the value measures, for printing: `rate` (a fraction 0–1, printed "
        "as a percentage), `yuan`, `months`, `years`, `count` or a plain `number`.")
    values: Annotated[list[ParameterValue], Field(min_length=1)] = Field(
        description="The values in force, each with its dates; the periods must not overlap.")
    note: str | None = None

    @model_validator(mode="after")
    def _rates(self) -> Parameter:
        if self.unit == "rate" and any(not 0 <= v.value <= 1 for v in self.values):
            raise ValueError("a 'rate' parameter is a fraction between 0 and 1 (30 % is 0.3)")
        return self


class RoleSpec(_M):
    """A role of the case file and its place in the handling chain (`roles`): the derived facts of the chain
    (`finding.handler_fault_rank`, `finding.earlier_max_fault_rank`, `case.procedure.*` when the case file does not
    state the procedure, `person.chain_position`) read these, never the role ids. A rulebook that declares no
    roles has the default rulebook's chain (handler 1 handling, reviewer 2 review, legal_reviewer 3 legal_review,
    approver 4 approval, leader_in_charge 5 and principal 6 leadership, collective_member 6 collective,
    superior 7 supervision)."""

    id: Id = Field(description="A role of the case file (`labels.role`).")
    step: Literal["handling", "review", "legal_review", "approval", "leadership", "collective", "supervision"] = Field(
        description="What the role does in the chain.")
    position: Annotated[int, Field(ge=1, le=20, description="Order in the chain: 1 acts first (the handler); "
                                   "roles at the same position are peers.")]


class CodeMap(_M):
    """How the codes of a case written for another rulebook read in this one (`code_maps`): each item or
    circumstance code this rulebook does not define is replaced by its counterpart before evaluation; a code
    mapped to `null` has no counterpart (the case is refused with a clear message). What was mapped is
    reported (the situation's `note`, `accountrules evaluate` on standard error, `Engine.map_codes`)."""

    from_rulebook: Id = Field(description="Id of the rulebook the case codes come from (e.g. "
                              "`guizhou-bijie-default`); printed in the report.")
    items: dict[Annotated[str, Field(pattern=r"^[A-Z]{1,3}[0-9]{1,3}$")], Code | None] = Field(
        default_factory=dict, description="Its item code → this rulebook's item code (null: no counterpart).")
    circumstances: dict[Annotated[str, Field(pattern=r"^[A-Z]{1,3}[0-9]{1,3}$")], Code | None] = Field(
        default_factory=dict, description="Its circumstance code → this rulebook's (null: no counterpart).")
    note: str | None = None


class Matrix(_Cited):
    """Grade × responsibility → level."""

    id: Id = "matrix"
    title: Text | None = None
    cells: dict[Id, dict[Id, Id]] = Field(
        description="grade → responsibility → level: a row per grade, a column per responsibility of rank above 0.")


# --------------------------------------------------------------------------- rules


class Rule(_Cited):
    """Common shape of every rule."""

    id: Id
    title: Text
    explain: Text | None = Field(
        default=None, description="Reason text; {fact.path} placeholders are filled from the facts."
    )
    when: Any = None
    exception_to: list[Id] = Field(default_factory=list)
    note: str | None = None


class StatusThen(_M):
    """Outcome of a status rule."""

    status: Literal["error_case", "not_error_case", "pending"]
    definition: Id | None = None


class StatusRule(Rule):
    """Is the case an error case (stage *case*)."""

    then: StatusThen


class GroundThen(_M):
    """Outcome of a ground rule."""

    items: Annotated[list[Code], Field(min_length=1)]
    default: Code


class GroundRule(Rule):
    """A statutory correction ground → candidate items (stage *case*)."""

    then: GroundThen


class GradeThen(_M):
    """Outcome of a grade modifier: +delta, max within a group, groups summed."""

    group: Id
    delta: Annotated[int, Field(ge=-4, le=4)]


class GradeRule(Rule):
    """A grade modifier: case-level (consequences) or personal (intent)."""

    then: GradeThen


class ChainThen(_M):
    """Outcome of a chain rule."""

    responsibility: Id = Field(description="Id of an entry of `responsibilities` (rank 0: none).")


class ChainRule(Rule):
    """A responsibility-chain rule RC1… (stage *person × finding*)."""

    then: ChainThen


class EffectThen(_M):
    """Outcome of a circumstance effect."""

    code: Code
    effect: Literal["heavier", "lighter", "aggravate", "mitigate"]


class EffectRule(Rule):
    """A circumstance and how it moves the level (stage *person × finding*)."""

    then: EffectThen


class ExemptThen(_M):
    """Outcome of an exemption rule."""

    code: Code


class ExemptionRule(Rule):
    """An exemption that applies when its conditions hold (stage *person × finding*)."""

    then: ExemptThen


class BlockThen(_M):
    """Which exemptions a block rule blocks (``all`` or a list of codes)."""

    blocks: Literal["all"] | list[Code]


class BlockRule(Rule):
    """A bar to exemptions (intent, private gain, manifestly unlawful order …)."""

    then: BlockThen


class LevelThen(_M):
    """A floor or a ceiling on the level."""

    min_level: Id | None = None
    max_level: Id | None = None


class LevelRule(Rule):
    """A floor or ceiling on a person's level for one item (stage *person × finding*)."""

    then: LevelThen


class ChannelThen(_M):
    """Outcome of a channel rule."""

    channel: Id


class ChannelRule(Rule):
    """Which channel applies to a person (stage *person*); the first rule in order wins."""

    then: ChannelThen


class UnitThen(_M):
    """Outcome of a unit-measure rule."""

    measures: Annotated[list[Id], Field(min_length=1)]


class UnitRule(Rule):
    """Unit-level measures (stage *outcome*)."""

    then: UnitThen


class ReviewThen(_M):
    """Outcome of a review rule."""

    track: Id = Field(description="Id of an entry of `review_tracks`.")


class ReviewRule(Rule):
    """Review track (stage *outcome*); the highest-ranked track that fires wins."""

    then: ReviewThen


class Policy(_M):
    """Jurisdiction-level switches."""

    chain_weighting: Literal["handler_first", "approver_first"] = Field(
        default="handler_first",
        description="Only a fact, `policy.chain_weighting`, that chain rules may test (e.g. the default rulebook's "
                    "`RC4-…-approver-first` rules); it changes nothing by itself: which person bears which "
                    "responsibility is decided by the chain rules alone.")
    aggravation_cap: Id | None = Field(
        default=None, description="加重 never goes above this level (default: the highest level of the ladder)")
    reference_date: Literal["decided_on", "conduct_date"] = Field(
        default="decided_on",
        description="Which date picks the version of a cited text in force: `decided_on` — each citation by its "
                    "basis (the conduct date, the date of the correcting decision or the date of evaluation, see "
                    "semantics.md, *Citations and dates*); `conduct_date` — every basis uses the conduct date (the "
                    "date of evaluation stays `--as-of` when given).")
    county_triggers: bool = Field(
        default=False,
        description="Only a fact, `policy.county_triggers`, that rules may test (the default rulebook's T5/T6 status "
                    "rules — head absent, major supervision error — require it); it changes nothing by itself.")
    flag_unanswered: bool = Field(
        default=True,
        description="A situation nobody is found responsible for is flagged unanswered (倒查未查明责任人员，应补充调查) "
                    "and left out of outcome.items/categories (the 逐案倒查、逐人定责 of a backward review); false: the "
                    "agency answers for every situation a finding names (e.g. supervision of an agency), and only a "
                    "ground's default item that no finding names is flagged (倒查未查明责任人员、机关情形，应补充调查).")
    exemption_keeps: Id | None = Field(
        default=None,
        description="免予处分 keeps the measures of this level (政务处分法 第十二条), which is also the floor of 减轻 for "
                    "a liable item; unset: an exemption and 减轻 from the lowest rank give rank 0.")
    choice_of_law: list[CitationSpec] = Field(
        default_factory=list, description="The basis of 从旧兼从轻 (e.g. 政务处分法 第六十七条): when the law changed between "
        "the conduct date and the date of evaluation, a person's sanction is decided under both and the lighter "
        "applies, with these citations (none: the conduct date's law only).")
    home_jurisdictions: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="Names that mark the rulebook's own jurisdiction (e.g. 贵州, 毕节); lint "
        "reports a local instrument naming none of them that is not marked `analogue: true` (`analogue-unmarked`).")


class Manifest(_M):
    """``rulebook.yaml``: identity and policy."""

    id: Id
    version: Annotated[str, Field(min_length=1, max_length=40)]
    title: Text
    jurisdiction: Text
    policy: Policy = Field(default_factory=lambda: Policy())
    description: Text | None = None


class RuleFile(_M):
    """The sections one YAML file may contain."""

    rulebook: Manifest | None = None
    instruments: list[Instrument] = Field(default_factory=list)
    definitions: list[Definition] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    grades: list[Grade] = Field(default_factory=list)
    responsibilities: list[ResponsibilityType] = Field(default_factory=list)
    ladder: list[Level] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    circumstances: list[Circumstance] = Field(default_factory=list)
    unit_measure_types: list[UnitMeasureType] = Field(default_factory=list)
    review_tracks: list[ReviewTrack] = Field(default_factory=list)
    matrix: Matrix | None = None
    status_rules: list[StatusRule] = Field(default_factory=list)
    grounds: list[GroundRule] = Field(default_factory=list)
    grade_modifiers: list[GradeRule] = Field(default_factory=list)
    personal_grade_modifiers: list[GradeRule] = Field(default_factory=list)
    chain: list[ChainRule] = Field(default_factory=list)
    circumstance_effects: list[EffectRule] = Field(default_factory=list)
    exemptions: list[ExemptionRule] = Field(default_factory=list)
    exemption_blocks: list[BlockRule] = Field(default_factory=list)
    level_rules: list[LevelRule] = Field(default_factory=list)
    channel_rules: list[ChannelRule] = Field(default_factory=list)
    unit_measures: list[UnitRule] = Field(default_factory=list)
    review: list[ReviewRule] = Field(default_factory=list)
    deciding_bodies: list[DecidingBody] = Field(default_factory=list)
    stat_thresholds: list[StatThreshold] = Field(default_factory=list)
    parameters: list[Parameter] = Field(default_factory=list)
    code_maps: list[CodeMap] = Field(default_factory=list)
    roles: list[RoleSpec] = Field(default_factory=list)
    labels: dict[Id, dict[str, Text]] | None = Field(
        default=None, description="Vocabulary → code → {zh, en}: the labels of the closed vocabularies."
    )


#: rule section -> (stage, rule class)
RULE_SECTIONS: dict[str, tuple[str, type[Rule]]] = {
    "status_rules": ("case", StatusRule),
    "grounds": ("case", GroundRule),
    "grade_modifiers": ("case", GradeRule),
    "personal_grade_modifiers": ("pf", GradeRule),
    "chain": ("pf", ChainRule),
    "circumstance_effects": ("pf", EffectRule),
    "exemptions": ("pf", ExemptionRule),
    "exemption_blocks": ("pf", BlockRule),
    "level_rules": ("pf", LevelRule),
    "channel_rules": ("person", ChannelRule),
    "unit_measures": ("outcome", UnitRule),
    "review": ("outcome", ReviewRule),
}

CATALOG_SECTIONS = (
    "instruments", "definitions", "categories", "items", "grades", "responsibilities", "ladder",
    "measures", "channels", "circumstances", "unit_measure_types", "review_tracks", "deciding_bodies",
    "stat_thresholds", "parameters",
)
