-- | Which revision of the sample app this is, and what its server checks at start. The
-- revisions that differ from their parent only here change this file, not Main.hs.
module InterHub.Sample (sampleVersion, checkAtStart) where

-- | Which sample revision this is; the commit comes from INTERHUB_REVISION.
sampleVersion :: String
sampleVersion = "v2"

-- | Run at start, before the database check: Left says why the server cannot start.
checkAtStart :: IO (Either String ())
checkAtStart = pure (Right ())
