-- Children in care (儿童福利机构养育的儿童). A child's file is closed to all
-- but the staff assigned to the child; anyone else in scope opens it by
-- giving a reason (break-glass), which the auditor reviews. Free text about a
-- child (guardian, school, health, activity notes) is sealed like other
-- sensitive values; what lists and totals need stays in plain columns.

CREATE TABLE child_files (
    person_id BIGINT PRIMARY KEY REFERENCES persons (id),
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    guardianship TEXT NOT NULL,
    schooling TEXT NOT NULL,
    -- Monthly allowance (e.g. 孤儿基本生活费) in fen.
    allowance_fen BIGINT NOT NULL DEFAULT 0,
    -- Sealed JSON: guardian, school and grade, health, allowance notes.
    details_cipher {blob} NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT
);
CREATE INDEX child_files_facility ON child_files (facility_id);

CREATE TABLE child_activities (
    id {id},
    person_id BIGINT NOT NULL REFERENCES persons (id),
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    notes_cipher {blob} NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX child_activities_person ON child_activities (person_id, day);

CREATE TABLE child_assignments (
    person_id BIGINT NOT NULL REFERENCES persons (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    assigned_at BIGINT NOT NULL,
    assigned_by BIGINT,
    PRIMARY KEY (person_id, user_id)
);
CREATE INDEX child_assignments_user ON child_assignments (user_id);

CREATE TABLE break_glass (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    reason TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    reviewed_at BIGINT,
    reviewed_by BIGINT,
    review_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX break_glass_open ON break_glass (user_id, person_id, expires_at);
CREATE INDEX break_glass_review ON break_glass (reviewed_at, opened_at);
