-- The day a worker was registered, which may precede the day the record was entered (an officer
-- entering last year's paper records); registered_at stays the time it was entered.
ALTER TABLE workers ADD COLUMN registered_on date;
UPDATE workers SET registered_on = (registered_at AT TIME ZONE 'UTC')::date;
ALTER TABLE workers ALTER COLUMN registered_on SET NOT NULL;

COMMENT ON COLUMN fees.occupation IS
    'the worker''s occupation on charged_on, as known when recorded (fees/occupation.py)';
