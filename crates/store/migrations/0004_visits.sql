-- Social-work visits (探访). Stations are facilities of kind
-- social_work_station; the villages they serve (facility_villages) are the
-- people their social workers reach. Visit rules are data (JSON of
-- kangyang_domain::visits::VisitRule), seeded with the defaults.

CREATE TABLE visit_rules (
    code TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE visits (
    id {id},
    person_id BIGINT NOT NULL REFERENCES persons (id),
    station_id BIGINT REFERENCES facilities (id),
    worker_id BIGINT,
    day TEXT NOT NULL,
    -- in_person or phone
    mode TEXT NOT NULL,
    -- JSON arrays of finding and risk codes
    findings TEXT NOT NULL,
    risk_flags TEXT NOT NULL,
    referral TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX visits_person ON visits (person_id, day);
CREATE INDEX visits_station ON visits (station_id, day);
