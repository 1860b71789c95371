{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | What the sample app's programs (RunProdServer, migrate and create-admin) share: the
-- environment, the migration files and the database connection. The same contract as an IHP
-- app's image: DATABASE_URL, IHP_MIGRATION_DIR (default Application/Migration/),
-- MINIMUM_REVISION.
module InterHub.Runtime
    ( setupOutput
    , requireEnv
    , lookupNonEmpty
    , exitWith1
    , logLine
    , Migration (..)
    , migrationDir
    , findMigrations
    , minimumRevision
    , pendingMigrations
    , openDatabase
    , appliedRevisions
    , showSqlError
    ) where

import Control.Exception (IOException, SomeException, catch, displayException, fromException, try)
import Control.Monad (unless)
import qualified Data.ByteString as BS
import Data.Char (isDigit)
import Data.Int (Int64)
import Data.List (group, isSuffixOf, sort, sortOn)
import qualified Data.Text as T
import qualified Data.Text.Encoding as TE
import Data.Text.Encoding.Error (lenientDecode)
import Data.Time.Clock (getCurrentTime)
import Data.Time.Format (defaultTimeLocale, formatTime)
import Database.PostgreSQL.Simple
import System.Directory (doesDirectoryExist, listDirectory)
import System.Environment (lookupEnv)
import System.Exit (ExitCode (..), exitWith)
import System.IO (BufferMode (..), hPutStrLn, hSetBuffering, hSetEncoding, stderr, stdout, utf8)
import System.Timeout (timeout)
import Text.Read (readMaybe)

-- | Lines on stdout as they are written (a container's stdout is a pipe), UTF-8 whatever the
-- locale (an image has none).
setupOutput :: IO ()
setupOutput = do
    hSetBuffering stdout LineBuffering
    hSetEncoding stdout utf8
    hSetEncoding stderr utf8

-- | A variable's value; unset and empty are the same.
lookupNonEmpty :: String -> IO (Maybe String)
lookupNonEmpty name = do
    v <- lookupEnv name
    pure $ case v of
        Just s | not (null s) -> Just s
        _ -> Nothing

-- | The values of variables a program cannot run without. Any of them missing: exit 1, naming
-- every missing one on stderr.
requireEnv :: String -> [String] -> IO [String]
requireEnv prog names = do
    values <- mapM lookupNonEmpty names
    let missing = [n | (n, Nothing) <- zip names values]
    unless (null missing) $
        exitWith1 prog ("required environment variable(s) not set: " ++ unwords missing)
    pure [v | Just v <- values]

exitWith1 :: String -> String -> IO a
exitWith1 prog msg = do
    hPutStrLn stderr (prog ++ ": " ++ msg)
    exitWith (ExitFailure 1)

-- | One line on stdout with a UTC timestamp, written in one piece so that concurrent requests do
-- not interleave. Best effort: a stdout that cannot be written (a closed pipe) loses the line and
-- stops nothing else, shutdown included.
logLine :: String -> IO ()
logLine msg = do
    now <- getCurrentTime
    let stamp = formatTime defaultTimeLocale "%Y-%m-%dT%H:%M:%S%3QZ" now
    BS.hPut stdout (TE.encodeUtf8 (T.pack (stamp ++ " " ++ msg ++ "\n")))
        `catch` \(_ :: IOException) -> pure ()

data Migration = Migration
    { migrationRevision :: Int64
    , migrationFile :: FilePath
    }
    deriving (Show, Eq)

-- | IHP_MIGRATION_DIR, by default Application/Migration/ relative to the working directory.
migrationDir :: IO FilePath
migrationDir = maybe "Application/Migration/" id <$> lookupNonEmpty "IHP_MIGRATION_DIR"

-- | The migration files, oldest revision first: @<revision>-<name>.sql@ (or @<revision>.sql@).
findMigrations :: FilePath -> IO (Either String [Migration])
findMigrations dir = do
    exists <- doesDirectoryExist dir
    if not exists
        then pure (Left ("migration directory " ++ dir ++ " does not exist (IHP_MIGRATION_DIR)"))
        else do
            files <- listDirectory dir
            let migrations = sortOn migrationRevision [m | Just m <- map parse files]
                dups = [r | (r : _ : _) <- group (sort (map migrationRevision migrations))]
            pure $
                if null dups
                    then Right migrations
                    else Left ("two migration files in " ++ dir ++ " share revision(s) " ++ unwords (map show dups))
  where
    parse name
        | ".sql" `isSuffixOf` name
        , (digits@(_ : _), rest) <- span isDigit name
        , take 1 rest == "-" || rest == ".sql"
        , Just rev <- readMaybe digits =
            Just (Migration rev name)
        | otherwise = Nothing

-- | MINIMUM_REVISION: migrations up to and including it are taken as part of the schema already
-- (as IHP's migrate does: it applies only revisions greater than it).
minimumRevision :: IO (Either String Int64)
minimumRevision = do
    v <- lookupNonEmpty "MINIMUM_REVISION"
    pure $ case v of
        Nothing -> Right 0
        Just s -> maybe (Left ("MINIMUM_REVISION is not an integer: " ++ show s)) Right (readMaybe s)

-- | The migrations above the minimum revision the database has not recorded.
pendingMigrations :: Int64 -> [Int64] -> [Migration] -> [Migration]
pendingMigrations minRev applied ms =
    [m | m <- ms, migrationRevision m > minRev, migrationRevision m `notElem` applied]

-- | Connects with libpq (DATABASE_URL may be a URI or key=value pairs), giving up after 10 s.
openDatabase :: String -> IO (Either String Connection)
openDatabase url = do
    r <- try (timeout 10000000 (connectPostgreSQL (TE.encodeUtf8 (T.pack url))))
    pure $ case r of
        Right (Just c) -> Right c
        Right Nothing -> Left "timed out after 10 s"
        Left e -> Left (describe e)
  where
    describe :: SomeException -> String
    describe e = case fromException e of
        Just sqlErr -> showSqlError sqlErr
        Nothing -> unwords (words (displayException e))

-- | The revisions recorded in schema_migrations; none when the table does not exist.
appliedRevisions :: Connection -> IO [Int64]
appliedRevisions conn = do
    [Only table] <- query_ conn "SELECT to_regclass('schema_migrations')::text"
    case (table :: Maybe T.Text) of
        Nothing -> pure []
        Just _ -> map fromOnly <$> query_ conn "SELECT revision FROM schema_migrations ORDER BY revision"

-- | PostgreSQL's message with its SQLSTATE, detail and hint, on one line.
showSqlError :: SqlError -> String
showSqlError e =
    trim (text (sqlErrorMsg e))
        ++ (if BS.null (sqlState e) then "" else " (SQLSTATE " ++ text (sqlState e) ++ ")")
        ++ part "DETAIL" (sqlErrorDetail e)
        ++ part "HINT" (sqlErrorHint e)
  where
    part label s = if BS.null s then "" else "; " ++ label ++ ": " ++ trim (text s)
    trim = unwords . words
    text = T.unpack . TE.decodeUtf8With lenientDecode
