-- Revision bad-migration: this migration fails (its UPDATE names a column that does not exist),
-- so `migrate` exits non-zero and the whole file is rolled back, ADD COLUMN included.
ALTER TABLE hubs ADD COLUMN owner TEXT;
UPDATE hubs SET owner = maintainer;
