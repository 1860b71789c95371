{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | The sample app's `migrate`, as IHP's ihp-migrate: applies the files in IHP_MIGRATION_DIR
-- (default Application/Migration/) that schema_migrations does not record, oldest first, each in
-- its own transaction together with its INSERT INTO schema_migrations. MINIMUM_REVISION: only
-- revisions greater than it are applied.
module Main (main) where

import Control.Exception (SomeException, displayException, fromException, try)
import Control.Monad (forM_, when)
import qualified Data.ByteString as BS
import Data.Int (Int64)
import Data.Maybe (isNothing)
import Database.PostgreSQL.Simple
import Database.PostgreSQL.Simple.Internal (exec, throwResultError)
import qualified Database.PostgreSQL.LibPQ as PQ
import System.FilePath ((</>))

import InterHub.Runtime

prog :: String
prog = "migrate"

main :: IO ()
main = do
    setupOutput
    [url] <- requireEnv prog ["DATABASE_URL"]
    dir <- migrationDir
    migrations <- findMigrations dir >>= either (exitWith1 prog) pure
    minRev <- minimumRevision >>= either (exitWith1 prog) pure
    conn <- openDatabase url >>= either (exitWith1 prog . ("cannot connect to the database: " ++)) pure
    -- Checked first: CREATE TABLE IF NOT EXISTS alone prints a NOTICE on every run.
    [Only table] <- query_ conn "SELECT to_regclass('schema_migrations')::text"
    when (isNothing (table :: Maybe String)) $ do
        _ <- execute_ conn "CREATE TABLE IF NOT EXISTS schema_migrations (revision BIGINT NOT NULL UNIQUE)"
        putStrLn "created table schema_migrations"
    applied <- appliedRevisions conn
    let open = pendingMigrations minRev applied migrations
        skipped = length [m | m <- migrations, migrationRevision m <= minRev]
    putStrLn $
        show (length migrations) ++ " migration(s) in " ++ dir ++ ", " ++ show (length applied)
            ++ " recorded in schema_migrations"
            ++ (if skipped > 0 then ", " ++ show skipped ++ " at or below MINIMUM_REVISION " ++ show minRev ++ " skipped" else "")
            ++ ", " ++ show (length open) ++ " to apply"
    forM_ open $ \m -> do
        putStrLn ("applying " ++ migrationFile m)
        sql <- BS.readFile (dir </> migrationFile m)
        r <- try (withTransaction conn (runMigration conn sql (migrationRevision m)))
        case r of
            Right () -> putStrLn ("applied " ++ migrationFile m)
            Left (e :: SomeException) ->
                exitWith1 prog $
                    migrationFile m ++ " failed, rolled back: "
                        ++ maybe (displayException e) showSqlError (fromException e)
    when (null open) $ putStrLn "the database is up to date"
    close conn

-- | The file's statements (one or many, as psql would send them in one query), then the record.
runMigration :: Connection -> BS.ByteString -> Int64 -> IO ()
runMigration conn sql revision = do
    res <- exec conn sql
    status <- PQ.resultStatus res
    case status of
        PQ.CommandOk -> pure ()
        PQ.TuplesOk -> pure ()
        PQ.EmptyQuery -> pure ()
        _ -> throwResultError "migration" res status
    _ <- execute conn "INSERT INTO schema_migrations (revision) VALUES (?)" (Only revision)
    pure ()
