-- Version 4: when a booked patient checked in, so the queue's waiting time counts from the
-- moment they came, not from the booked time. NULL for bookings made before this column;
-- filled for them too the next time their document is projected, if their record has it.
ALTER TABLE appointments ADD COLUMN arrived_at INTEGER;
