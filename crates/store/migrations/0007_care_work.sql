-- Medical-care integration (医养结合) and the work of social-work stations:
-- agreements between care institutions and clinics; station activities,
-- social workers' training, the station head, and the head's acknowledgement
-- of visits raised to them.

-- An agreement between a care institution and a clinic (both facilities).
CREATE TABLE care_agreements (
    id {id},
    institution_id BIGINT NOT NULL REFERENCES facilities (id),
    clinic_id BIGINT NOT NULL REFERENCES facilities (id),
    -- The institution's region, so scope filters need no join.
    region_code {code} NOT NULL,
    -- JSON array of service codes (kangyang_domain::care::CARE_SERVICES).
    services TEXT NOT NULL,
    visits_per_month BIGINT NOT NULL,
    start_date TEXT NOT NULL,
    -- The last day in force: the agreed end, or the day it was ended early.
    end_date TEXT,
    notes TEXT NOT NULL DEFAULT '',
    end_reason TEXT NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    ended_by BIGINT,
    ended_at BIGINT
);
CREATE INDEX care_agreements_institution ON care_agreements (institution_id, start_date);
CREATE INDEX care_agreements_clinic ON care_agreements (clinic_id);
CREATE INDEX care_agreements_region ON care_agreements (region_code);

-- A station's activities: group work, community events, training for
-- residents, policy publicity.
CREATE TABLE station_activities (
    id {id},
    station_id BIGINT NOT NULL REFERENCES facilities (id),
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    participants BIGINT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    recorded_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX station_activities_station ON station_activities (station_id, day);

-- Social workers' training: the worker is a user bound to the station.
CREATE TABLE station_trainings (
    id {id},
    station_id BIGINT NOT NULL REFERENCES facilities (id),
    worker_id BIGINT NOT NULL REFERENCES users (id),
    course TEXT NOT NULL,
    day TEXT NOT NULL,
    -- Tenths of an hour (1.5 hours = 15).
    hours_tenths BIGINT NOT NULL,
    organiser TEXT NOT NULL DEFAULT '',
    recorded_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX station_trainings_station ON station_trainings (station_id, day);

-- The station head (站长): one per station, a user bound to it.
CREATE TABLE station_heads (
    station_id BIGINT PRIMARY KEY REFERENCES facilities (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    set_by BIGINT,
    set_at BIGINT NOT NULL
);

-- The head's acknowledgement of a visit raised to them. An overdue spell is
-- the person and the day the missed visit fell due: once visited and overdue
-- again, the new spell is raised afresh.
CREATE TABLE visit_raise_acks (
    id {id},
    station_id BIGINT NOT NULL REFERENCES facilities (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    due_on TEXT NOT NULL,
    acknowledged_by BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    acknowledged_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX visit_raise_acks_spell ON visit_raise_acks (station_id, person_id, due_on);
