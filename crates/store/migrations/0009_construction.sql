-- Construction projects (建设项目) of welfare facilities: the stage each has
-- reached, its milestones with planned and actual dates, and its payments.
-- A project may be paid through a funds project (projects, 0003): each
-- payment is then also written as that project's expenditure.
CREATE TABLE construction_projects (
    id {id},
    name TEXT NOT NULL,
    region_code {code} NOT NULL REFERENCES regions (code),
    -- The facility being built or rebuilt, once it is registered.
    facility_id BIGINT REFERENCES facilities (id),
    facility_kind TEXT NOT NULL,
    fund_project_id BIGINT REFERENCES projects (id),
    stage TEXT NOT NULL,
    budget_fen BIGINT NOT NULL,
    contractor TEXT NOT NULL DEFAULT '',
    floor_area_m2 BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX construction_projects_region ON construction_projects (region_code);

CREATE TABLE construction_milestones (
    id {id},
    project_id BIGINT NOT NULL REFERENCES construction_projects (id),
    stage TEXT NOT NULL,
    name TEXT NOT NULL,
    planned_on TEXT NOT NULL,
    actual_on TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX construction_milestones_project ON construction_milestones (project_id);

CREATE TABLE construction_payments (
    id {id},
    project_id BIGINT NOT NULL REFERENCES construction_projects (id),
    amount_fen BIGINT NOT NULL,
    day TEXT NOT NULL,
    item TEXT NOT NULL,
    expenditure_id BIGINT REFERENCES expenditures (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX construction_payments_project ON construction_payments (project_id);

-- Each change of stage, with its day, so the history stays.
CREATE TABLE construction_stages (
    id {id},
    project_id BIGINT NOT NULL REFERENCES construction_projects (id),
    stage TEXT NOT NULL,
    day TEXT NOT NULL,
    user_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX construction_stages_project ON construction_stages (project_id);
