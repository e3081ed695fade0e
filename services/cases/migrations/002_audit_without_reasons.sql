-- Audit rows hold ids, roles and area codes only (shared/service/audit.py). The reason stated for
-- a break-the-glass grant or a consent override is free text: it stays on the grant's row
-- (break_glass_grants.reason) or the referral's (case_referrals.override_reason), and the audit
-- row names that row (grant_id, referral_id). An audit export or a log shipper fed from
-- audit_log then carries no free text out of the service.
ALTER TABLE audit_log ADD COLUMN referral_id bigint;

-- Overrides audited before this migration: name the referral whose reason the row repeated.
UPDATE audit_log AS a SET referral_id = r.id
  FROM case_referrals AS r
 WHERE a.action = 'case.consent_override'
   AND r.case_id = a.case_id
   AND r.consent_overridden
   AND r.override_reason = a.reason;

ALTER TABLE audit_log DROP COLUMN reason;
