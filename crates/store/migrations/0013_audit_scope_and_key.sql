-- The audit trail is read by region like everything else: an auditor bound
-- to a county reads the rows about that county's objects (a person's village,
-- a facility's region), or made by its users where there is no object.
-- Rows tied to no region ('', the command line and unknown sign-in names)
-- are read by auditors of the whole province only.
ALTER TABLE audit_log ADD COLUMN region {code} NOT NULL DEFAULT '';
CREATE INDEX audit_log_region ON audit_log (region, id);
-- Rows written before this version: their object's region where it can be
-- found, else their user's. (Their plain hash does not cover it.)
UPDATE audit_log SET region = COALESCE(
    CASE object_type
        WHEN 'person' THEN (SELECT p.village_code FROM persons p WHERE CAST(p.id AS TEXT) = audit_log.object_id)
        WHEN 'facility' THEN (SELECT f.region_code FROM facilities f WHERE CAST(f.id AS TEXT) = audit_log.object_id)
        WHEN 'region' THEN (SELECT r.code FROM regions r WHERE r.code = audit_log.object_id)
    END,
    (SELECT u.region_code FROM users u WHERE u.id = audit_log.user_id),
    '');
-- The chain is keyed (HMAC-SM3) from row `keyed_from` on; the server marks
-- it at its first start with a key, sealing the mark with that key.
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN keyed_seal TEXT NOT NULL DEFAULT '';
