{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | RunProdServer of the Inter-Hub sample app, v1: a stand-in for the IHP
-- application with the same image contract. Environment: DATABASE_URL, IHP_SESSION_SECRET,
-- IHP_BASEURL (required), PORT (8000), IHP_ENV, INTERHUB_API_KEY, INTERHUB_REVISION (set by the
-- image), IHP_MIGRATION_DIR, MINIMUM_REVISION. It refuses to start on a database that lacks one
-- of its migrations. The admin area (/admin, InterHub.Admin) signs its sessions with
-- IHP_SESSION_SECRET.
module Main (main) where

import Control.Exception (SomeException, bracket, displayException, fromException, try)
import Control.Monad (unless, void)
import Data.Aeson (Value, encode, object, toJSON, (.=))
import Data.Bits (xor, (.|.))
import qualified Data.ByteString as BS
import qualified Data.ByteString.Char8 as B8
import qualified Data.ByteString.Lazy as LBS
import qualified Data.CaseInsensitive as CI
import Data.Int (Int64)
import Data.List (intercalate)
import Data.Maybe (fromMaybe)
import qualified Data.Text as T
import qualified Data.Text.Encoding as TE
import qualified Data.Text.Lazy as TL
import qualified Data.Text.Lazy.Encoding as TLE
import Data.Time (UTCTime)
import Database.PostgreSQL.Simple
import Network.HTTP.Types
import Network.Wai
import Network.Wai.Handler.Warp
import System.Directory (doesFileExist)
import System.FilePath (takeExtension, (</>))
import System.Posix.Signals (Handler (..), installHandler, sigINT, sigTERM)
import Text.Read (readMaybe)

import InterHub.Admin
import InterHub.Runtime
import InterHub.Sample

prog :: String
prog = "RunProdServer"

data Config = Config
    { databaseUrl :: String
    , apiKey :: Maybe BS.ByteString
    , revision :: String
    , environment :: String
    , baseUrl :: String
    , admin :: AdminEnv
    }

main :: IO ()
main = do
    setupOutput
    [url, sessionSecret, base] <- requireEnv prog ["DATABASE_URL", "IHP_SESSION_SECRET", "IHP_BASEURL"]
    portText <- fromMaybe "8000" <$> lookupNonEmpty "PORT"
    port <- maybe (exitWith1 prog ("PORT is not a port number: " ++ show portText)) pure (readPort portText)
    key <- fmap (TE.encodeUtf8 . T.pack) <$> lookupNonEmpty "INTERHUB_API_KEY"
    rev <- fromMaybe "unknown" <$> lookupNonEmpty "INTERHUB_REVISION"
    env <- fromMaybe "Development" <$> lookupNonEmpty "IHP_ENV"
    let cfg = Config url key rev env base (adminEnv url sessionSecret base)
    logLine ("Inter-Hub sample " ++ sampleVersion ++ " (revision " ++ rev ++ ", IHP_ENV " ++ env ++ ") starting")
    checkAtStart >>= either (exitWith1 prog . ("cannot start: " ++)) pure
    checkMigrated url
    let settings =
            setHost "0.0.0.0" $
                setPort port $
                    setLogger logRequest $
                        setInstallShutdownHandler onStopSignal $
                            setGracefulShutdownTimeout (Just 25) $
                                setBeforeMainLoop (logLine ("listening on 0.0.0.0:" ++ show port)) defaultSettings
    runSettings settings (app cfg)
    logLine "stopped: in-flight requests finished"
  where
    readPort s = case readMaybe s of
        Just (n :: Int) | n > 0 && n < 65536 -> Just n
        _ -> Nothing

-- | SIGTERM (and SIGINT): close the listening socket; warp then waits for the open connections
-- (at most 25 s) and runSettings returns.
onStopSignal :: IO () -> IO ()
onStopSignal closeSocket = do
    let stop name = Catch $ do
            closeSocket
            logLine (name ++ " received: no new connections, finishing in-flight requests")
    void $ installHandler sigTERM (stop "SIGTERM") Nothing
    void $ installHandler sigINT (stop "SIGINT") Nothing

-- | Exits 1 unless the database records every migration this image carries (above
-- MINIMUM_REVISION): the server never runs on a schema older than its code.
checkMigrated :: String -> IO ()
checkMigrated url = do
    dir <- migrationDir
    migrations <- findMigrations dir >>= either (exitWith1 prog) pure
    minRev <- minimumRevision >>= either (exitWith1 prog) pure
    conn <- openDatabase url >>= either (exitWith1 prog . ("cannot connect to the database: " ++)) pure
    applied <- appliedRevisions conn
    close conn
    let missing = pendingMigrations minRev applied migrations
    unless (null missing) $
        exitWith1 prog $
            "the database is not migrated: schema_migrations lacks revision(s) "
                ++ intercalate ", " (map (show . migrationRevision) missing)
                ++ " (" ++ unwords (map migrationFile missing) ++ "); run `migrate` first"
    logLine ("database schema has all " ++ show (length migrations) ++ " migration(s) of this image")

logRequest :: Request -> Status -> Maybe Integer -> IO ()
logRequest req status size =
    logLine $
        unwords
            [ show (remoteHost req)
            , B8.unpack (requestMethod req)
            , B8.unpack (rawPathInfo req)
            , show (statusCode status)
            , maybe "-" show size
            ]

app :: Config -> Application
app cfg req respond
    | ("admin" : segments) <- pathInfo req = adminApp (admin cfg) segments req >>= respond
    | requestMethod req `notElem` [methodGet, methodHead] =
        respond (responseLBS status405 [("Allow", "GET, HEAD"), textPlain] "method not allowed\n")
    | otherwise = case pathInfo req of
        [] -> landing cfg >>= respond
        ["capabilities"] -> respond (json status200 (capabilities cfg))
        ["api", "v2", "hubs"] -> hubsApi cfg req >>= respond
        ("static" : segments) -> staticFile segments >>= respond
        _ -> respond notFound

textPlain, textHtml, appJson :: Header
textPlain = (hContentType, "text/plain; charset=utf-8")
textHtml = (hContentType, "text/html; charset=utf-8")
appJson = (hContentType, "application/json")

notFound :: Response
notFound = responseLBS status404 [textPlain] "not found\n"

json :: Status -> Value -> Response
json status v = responseLBS status [appJson] (encode v)

-- | Runs an action on a fresh connection; Left with the reason when the database cannot be
-- reached or the query fails.
withDatabase :: Config -> (Connection -> IO a) -> IO (Either String a)
withDatabase cfg act = do
    c <- openDatabase (databaseUrl cfg)
    case c of
        Left err -> pure (Left ("cannot connect: " ++ err))
        Right conn -> do
            r <- try (bracket (pure conn) close act)
            pure $ case r of
                Right a -> Right a
                Left (e :: SomeException) -> Left (maybe (displayException e) showSqlError (fromException e))

unavailable :: String -> IO Response
unavailable err = do
    logLine ("database unavailable: " ++ err)
    pure (responseLBS status503 [textPlain, (hRetryAfter, "5")] "503 database unavailable\n")

hRetryAfter :: HeaderName
hRetryAfter = "Retry-After"

landing :: Config -> IO Response
landing cfg = do
    r <- withDatabase cfg $ \conn -> do
        [Only n] <- query_ conn "SELECT count(*) FROM hubs"
        pure (n :: Int64)
    case r of
        Left err -> unavailable err
        Right n ->
            pure . responseLBS status200 [textHtml] . utf8 $
                concat
                    [ "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    , "<title>Inter-Hub</title>\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n</head>\n<body>\n"
                    , "<h1>Inter-Hub</h1>\n"
                    , "<p>Hello from the Inter-Hub sample app " ++ sampleVersion ++ ".</p>\n"
                    , "<p>" ++ show n ++ " hubs.</p>\n"
                    , "<footer>revision <code>" ++ escape (revision cfg) ++ "</code>, IHP_ENV "
                        ++ escape (environment cfg) ++ "</footer>\n"
                    , "</body>\n</html>\n"
                    ]

capabilities :: Config -> Value
capabilities cfg =
    object
        [ "app" .= ("inter-hub" :: String)
        , "sample" .= sampleVersion
        , "revision" .= revision cfg
        , "baseUrl" .= baseUrl cfg
        , "api" .= object ["v2" .= (["/api/v2/hubs"] :: [String])]
        , "auth" .= ("bearer" :: String)
        ]

hubsApi :: Config -> Request -> IO Response
hubsApi cfg req
    | not (authorized (apiKey cfg) (lookup hAuthorization (requestHeaders req))) =
        pure $
            responseLBS
                status401
                [appJson, ("WWW-Authenticate", "Bearer realm=\"inter-hub\"")]
                "{\"error\":\"a valid API key is required: Authorization: Bearer <key>\"}"
    | otherwise = do
        r <- withDatabase cfg $ \conn ->
            query_ conn "SELECT id, name, created_at FROM hubs ORDER BY id"
        case r of
            Left err -> unavailable err
            Right rows ->
                pure . json status200 . toJSON $
                    [ object ["id" .= i, "name" .= n, "createdAt" .= t]
                    | (i :: Int64, n :: T.Text, t :: UTCTime) <- rows
                    ]

-- | A Bearer token equal to the key, compared without stopping at the first difference. No key
-- configured: nothing is accepted.
authorized :: Maybe BS.ByteString -> Maybe BS.ByteString -> Bool
authorized (Just key) (Just header)
    | (scheme, rest) <- B8.break (== ' ') header
    , CI.mk scheme == ("Bearer" :: CI.CI BS.ByteString) =
        constantTimeEq key (B8.dropWhile (== ' ') rest)
authorized _ _ = False

constantTimeEq :: BS.ByteString -> BS.ByteString -> Bool
constantTimeEq a b =
    BS.length a == BS.length b && foldr (.|.) 0 (BS.zipWith xor a b) == 0

-- | Files under ./static (the working directory is /app in the image); no hidden files, no
-- "..", nothing outside.
staticFile :: [T.Text] -> IO Response
staticFile segments
    | null segments || any bad segments = pure notFound
    | otherwise = do
        let path = foldl (</>) "static" (map T.unpack segments)
        exists <- doesFileExist path
        pure $
            if exists
                then responseFile status200 [(hContentType, contentType path), ("Cache-Control", "no-cache")] path Nothing
                else notFound
  where
    bad s = T.null s || "." `T.isPrefixOf` s || T.any (`elem` ['/', '\\', '\0']) s

contentType :: FilePath -> BS.ByteString
contentType path = case takeExtension path of
    ".css" -> "text/css; charset=utf-8"
    ".js" -> "text/javascript; charset=utf-8"
    ".html" -> "text/html; charset=utf-8"
    ".json" -> "application/json"
    ".txt" -> "text/plain; charset=utf-8"
    ".png" -> "image/png"
    ".jpg" -> "image/jpeg"
    ".jpeg" -> "image/jpeg"
    ".gif" -> "image/gif"
    ".svg" -> "image/svg+xml"
    ".ico" -> "image/x-icon"
    ".webp" -> "image/webp"
    ".woff2" -> "font/woff2"
    ".woff" -> "font/woff"
    ".map" -> "application/json"
    _ -> "application/octet-stream"

escape :: String -> String
escape = concatMap esc
  where
    esc '<' = "&lt;"
    esc '>' = "&gt;"
    esc '&' = "&amp;"
    esc '"' = "&quot;"
    esc '\'' = "&#39;"
    esc c = [c]

utf8 :: String -> LBS.ByteString
utf8 = TLE.encodeUtf8 . TL.pack
