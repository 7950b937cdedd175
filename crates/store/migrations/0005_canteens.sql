-- Elder canteens (长者饭堂): a canteen is a facility of kind elder_canteen;
-- its diners are enrolled in it. Pricing tiers are data (JSON of
-- kangyang_domain::canteen::PriceTier, most generous first). Each meal keeps
-- the split it was priced at, so a later change of tiers leaves history alone.

CREATE TABLE price_tiers (
    code TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE canteen_modes (
    facility_id BIGINT PRIMARY KEY REFERENCES facilities (id),
    mode TEXT NOT NULL
);

CREATE TABLE canteen_menus (
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    day TEXT NOT NULL,
    meal TEXT NOT NULL,
    dishes TEXT NOT NULL,
    PRIMARY KEY (facility_id, day, meal)
);

CREATE TABLE canteen_meals (
    id {id},
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    person_id BIGINT NOT NULL REFERENCES persons (id),
    day TEXT NOT NULL,
    meal TEXT NOT NULL,
    service TEXT NOT NULL,
    tier_code TEXT NOT NULL,
    subsidy_fen BIGINT NOT NULL,
    personal_fen BIGINT NOT NULL,
    charity_fen BIGINT NOT NULL,
    recorded_by BIGINT,
    created_at BIGINT NOT NULL
);
-- One meal of a kind per person and day at one canteen; the same meal
-- claimed at two canteens is allowed in and flagged by the settlement check.
CREATE UNIQUE INDEX canteen_meals_once ON canteen_meals (facility_id, person_id, day, meal);
CREATE INDEX canteen_meals_person ON canteen_meals (person_id, day, meal);
CREATE INDEX canteen_meals_day ON canteen_meals (facility_id, day);
