-- Facilities and what happens in them: the community Kangyuan centres'
-- enrolment, attendance, five-in-one services, counselling and piecework;
-- the assessment engine (star ratings); brand projects, pairing and funds.
-- Money is integer fen; areas are whole square metres; coordinates are
-- WGS-84 microdegrees (integers, so both engines compare them exactly).

ALTER TABLE facilities ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE facilities ADD COLUMN longitude_e6 BIGINT;
ALTER TABLE facilities ADD COLUMN latitude_e6 BIGINT;
ALTER TABLE facilities ADD COLUMN floor_area_m2 BIGINT;
ALTER TABLE facilities ADD COLUMN capacity BIGINT;
ALTER TABLE facilities ADD COLUMN opening_hours TEXT NOT NULL DEFAULT '';
ALTER TABLE facilities ADD COLUMN operator TEXT NOT NULL DEFAULT '';
ALTER TABLE facilities ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE facilities ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
-- Who may be enrolled, as JSON (kangyang_domain::facility::EligibilityRule).
ALTER TABLE facilities ADD COLUMN eligibility TEXT NOT NULL DEFAULT '{}';
ALTER TABLE facilities ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX facilities_kind ON facilities (kind, region_code);

CREATE TABLE facility_rooms (
    id {id},
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    name TEXT NOT NULL,
    function TEXT NOT NULL,
    area_m2 BIGINT
);
CREATE INDEX facility_rooms_facility ON facility_rooms (facility_id);

-- The villages and communities a facility serves.
CREATE TABLE facility_villages (
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    village_code {code} NOT NULL REFERENCES regions (code),
    PRIMARY KEY (facility_id, village_code)
);

-- The sites a facility has occupied. A relocation closes the current site
-- (moved_out) and opens a new one, so the old address and date remain.
CREATE TABLE facility_sites (
    id {id},
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    address TEXT NOT NULL,
    floor_area_m2 BIGINT,
    moved_in TEXT,
    moved_out TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX facility_sites_facility ON facility_sites (facility_id);

ALTER TABLE enrolments ADD COLUMN enrolled_by BIGINT;
ALTER TABLE enrolments ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
-- One current enrolment of a person per facility (both engines have partial indexes).
CREATE UNIQUE INDEX enrolments_current ON enrolments (facility_id, person_id) WHERE end_date IS NULL;

-- Daily attendance (签到): one row per trainee and day, written as staff tap.
CREATE TABLE attendance (
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    day TEXT NOT NULL,
    present BIGINT NOT NULL,
    recorded_by BIGINT,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (facility_id, day, person_id)
);
CREATE INDEX attendance_person ON attendance (person_id, day);

-- Five-in-one service records, for one person or a group activity.
CREATE TABLE service_records (
    id {id},
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    title TEXT NOT NULL,
    group_activity BIGINT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    recorded_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX service_records_facility ON service_records (facility_id, day);
CREATE TABLE service_participants (
    record_id BIGINT NOT NULL REFERENCES service_records (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    PRIMARY KEY (record_id, person_id)
);
CREATE INDEX service_participants_person ON service_participants (person_id);

-- Counselling sessions: the notes are sealed (SM4-GCM) and opened only for
-- users whose role holds the counselling permission.
CREATE TABLE counselling_sessions (
    id {id},
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    day TEXT NOT NULL,
    counsellor_id BIGINT,
    notes_cipher {blob} NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX counselling_person ON counselling_sessions (person_id);

-- Assisted employment: piecework orders from partner companies and each
-- trainee's daily output.
CREATE TABLE piecework_orders (
    id {id},
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    company TEXT NOT NULL,
    product TEXT NOT NULL,
    unit_price_fen BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    start_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX piecework_orders_facility ON piecework_orders (facility_id);
CREATE TABLE piecework_output (
    order_id BIGINT NOT NULL REFERENCES piecework_orders (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    day TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    recorded_by BIGINT,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, day, person_id)
);
CREATE INDEX piecework_output_person ON piecework_output (person_id, day);

-- The assessment engine: templates (JSON of kangyang_domain::assessment::Template),
-- rating rounds, and scored assessments of a facility, a person or a project.
CREATE TABLE assessment_templates (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE rating_rounds (
    id {id},
    template_code TEXT NOT NULL REFERENCES assessment_templates (code),
    name TEXT NOT NULL,
    region_code {code} NOT NULL REFERENCES regions (code),
    opened_on TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE assessments (
    id {id},
    template_code TEXT NOT NULL REFERENCES assessment_templates (code),
    round_id BIGINT REFERENCES rating_rounds (id),
    subject_type TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    -- The region the subject lies in, so scope filters need no join.
    region_code {code} NOT NULL,
    scores TEXT NOT NULL,
    total BIGINT NOT NULL,
    result TEXT,
    evidence TEXT NOT NULL DEFAULT '',
    assessed_on TEXT NOT NULL,
    assessor TEXT NOT NULL,
    recorded_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX assessments_subject ON assessments (subject_type, subject_id, assessed_on);
CREATE INDEX assessments_region ON assessments (template_code, region_code);

-- One centre, one brand (一康园一品牌).
CREATE TABLE brand_projects (
    id {id},
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    started_on TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE brand_milestones (
    id {id},
    project_id BIGINT NOT NULL REFERENCES brand_projects (id),
    title TEXT NOT NULL,
    planned_on TEXT NOT NULL,
    done_on TEXT
);

-- Pairing (结对帮扶): organisations that help centres or people.
CREATE TABLE partner_orgs (
    id {id},
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_code {code} NOT NULL REFERENCES regions (code),
    contact TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX partner_orgs_region ON partner_orgs (region_code);
CREATE TABLE pairings (
    id {id},
    org_id BIGINT NOT NULL REFERENCES partner_orgs (id),
    facility_id BIGINT REFERENCES facilities (id),
    person_id BIGINT REFERENCES persons (id),
    -- The facility's region or the person's village, for scope.
    region_code {code} NOT NULL,
    started_on TEXT NOT NULL,
    ended_on TEXT
);
CREATE INDEX pairings_region ON pairings (region_code);
CREATE INDEX pairings_org ON pairings (org_id);
CREATE TABLE help_records (
    id {id},
    pairing_id BIGINT NOT NULL REFERENCES pairings (id),
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount_fen BIGINT NOT NULL DEFAULT 0,
    goods TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX help_records_pairing ON help_records (pairing_id);

-- Funds: where money comes from, the projects it goes to, what is spent.
CREATE TABLE fund_sources (
    id {id},
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_code {code} NOT NULL REFERENCES regions (code),
    created_at BIGINT NOT NULL
);
CREATE TABLE projects (
    id {id},
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_code {code} NOT NULL REFERENCES regions (code),
    -- The facility a building project is for; a programme across several
    -- facilities lists them in project_facilities instead.
    facility_id BIGINT REFERENCES facilities (id),
    budget_fen BIGINT NOT NULL,
    started_on TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX projects_region ON projects (region_code);
CREATE TABLE project_facilities (
    project_id BIGINT NOT NULL REFERENCES projects (id),
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    PRIMARY KEY (project_id, facility_id)
);
CREATE TABLE allocations (
    id {id},
    source_id BIGINT NOT NULL REFERENCES fund_sources (id),
    project_id BIGINT NOT NULL REFERENCES projects (id),
    amount_fen BIGINT NOT NULL,
    day TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX allocations_project ON allocations (project_id);
CREATE TABLE expenditures (
    id {id},
    project_id BIGINT NOT NULL REFERENCES projects (id),
    amount_fen BIGINT NOT NULL,
    day TEXT NOT NULL,
    item TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX expenditures_project ON expenditures (project_id);
