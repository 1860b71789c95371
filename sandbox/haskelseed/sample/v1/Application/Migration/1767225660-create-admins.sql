-- The admin accounts of the admin area (/admin). Rows are made by the image's create-admin;
-- addresses are stored in lower case, passwords as bcrypt hashes.
CREATE TABLE admins (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
);
