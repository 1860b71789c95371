CREATE TABLE hubs (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
);
INSERT INTO hubs (name, created_at) VALUES
    ('Berlin Hub', '2026-01-01T00:00:00Z'),
    ('Lagos Hub', '2026-01-01T00:00:00Z');
