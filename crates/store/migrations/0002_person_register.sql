-- The person register. Sensitive values (ID number, phones, disability
-- certificate) are stored only as SM4-GCM ciphertext (`*_cipher`), looked up
-- through keyed blind indexes (`*_index`, HMAC-SM3), and displayed from the
-- masked form kept beside them (`*_masked`). A copy of this file holds no ID
-- number in clear.

CREATE TABLE persons (
    id {id},
    id_index TEXT NOT NULL UNIQUE,
    id_cipher {blob} NOT NULL,
    id_masked TEXT NOT NULL,
    -- Blind index of the ID number's last four characters, for "search by the
    -- last digits" without storing them.
    id_tail_index TEXT NOT NULL,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    phone_cipher {blob},
    phone_index TEXT,
    phone_masked TEXT,
    hukou_region {code},
    village_code {code} NOT NULL REFERENCES regions (code),
    urban_rural TEXT,
    address TEXT NOT NULL,
    status TEXT NOT NULL,
    status_date TEXT,
    living_situation TEXT,
    economic_status TEXT,
    capability_level TEXT,
    disability_category TEXT,
    disability_grade BIGINT,
    disability_cert_cipher {blob},
    disability_cert_masked TEXT,
    child_category TEXT,
    guardian_name TEXT,
    guardian_phone_cipher {blob},
    guardian_phone_masked TEXT,
    household_no TEXT,
    emergency_contact_name TEXT,
    emergency_phone_cipher {blob},
    emergency_phone_masked TEXT,
    tags TEXT NOT NULL,
    -- Keyed hash of every field's plain value: a re-import that changes
    -- nothing is recognised without decrypting the stored row.
    content_mac TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX persons_village ON persons (village_code);
CREATE INDEX persons_name ON persons (name);
CREATE INDEX persons_tail ON persons (id_tail_index);
CREATE INDEX persons_birth ON persons (birth_date);

-- A person's enrolment in a facility (day care, nursing home, …). Facility
-- users see exactly the people with a current enrolment in their facility.
CREATE TABLE enrolments (
    id {id},
    person_id BIGINT NOT NULL REFERENCES persons (id),
    facility_id BIGINT NOT NULL REFERENCES facilities (id),
    start_date TEXT NOT NULL,
    end_date TEXT,
    leave_reason TEXT
);
CREATE INDEX enrolments_facility ON enrolments (facility_id, person_id);
CREATE INDEX enrolments_person ON enrolments (person_id);

-- A person's history is read from the audit trail by object.
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
