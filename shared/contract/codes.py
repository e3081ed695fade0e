"""The contract's code lists (snake_case English): docs/contract.md lists them, docs/domain.md
says where they come from."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Channel(StrEnum):
    G2G = "g2g"
    G2B = "g2b"
    P3MI = "p3mi"
    INDIVIDUAL = "individual"


class Occupation(StrEnum):
    # The ten occupations of Regulation BP2MI 9/2020 art. 3(3) (the zero-cost rule applies).
    HOUSEKEEPER = "housekeeper"
    BABY_CARER = "baby_carer"
    ELDERLY_CARER = "elderly_carer"
    COOK = "cook"
    FAMILY_DRIVER = "family_driver"
    GARDENER = "gardener"
    CHILD_CARER = "child_carer"
    CLEANER = "cleaner"
    FARM_WORKER = "farm_worker"
    FISHING_CREW = "fishing_crew"
    # Other occupations seen in placements.
    FACTORY_WORKER = "factory_worker"
    CONSTRUCTION_WORKER = "construction_worker"
    NURSE = "nurse"
    # A carer in a household (the "caregiver" of Taiwan's and Hong Kong's domestic care permits):
    # the regulation's baby, child and elderly carers under one name, so the zero-cost rule
    # applies. Care work in a nursing home or hospital is INSTITUTIONAL_CAREGIVER.
    CAREGIVER = "caregiver"
    HOSPITALITY_WORKER = "hospitality_worker"
    MERCHANT_SEAFARER = "merchant_seafarer"
    OTHER = "other"
    INSTITUTIONAL_CAREGIVER = "institutional_caregiver"  # outside the zero-cost rule's list


# The ten occupations the regulation lists, word for word.
REGULATION_OCCUPATIONS: frozenset[Occupation] = frozenset(list(Occupation)[:10])
# The occupations the zero-cost rule protects: the ten, and the household caregiver who does the
# work of three of them (a household must not escape the rule by naming the job differently).
ZERO_COST_OCCUPATIONS: frozenset[Occupation] = REGULATION_OCCUPATIONS | {Occupation.CAREGIVER}


class FeeComponent(StrEnum):
    # The fourteen components of Regulation BP2MI 9/2020 art. 3(2).
    DEPARTURE_TICKET = "departure_ticket"
    RETURN_TICKET = "return_ticket"
    WORK_VISA = "work_visa"
    CONTRACT_LEGALISATION = "contract_legalisation"
    JOB_TRAINING = "job_training"
    COMPETENCY_CERTIFICATION = "competency_certification"
    AGENCY_SERVICE_FEE = "agency_service_fee"
    PASSPORT = "passport"
    POLICE_CLEARANCE = "police_clearance"
    SOCIAL_SECURITY = "social_security"
    HEALTH_EXAM = "health_exam"
    DESTINATION_HEALTH_EXAM = "destination_health_exam"
    LOCAL_TRANSPORT = "local_transport"
    ACCOMMODATION = "accommodation"
    OTHER = "other"


ZERO_COST_COMPONENTS: frozenset[FeeComponent] = frozenset(
    c for c in FeeComponent if c is not FeeComponent.OTHER
)


class Legality(StrEnum):
    ILLEGAL = "illegal"  # forbidden by the zero-cost rule
    WARNING = "warning"  # against ILO fair-recruitment principles, not (provably) illegal


class Level(StrEnum):
    VILLAGE = "village"
    REGENCY = "regency"
    PROVINCE = "province"
    NATIONAL = "national"


class WorkerStatus(StrEnum):
    REGISTERED = "registered"
    VERIFIED = "verified"
    DEPARTED = "departed"
    RETURNED = "returned"


class CaseCategory(StrEnum):
    REPATRIATION = "repatriation"
    UNPAID_WAGES = "unpaid_wages"
    DEPORTATION = "deportation"
    FAILED_TO_DEPART = "failed_to_depart"
    DIED_ABROAD = "died_abroad"
    JOB_OFFER_FRAUD = "job_offer_fraud"
    SICK = "sick"
    SOCIAL_SECURITY = "social_security"
    PREGNANCY = "pregnancy"
    TRAFFICKING = "trafficking"
    WORK_NOT_AS_CONTRACTED = "work_not_as_contracted"
    EMPLOYER_VIOLENCE = "employer_violence"
    MENTAL_ILLNESS = "mental_illness"
    LOST_CONTACT = "lost_contact"
    SEXUAL_HARASSMENT = "sexual_harassment"
    ILLEGAL_FEE = "illegal_fee"
    DEBT_BONDAGE = "debt_bondage"
    JOB_INFORMATION_MANIPULATION = "job_information_manipulation"


class GbvType(StrEnum):
    # The six GBVIMS core types.
    RAPE = "rape"
    SEXUAL_ASSAULT = "sexual_assault"
    PHYSICAL_ASSAULT = "physical_assault"
    FORCED_MARRIAGE = "forced_marriage"
    DENIAL_OF_RESOURCES = "denial_of_resources"
    PSYCHOLOGICAL_ABUSE = "psychological_abuse"


class CaseStatus(StrEnum):
    NEW = "new"
    ASSESSMENT = "assessment"
    CASE_PLAN = "case_plan"
    SERVICE_PROVISION = "service_provision"
    SERVICES_IMPLEMENTED = "services_implemented"
    CLOSED = "closed"


class CaseAction(StrEnum):
    """What was done on a case: services, workflow steps and the steps that move its deadlines.

    A ``case-action-taken`` event carries one of these and the case's status after it.
    """

    # Services (docs/domain.md, cases): recorded on any open case; from the case plan on, the
    # first one moves the case to service provision.
    MEDICAL = "medical"
    PSYCHOSOCIAL = "psychosocial"
    LEGAL_ASSISTANCE = "legal_assistance"
    MEDIATION = "mediation"
    AGENCY_CLARIFICATION = "agency_clarification"
    INSURANCE_CLAIM = "insurance_claim"
    REPATRIATION = "repatriation"
    REINTEGRATION = "reintegration"
    FEE_REFUND = "fee_refund"
    DEBT_TRANSFER = "debt_transfer"
    # Workflow steps: new -> assessment -> case plan -> (services) -> services implemented.
    ASSESSMENT = "assessment"
    CASE_PLAN = "case_plan"
    SERVICES_COMPLETED = "services_completed"
    # Steps that start or stop a deadline clock (Regulation BP2MI 6/2024 art. 30).
    DOCUMENTS_COMPLETED = "documents_completed"
    CLARIFICATION_REQUESTED = "clarification_requested"  # asked of the complainant
    CLARIFICATION_ANSWERED = "clarification_answered"
    CONTACT_FAILED = "contact_failed"
    COMPLAINANT_REACHED = "complainant_reached"
    UNRESOLVABLE_NOTIFIED = "unresolvable_notified"


CASE_SERVICES: frozenset[CaseAction] = frozenset(list(CaseAction)[:10])


class IntakeChannel(StrEnum):
    """How a case came in (``case-opened.data.channel``)."""

    WALK_IN = "walk_in"  # at a village post, an LTSA or a BP3MI office
    PHONE = "phone"  # a hotline or call centre
    MESSAGING = "messaging"  # WhatsApp, SMS
    EMAIL = "email"
    LETTER = "letter"
    SOCIAL_MEDIA = "social_media"
    EMBASSY = "embassy"  # an Indonesian mission abroad
    ORGANISATION = "organisation"  # referred by an NGO, a union or another office
    OUTREACH = "outreach"  # found by an officer's own monitoring
    PUBLIC_REPORT = "public_report"  # a worker's or a family's report, no account


class DueClock(StrEnum):
    """The deadline clocks of Regulation BP2MI 6/2024 art. 30 (``due_clock`` of case events)."""

    DOCUMENTS_INCOMPLETE = "documents_incomplete"  # 30 days after registration
    CLARIFICATION_UNANSWERED = "clarification_unanswered"  # 15 working days after the request
    COMPLAINANT_UNREACHABLE = "complainant_unreachable"  # 60 consecutive days
    UNRESOLVABLE_NOTICE = "unresolvable_notice"  # 6 months after the complainant was told


class EscalationReason(StrEnum):
    """Why a case went one level up (``case-escalated.data.reason``); any note stays in cases."""

    CASE_OVERDUE = "case_overdue"  # a deadline clock ended (automatic on the alert)
    BEYOND_LEVEL_AUTHORITY = "beyond_level_authority"  # e.g. agency sanctions, prosecution
    NEEDS_ACTION_ABROAD = "needs_action_abroad"  # the worker is abroad: mission or ministry
    OTHER_JURISDICTION = "other_jurisdiction"  # parties (an agency) seated elsewhere
    RISK_TO_LIFE = "risk_to_life"
    NO_PROGRESS = "no_progress"
    SURVIVOR_REQUEST = "survivor_request"
    OTHER = "other"


class ClosureReason(StrEnum):
    """Why a case was closed (``case-closed.data.reason``); any note stays in cases."""

    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"  # merged into another case (``merged_into``)
    REPORT_REJECTED = "report_rejected"  # a worker's or family's report rejected at triage
    # The four outcomes of Regulation BP2MI 6/2024 art. 30, once their clock has ended.
    DOCUMENTS_INCOMPLETE = "documents_incomplete"
    CLARIFICATION_UNANSWERED = "clarification_unanswered"
    COMPLAINANT_UNREACHABLE = "complainant_unreachable"
    UNRESOLVABLE = "unresolvable"


# The closure each deadline clock allows once it has ended.
CLOSURE_OF_CLOCK: dict[DueClock, ClosureReason] = {
    DueClock.DOCUMENTS_INCOMPLETE: ClosureReason.DOCUMENTS_INCOMPLETE,
    DueClock.CLARIFICATION_UNANSWERED: ClosureReason.CLARIFICATION_UNANSWERED,
    DueClock.COMPLAINANT_UNREACHABLE: ClosureReason.COMPLAINANT_UNREACHABLE,
    DueClock.UNRESOLVABLE_NOTICE: ClosureReason.UNRESOLVABLE,
}


# What ``case-referred.data.to`` looks like: a code naming an organisation, never free text.
ORGANISATION_CODE_PATTERN = r"^[a-z0-9]+([._-][a-z0-9]+)*$"
ORGANISATION_CODE_MAX = 64


class ReopeningReason(StrEnum):
    """Why a closed case was reopened (``case-reopened.data.reason``)."""

    NEW_INFORMATION = "new_information"
    DOCUMENTS_SUPPLIED = "documents_supplied"
    COMPLAINANT_REACHABLE = "complainant_reachable"
    CLOSED_IN_ERROR = "closed_in_error"
    PROBLEM_RECURRED = "problem_recurred"
    OTHER = "other"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertRule(StrEnum):
    """The rules of docs/contract.md ("Alert rules"): ``alert-raised.data.rule`` is one of these."""

    ILLEGAL_FEE = "illegal_fee"
    FEE_WARNING = "fee_warning"
    UNLICENSED_AGENCY = "unlicensed_agency"
    CASE_UNASSIGNED = "case_unassigned"
    CASE_DEADLINE_NEAR = "case_deadline_near"
    CASE_OVERDUE = "case_overdue"
    AGENCY_HOTSPOT = "agency_hotspot"
    VILLAGE_SURGE = "village_surge"
    RETURN_OVERDUE = "return_overdue"
    NON_PROCEDURAL = "non_procedural"


class AlertResolution(StrEnum):
    """Why an alert was resolved: ``condition_cleared`` by the rules themselves, the others are
    a monitor's note (a code: events never carry free text)."""

    CONDITION_CLEARED = "condition_cleared"
    ACTION_TAKEN = "action_taken"
    REFERRED = "referred"
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"
    NO_ACTION_NEEDED = "no_action_needed"


class SanctionReason(StrEnum):
    """Why an agency's licence was suspended or revoked (UU 18/2017 art. 57 and its sanctions).

    Published on ``registry.agency.v1`` instead of free text: a code cannot carry a worker's
    name or NIK. The officer's own note stays in the registry's database.
    """

    ILLEGAL_FEES = "illegal_fees"  # fees charged against the zero-cost rule
    DOCUMENT_FRAUD = "document_fraud"  # falsified documents or data of workers
    UNDERAGE_PLACEMENT = "underage_placement"
    TRAFFICKING = "trafficking"
    WORKER_ABUSE = "worker_abuse"  # violence, confinement, withheld documents or wages
    NON_PROCEDURAL_PLACEMENT = "non_procedural_placement"  # outside the procedure, closed countries
    PROTECTION_OBLIGATIONS = "protection_obligations"  # training, insurance, reporting not met
    LICENCE_CONDITIONS = "licence_conditions"  # capital, deposit or office no longer as licensed
    COURT_ORDER = "court_order"
    OTHER = "other"


class ServiceKind(StrEnum):
    """A service delivered to a worker or a member of their family (``service-delivered``):
    what villages (DESBUMI, Desmigratif) and one-roof centres (LTSA, Migrant Resource Centres)
    do before departure and after return (docs/domain.md)."""

    # Before departure: each prepares the worker's next departure (PRE_DEPARTURE_SERVICES).
    PRE_DEPARTURE_INFORMATION = "pre_departure_information"  # safe migration, the procedure
    PRE_DEPARTURE_TRAINING = "pre_departure_training"  # orientation (OPP/PAP), language, skills
    DOCUMENT_ASSISTANCE = "document_assistance"  # identity papers, passport, contract
    FINANCIAL_LITERACY = "financial_literacy"
    RIGHTS_TRAINING = "rights_training"  # workers' rights, where to complain
    # After return: reintegration (REINTEGRATION_SERVICES), and the family left behind.
    REINTEGRATION_TRAINING = "reintegration_training"  # business and entrepreneurship
    COOPERATIVE = "cooperative"  # membership of a workers' or families' cooperative
    REMITTANCE_MANAGEMENT = "remittance_management"  # productive use of remittances
    COMMUNITY_PARENTING = "community_parenting"  # children left behind (rumah pintar)
    PSYCHOSOCIAL_SUPPORT = "psychosocial_support"


# The services that prepare a worker's departure, and those that count as taking part in a
# reintegration programme after a return (docs/domain.md gives the figures' definitions).
PRE_DEPARTURE_SERVICES: frozenset[ServiceKind] = frozenset(list(ServiceKind)[:5])
REINTEGRATION_SERVICES: frozenset[ServiceKind] = frozenset(
    {
        ServiceKind.REINTEGRATION_TRAINING,
        ServiceKind.COOPERATIVE,
        ServiceKind.REMITTANCE_MANAGEMENT,
        ServiceKind.PSYCHOSOCIAL_SUPPORT,
    }
)


class Beneficiary(StrEnum):
    """Who received a service: the worker, or a member of the worker's family."""

    WORKER = "worker"
    FAMILY = "family"


class FamilyRelation(StrEnum):
    """A family member's relation to the worker (a child in community parenting, a spouse in a
    cooperative)."""

    CHILD = "child"
    SPOUSE = "spouse"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER = "other"


class ServiceProvider(StrEnum):
    """Who delivered a service. A village officer records the village's own services; a one-roof
    centre's staff record under their officer token (its area is the centre's) and name the
    centre's kind."""

    VILLAGE = "village"  # the village post (DESBUMI, Desmigratif)
    LTSA = "ltsa"  # one-roof integrated service centre (Layanan Terpadu Satu Atap)
    MRC = "mrc"  # Migrant Resource Centre
    REGENCY_OFFICE = "regency_office"  # the regency's manpower office (Disnaker)
    PROVINCE_OFFICE = "province_office"  # the province's office (BP3MI)
    MINISTRY = "ministry"  # KP2MI
