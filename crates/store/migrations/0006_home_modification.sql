-- Age-friendly home modification (居家适老化改造): annual targets per region,
-- cases of elderly households moving through their steps, the items of each
-- case's design from the Ministry's 2020 list, the history of steps, and the
-- before/after photos. A case keeps the village of the home it was opened
-- for, so the progress of a region counts where the works were done.

CREATE TABLE home_mod_targets (
    region_code {code} NOT NULL REFERENCES regions (code),
    year BIGINT NOT NULL,
    households BIGINT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (region_code, year)
);

CREATE TABLE home_mod_cases (
    id {id},
    person_id BIGINT NOT NULL REFERENCES persons (id),
    village_code {code} NOT NULL REFERENCES regions (code),
    year BIGINT NOT NULL,
    state TEXT NOT NULL,
    -- the day the case entered its current state ('YYYY-MM-DD')
    since TEXT NOT NULL,
    applied_on TEXT NOT NULL,
    -- kept equal to the sums over home_mod_items by every write of items
    total_fen BIGINT NOT NULL,
    basic_fen BIGINT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One live case per person and year; a withdrawn case leaves room for a new
-- application. Partial indexes work on SQLite (3.8+) and PostgreSQL alike.
CREATE UNIQUE INDEX home_mod_cases_one_a_year ON home_mod_cases (person_id, year) WHERE state <> 'withdrawn';
CREATE INDEX home_mod_cases_region ON home_mod_cases (year, village_code);
CREATE INDEX home_mod_cases_open ON home_mod_cases (state, village_code);

CREATE TABLE home_mod_items (
    case_id BIGINT NOT NULL REFERENCES home_mod_cases (id),
    item_code TEXT NOT NULL,
    -- 1 for the list's basic items (基础类), 0 for optional ones (可选类)
    basic BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_cost_fen BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, item_code)
);

CREATE TABLE home_mod_history (
    id {id},
    case_id BIGINT NOT NULL REFERENCES home_mod_cases (id),
    -- empty when the case was opened
    from_state TEXT,
    to_state TEXT NOT NULL,
    day TEXT NOT NULL,
    user_id BIGINT,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX home_mod_history_case ON home_mod_history (case_id, id);

CREATE TABLE home_mod_photos (
    id {id},
    case_id BIGINT NOT NULL REFERENCES home_mod_cases (id),
    phase TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes {blob} NOT NULL,
    size BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    uploaded_by BIGINT
);
CREATE INDEX home_mod_photos_case ON home_mod_photos (case_id, id);
