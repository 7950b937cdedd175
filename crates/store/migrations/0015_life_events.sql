-- A person's life events (死亡, 迁出, 户籍迁出): recorded from the person's
-- page or a status list of another department (公安, 卫健, 殡葬). Each row
-- keeps what the event ended and what had been entered after its date, as
-- JSON of kangyang_app::life::Ended, so the person's page can show it after
-- the enrolments, plans and assignments it changed have moved on.
CREATE TABLE life_events (
    id {id},
    person_id BIGINT NOT NULL REFERENCES persons (id),
    status TEXT NOT NULL,
    event_date TEXT NOT NULL,
    -- 'form', or 'import' for a status list
    source TEXT NOT NULL,
    ended TEXT NOT NULL,
    recorded_by BIGINT,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX life_events_person ON life_events (person_id, recorded_at);
