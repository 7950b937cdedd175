-- Working days (issue #14 item 5). A centre's opening weekdays, as ISO
-- weekday digits ('12345' = Monday to Friday, the Kangyuan centres' week),
-- and the holiday calendar: days that are holidays (放假, 'holiday') or
-- make-up working days (调休上班, 'workday'). Seeded with China's 2026
-- arrangement (国务院办公厅关于2026年部分节假日安排的通知), the same days as
-- kangyang_domain::holidays::CHINA_2026; the official edits it from /holidays.
ALTER TABLE facilities ADD COLUMN opening_days TEXT NOT NULL DEFAULT '12345';
CREATE TABLE holidays (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO holidays (day, kind, name) VALUES
('2026-01-01', 'holiday', '元旦'),
('2026-01-02', 'holiday', '元旦'),
('2026-01-03', 'holiday', '元旦'),
('2026-01-04', 'workday', '元旦'),
('2026-02-14', 'workday', '春节'),
('2026-02-15', 'holiday', '春节'),
('2026-02-16', 'holiday', '春节'),
('2026-02-17', 'holiday', '春节'),
('2026-02-18', 'holiday', '春节'),
('2026-02-19', 'holiday', '春节'),
('2026-02-20', 'holiday', '春节'),
('2026-02-21', 'holiday', '春节'),
('2026-02-22', 'holiday', '春节'),
('2026-02-23', 'holiday', '春节'),
('2026-02-28', 'workday', '春节'),
('2026-04-04', 'holiday', '清明节'),
('2026-04-05', 'holiday', '清明节'),
('2026-04-06', 'holiday', '清明节'),
('2026-05-01', 'holiday', '劳动节'),
('2026-05-02', 'holiday', '劳动节'),
('2026-05-03', 'holiday', '劳动节'),
('2026-05-04', 'holiday', '劳动节'),
('2026-05-05', 'holiday', '劳动节'),
('2026-05-09', 'workday', '劳动节'),
('2026-06-19', 'holiday', '端午节'),
('2026-06-20', 'holiday', '端午节'),
('2026-06-21', 'holiday', '端午节'),
('2026-09-20', 'workday', '国庆节'),
('2026-09-25', 'holiday', '中秋节'),
('2026-09-26', 'holiday', '中秋节'),
('2026-09-27', 'holiday', '中秋节'),
('2026-10-01', 'holiday', '国庆节'),
('2026-10-02', 'holiday', '国庆节'),
('2026-10-03', 'holiday', '国庆节'),
('2026-10-04', 'holiday', '国庆节'),
('2026-10-05', 'holiday', '国庆节'),
('2026-10-06', 'holiday', '国庆节'),
('2026-10-07', 'holiday', '国庆节'),
('2026-10-10', 'workday', '国庆节');
