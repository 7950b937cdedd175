-- People counted in advance, for the dashboards of regions too large to
-- count on every view: a province of 20 million people takes seconds to
-- GROUP BY, its tallies milliseconds to read. One row per (region, child
-- region, dimension, value), for every region that has children, rebuilt
-- whole by `kangyang stats refresh` and by the server once a day; the day
-- and time they were counted are kept in settings ('person_tallies_as_of',
-- 'person_tallies_counted_at') and shown with the figures.
CREATE TABLE person_tallies (
    parent_code {code} NOT NULL,
    child_code {code} NOT NULL,
    -- 'category', 'urban_rural', 'age_band', 'capability',
    -- 'disability_category', 'disability_grade', 'child_category'.
    dim TEXT NOT NULL,
    -- The value counted; '' for "none" (a person with no urban/rural mark).
    value TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (parent_code, dim, child_code, value)
);
