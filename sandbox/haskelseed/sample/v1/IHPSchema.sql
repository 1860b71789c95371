-- Stands for IHP's own lib/IHP/IHPSchema.sql, which an IHP app's flake copies into its image
-- (a real app does not keep it in its repository): what IHP's generated code relies on, loaded
-- before Application/Schema.sql on a fresh database.
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

-- Keeps updated_at columns current (IHP's Schema Designer adds the trigger per table).
CREATE OR REPLACE FUNCTION trigger_set_updated_at() RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = NOW();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- The user of the current request, for row level security policies.
CREATE OR REPLACE FUNCTION ihp_user_id() RETURNS UUID AS $$
    SELECT NULLIF(current_setting('rls.ihp_user_id', true), '')::uuid;
$$ LANGUAGE SQL;
