-- v2: hubs belong to a region. Old servers (v1) keep working: they never select the column and
-- insert nothing, and the default fills it.
ALTER TABLE hubs ADD COLUMN region TEXT NOT NULL DEFAULT 'global';
UPDATE hubs SET region = 'Europe' WHERE name = 'Berlin Hub';
UPDATE hubs SET region = 'Africa' WHERE name = 'Lagos Hub';
