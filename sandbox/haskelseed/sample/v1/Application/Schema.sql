-- The app's whole schema as of this revision, as IHP keeps it: loaded once on a fresh database
-- (with IHPSchema.sql before it); the migrations in Application/Migration bring older databases
-- to the same state.
CREATE TABLE hubs (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
);
CREATE TABLE admins (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
);
