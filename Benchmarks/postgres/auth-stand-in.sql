-- A minimal stand-in for what Supabase provides before the seed's script runs: the auth
-- schema with its users table, auth.uid() for the row-level security policies, and the
-- "authenticated" role. Nothing of the seed's own script is changed.
CREATE EXTENSION IF NOT EXISTS pgcrypto;  -- gen_random_uuid() on older servers
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
