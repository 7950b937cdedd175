-- Home-care service orders (居家养老上门服务). A provider is a facility of
-- kind home_care_centre: the villages it serves are its facility_villages,
-- its capacity (orders a day) is facilities.capacity, and its staff are users
-- bound to it. The catalogue and the entitlement rules are data (JSON of
-- kangyang_domain::home_care::ServiceItem / EntitlementRule), seeded from the
-- domain's defaults. Each order keeps its price split as it was made, so a
-- later change of prices or rules leaves history alone.

CREATE TABLE home_care_items (
    code TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE home_care_entitlements (
    code TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Caregivers (护理员) of a provider; the phone is sealed like other phones.
-- A caregiver with an account checks in and out on the phone page.
CREATE TABLE home_care_caregivers (
    id {id},
    provider_id BIGINT NOT NULL REFERENCES facilities (id),
    name TEXT NOT NULL,
    qualification TEXT NOT NULL DEFAULT '',
    phone_cipher {blob},
    phone_masked TEXT NOT NULL DEFAULT '',
    user_id BIGINT REFERENCES users (id),
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX home_care_caregivers_provider ON home_care_caregivers (provider_id);
CREATE INDEX home_care_caregivers_user ON home_care_caregivers (user_id);

-- A person's home-care profile: where the home is (for the check-in
-- distance rule) and the monthly care plan (JSON list of PlanLine).
CREATE TABLE home_care_clients (
    person_id BIGINT PRIMARY KEY REFERENCES persons (id),
    longitude_e6 BIGINT,
    latitude_e6 BIGINT,
    plan TEXT NOT NULL DEFAULT '[]',
    updated_at BIGINT NOT NULL,
    updated_by BIGINT
);

CREATE TABLE home_care_orders (
    id {id},
    person_id BIGINT NOT NULL REFERENCES persons (id),
    -- The person's village when the order was made: scope filters need no join.
    village_code {code} NOT NULL,
    item_code TEXT NOT NULL,
    item_name TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    standard_minutes BIGINT NOT NULL,
    unit_price_fen BIGINT NOT NULL,
    government_fen BIGINT NOT NULL,
    personal_fen BIGINT NOT NULL,
    -- The entitlement rule the split was made under ('' for none).
    entitlement_code TEXT NOT NULL DEFAULT '',
    -- The month the order counts against ('YYYY-MM', from scheduled_at).
    month TEXT NOT NULL,
    channel TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    scheduled_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    state_since BIGINT NOT NULL,
    -- Set when an order was late in some state; never cleared.
    was_late BIGINT NOT NULL DEFAULT 0,
    provider_id BIGINT REFERENCES facilities (id),
    caregiver_id BIGINT REFERENCES home_care_caregivers (id),
    dispatched_at BIGINT,
    accepted_at BIGINT,
    check_in_at BIGINT,
    check_in_lon_e6 BIGINT,
    check_in_lat_e6 BIGINT,
    check_out_at BIGINT,
    check_out_lon_e6 BIGINT,
    check_out_lat_e6 BIGINT,
    cancel_reason TEXT NOT NULL DEFAULT '',
    rating BIGINT,
    rating_by TEXT NOT NULL DEFAULT '',
    rating_comment TEXT NOT NULL DEFAULT '',
    rated_at BIGINT,
    -- JSON list of kangyang_domain::home_care::Anomaly, '[]' for none.
    anomalies TEXT NOT NULL DEFAULT '[]',
    -- '' (not reviewed), confirmed or rejected; only flagged orders are reviewed.
    review TEXT NOT NULL DEFAULT '',
    review_note TEXT NOT NULL DEFAULT '',
    reviewed_by BIGINT,
    reviewed_at BIGINT,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX home_care_orders_village ON home_care_orders (village_code, month);
CREATE INDEX home_care_orders_provider ON home_care_orders (provider_id, month);
CREATE INDEX home_care_orders_person ON home_care_orders (person_id, month);
CREATE INDEX home_care_orders_state ON home_care_orders (state, state_since);

-- Every step of an order, for its history and response times.
CREATE TABLE home_care_order_events (
    id {id},
    order_id BIGINT NOT NULL REFERENCES home_care_orders (id),
    at BIGINT NOT NULL,
    step TEXT NOT NULL,
    state TEXT NOT NULL,
    by_user BIGINT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX home_care_order_events_order ON home_care_order_events (order_id, at);

-- Complaints become cases, closed with an outcome.
CREATE TABLE home_care_complaints (
    id {id},
    order_id BIGINT NOT NULL REFERENCES home_care_orders (id),
    received_at BIGINT NOT NULL,
    received_by BIGINT,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '',
    closed_at BIGINT,
    closed_by BIGINT
);
CREATE INDEX home_care_complaints_order ON home_care_complaints (order_id);
CREATE INDEX home_care_complaints_status ON home_care_complaints (status, received_at);

-- Call-backs (回访) by the quality guidance centre: sampled, then called.
CREATE TABLE home_care_callbacks (
    order_id BIGINT PRIMARY KEY REFERENCES home_care_orders (id),
    sampled_at BIGINT NOT NULL,
    sampled_by BIGINT,
    called_at BIGINT,
    called_by BIGINT,
    reached BIGINT,
    service_confirmed BIGINT,
    satisfied BIGINT,
    notes TEXT NOT NULL DEFAULT ''
);
