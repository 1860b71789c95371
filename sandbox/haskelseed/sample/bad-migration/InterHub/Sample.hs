-- | Revision bad-migration: v2's server with a third migration whose SQL fails. `migrate` exits
-- non-zero on it, and this server, started anyway, refuses the database that lacks that
-- migration. Otherwise the same program and image contract as v2.
module InterHub.Sample (sampleVersion, checkAtStart) where

-- | Which sample revision this is; the commit comes from INTERHUB_REVISION.
sampleVersion :: String
sampleVersion = "bad-migration"

-- | Run at start, before the database check: Left says why the server cannot start.
checkAtStart :: IO (Either String ())
checkAtStart = pure (Right ())
