-- Version 6: the front desk's second day. How often a booking was moved (its record keeps
-- where from), the visit a booking follows up, and the day a visit asked to be seen again.
-- Bookings and visits made before this version have none of these; their rows keep the
-- defaults, which is what their records say. A patient's payments are looked up by patient
-- (the balance the desk sees beside a name).
ALTER TABLE appointments ADD COLUMN moves INTEGER NOT NULL DEFAULT 0;
ALTER TABLE appointments ADD COLUMN follow_up_of TEXT;
ALTER TABLE visits ADD COLUMN follow_up_due TEXT;
CREATE INDEX appointments_follow_up ON appointments(follow_up_of) WHERE follow_up_of IS NOT NULL;
CREATE INDEX visits_follow_up ON visits(follow_up_due) WHERE follow_up_due IS NOT NULL;
CREATE INDEX cash_patient ON cash_entries(patient_id);
