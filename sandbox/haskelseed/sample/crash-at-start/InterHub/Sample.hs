{-# LANGUAGE ScopedTypeVariables #-}
-- | Revision crash-at-start: v2, plus hub limits its server reads from Config/hub-limits.json at
-- start, a file this revision never added. It builds and its image is complete, but the server
-- exits 1 right after it starts, so a readiness probe never passes. Otherwise the same program
-- and image contract as v2.
module InterHub.Sample (sampleVersion, checkAtStart) where

import Control.Exception (IOException, displayException, try)
import qualified Data.ByteString as BS

import InterHub.Runtime (logLine)

-- | Which sample revision this is; the commit comes from INTERHUB_REVISION.
sampleVersion :: String
sampleVersion = "crash-at-start"

-- | Where this revision expects its hub limits (relative to the working directory, /app).
hubLimitsFile :: FilePath
hubLimitsFile = "Config/hub-limits.json"

-- | Run at start, before the database check: Left says why the server cannot start.
checkAtStart :: IO (Either String ())
checkAtStart = do
    limits <- try (BS.readFile hubLimitsFile)
    case limits of
        Left (e :: IOException) -> pure (Left ("reading the hub limits: " ++ displayException e))
        Right _ -> Right () <$ logLine ("hub limits read from " ++ hubLimitsFile)
