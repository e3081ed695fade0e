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


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
