-- Transfer requests (迁入申请): the region a person has moved to asks the
-- region that holds their record to hand it over. The ID number is kept only
-- as its blind index (and the mask the requester typed it behind), so the
-- request names a person without the database holding the number in the
-- clear; the person it means is found by joining persons on id_index when
-- the holding region lists or decides it, never shown to the requester
-- before it is accepted.
CREATE TABLE transfer_requests (
    id {id},
    id_index TEXT NOT NULL,
    id_masked TEXT NOT NULL,
    -- The village (in the requester's region) the person is to move to.
    to_village {code} NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    requested_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    -- pending, accepted or refused.
    status TEXT NOT NULL DEFAULT 'pending',
    -- Where the person lived before an accepted move; the village that
    -- decided a refusal. Lets the deciding region see its decision later.
    from_village {code},
    person_id BIGINT REFERENCES persons (id),
    decided_by BIGINT REFERENCES users (id),
    decided_at BIGINT
);
CREATE INDEX transfer_requests_index ON transfer_requests (id_index, status);
CREATE INDEX transfer_requests_to ON transfer_requests (to_village);
