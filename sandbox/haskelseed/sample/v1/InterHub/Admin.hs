{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | The admin area of the sample app, as an IHP app's: a login form, a session cookie and the
-- dashboards behind it.
--
--   GET  /admin/login                 the login form
--   POST /admin/login                 email and password (application/x-www-form-urlencoded):
--                                     302 to /admin with the session cookie, or 401 and the form
--   GET  /admin                       the list of dashboards
--   GET  /admin/dashboards/<name>     one of the 12 dashboards
--
-- Without a valid session every page but the login redirects (302) to /admin/login. Redirects are
-- absolute URLs under IHP_BASEURL, as IHP's redirectTo makes them.
--
-- Where the admin account comes from: the table admins (migration 1767225660), filled by the
-- image's /bin/create-admin, not the environment. That is how the real app is provisioned: its
-- admins are rows of its database, created once on a fresh database by an operator, and the
-- smoke checks log in with an account made that way. A password read from the environment would
-- test a login the real app does not have.
--
-- The session cookie SESSION holds the admin's id and an expiry time, signed with HMAC-SHA256
-- under IHP_SESSION_SECRET: every pod accepts a cookie any other pod issued, also after a restart,
-- and rotating the secret signs everyone out. It is HttpOnly, SameSite=Lax and, when IHP_BASEURL
-- is https, Secure.
module InterHub.Admin
    ( AdminEnv
    , adminEnv
    , adminApp
    , dashboards
    ) where

import Control.Exception (SomeException, bracket, displayException, fromException, try)
import Crypto.Hash.Algorithms (SHA256)
import Crypto.MAC.HMAC (HMAC, hmac, hmacGetDigest)
import qualified Data.ByteArray as BA
import Data.ByteArray.Encoding (Base (..), convertFromBase, convertToBase)
import qualified Data.ByteString as BS
import qualified Data.ByteString.Char8 as B8
import qualified Data.ByteString.Lazy as LBS
import Data.Int (Int64)
import Data.List (isPrefixOf)
import qualified Data.Text as T
import qualified Data.Text.Encoding as TE
import qualified Data.Text.Lazy as TL
import qualified Data.Text.Lazy.Encoding as TLE
import Data.Time.Clock.POSIX (getPOSIXTime)
import Database.PostgreSQL.Simple
import Network.HTTP.Types
import Network.Wai
import Text.Read (readMaybe)

import InterHub.Password
import InterHub.Runtime

data AdminEnv = AdminEnv
    { databaseUrl :: String
    , sessionSecret :: BS.ByteString
    , baseUrl :: String -- without a trailing slash
    , secureCookie :: Bool
    }

-- | The admin area's settings from DATABASE_URL, IHP_SESSION_SECRET and IHP_BASEURL.
adminEnv :: String -> String -> String -> AdminEnv
adminEnv url secret base =
    AdminEnv
        { databaseUrl = url
        , sessionSecret = TE.encodeUtf8 (T.pack secret)
        , baseUrl = reverse (dropWhile (== '/') (reverse base))
        , secureCookie = "https://" `isPrefixOf` base
        }

-- | The dashboards: path segment and title.
dashboards :: [(T.Text, String)]
dashboards =
    [ ("hubs", "Hubs")
    , ("regions", "Regions")
    , ("members", "Members")
    , ("events", "Events")
    , ("projects", "Projects")
    , ("resources", "Resources")
    , ("funding", "Funding")
    , ("partners", "Partners")
    , ("reports", "Reports")
    , ("activity", "Activity")
    , ("messages", "Messages")
    , ("settings", "Settings")
    ]

-- | Requests under /admin; the segments after "admin".
adminApp :: AdminEnv -> [T.Text] -> Request -> IO Response
adminApp env segments req = case segments of
    ["login"]
        | method `elem` [methodGet, methodHead] -> pure (loginPage status200 Nothing)
        | method == methodPost -> login env req
        | otherwise -> pure (notAllowed "GET, HEAD, POST")
    _ | method `notElem` [methodGet, methodHead] -> pure (notAllowed "GET, HEAD")
    [] -> signedIn env req $ \email -> pure (page status200 "Admin" (index email))
    ["dashboards", name]
        | Just title <- lookup name dashboards ->
            signedIn env req $ \email -> pure (page status200 (title ++ " dashboard") (dashboard title email))
    _ -> signedIn env req $ \_ -> pure (responseLBS status404 [textPlain] "not found\n")
  where
    method = requestMethod req

-- | Runs the handler with the signed-in admin's address, or redirects to the login form.
signedIn :: AdminEnv -> Request -> (String -> IO Response) -> IO Response
signedIn env req handler = do
    now <- currentTime
    case sessionAdmin env now req of
        Nothing -> pure toLogin
        Just adminId -> do
            r <- withDatabase env $ \conn ->
                query conn "SELECT email FROM admins WHERE id = ?" (Only adminId)
            case r of
                Left err -> unavailable err
                Right [Only (email :: T.Text)] -> handler (T.unpack email)
                Right _ -> pure toLogin -- the account is gone
  where
    toLogin = redirect env "/admin/login" []

login :: AdminEnv -> Request -> IO Response
login env req
    | not (isForm (lookup hContentType (requestHeaders req))) =
        pure (responseLBS status415 [textPlain] "send the form as application/x-www-form-urlencoded\n")
    | otherwise = do
        body <- readBody 16384 req
        case body of
            Nothing -> pure (responseLBS status413 [textPlain] "request body too large\n")
            Just raw -> do
                let form = parseSimpleQuery raw
                    field name = maybe "" (TE.decodeUtf8With (\_ _ -> Just '\xFFFD')) (lookup name form)
                    email = normalizeEmail (field "email")
                    password = field "password"
                r <- withDatabase env $ \conn ->
                    query conn "SELECT id, password_hash FROM admins WHERE email = ?" (Only email)
                case r of
                    Left err -> unavailable err
                    Right rows -> do
                        let match = case rows of
                                [(adminId :: Int64, stored)] | checkPassword password stored -> Just adminId
                                [_] -> Nothing
                                _ -> dummyCheck password `seq` Nothing
                        case match of
                            Just adminId | not (T.null password) -> do
                                now <- currentTime
                                logLine ("admin login: admin " ++ show adminId)
                                pure (redirect env "/admin" [("Set-Cookie", sessionCookie env adminId now)])
                            _ -> do
                                logLine "admin login refused: wrong email or password"
                                pure (loginPage status401 (Just "Wrong email or password."))
  where
    isForm ct = maybe False ((== "application/x-www-form-urlencoded") . B8.takeWhile (/= ';')) ct

-- | The body, or Nothing when it is longer than limit bytes.
readBody :: Int -> Request -> IO (Maybe BS.ByteString)
readBody limit req = go [] 0
  where
    go acc n = do
        chunk <- getRequestBodyChunk req
        if BS.null chunk
            then pure (Just (BS.concat (reverse acc)))
            else
                if n + BS.length chunk > limit
                    then pure Nothing
                    else go (chunk : acc) (n + BS.length chunk)

-- Sessions.

cookieName :: BS.ByteString
cookieName = "SESSION"

sessionSeconds :: Int64
sessionSeconds = 86400

currentTime :: IO Int64
currentTime = floor <$> getPOSIXTime

-- | "SESSION=<id>.<expiry>.<hex HMAC-SHA256 of both>; Path=/; ..."
sessionCookie :: AdminEnv -> Int64 -> Int64 -> BS.ByteString
sessionCookie env adminId now =
    BS.concat
        [ cookieName
        , "="
        , payload
        , "."
        , signature env payload
        , "; Path=/; Max-Age="
        , B8.pack (show sessionSeconds)
        , "; HttpOnly; SameSite=Lax"
        , if secureCookie env then "; Secure" else ""
        ]
  where
    payload = B8.pack (show adminId ++ "." ++ show (now + sessionSeconds))

signature :: AdminEnv -> BS.ByteString -> BS.ByteString
signature env payload =
    convertToBase Base16 (hmacGetDigest (hmac (sessionSecret env) ("inter-hub admin session " <> payload) :: HMAC SHA256))

-- | The admin id of a valid, unexpired session cookie in the request.
sessionAdmin :: AdminEnv -> Int64 -> Request -> Maybe Int64
sessionAdmin env now req = do
    header <- lookup hCookie (requestHeaders req)
    value <- lookup cookieName (cookies header)
    let (payload, sig) = B8.breakEnd (== '.') value
        body = B8.take (BS.length payload - 1) payload
    sigBytes <- either (const Nothing) Just (convertFromBase Base16 sig :: Either String BS.ByteString)
    expected <- either (const Nothing) Just (convertFromBase Base16 (signature env body) :: Either String BS.ByteString)
    if BS.null payload || not (BA.constEq sigBytes expected)
        then Nothing
        else do
            let (idText, expiryText) = B8.break (== '.') body
            adminId <- readMaybe (B8.unpack idText)
            expiry <- readMaybe (B8.unpack (B8.drop 1 expiryText))
            if expiry > now then Just adminId else Nothing
  where
    cookies h =
        [ (B8.dropWhile (== ' ') k, B8.drop 1 v)
        | part <- B8.split ';' h
        , let (k, v) = B8.break (== '=') part
        ]

-- Responses.

textPlain, textHtml :: Header
textPlain = (hContentType, "text/plain; charset=utf-8")
textHtml = (hContentType, "text/html; charset=utf-8")

notAllowed :: BS.ByteString -> Response
notAllowed allow = responseLBS status405 [("Allow", allow), textPlain] "method not allowed\n"

redirect :: AdminEnv -> String -> [Header] -> Response
redirect env path extra =
    responseLBS status302 ((hLocation, B8.pack (baseUrl env ++ path)) : (hCacheControl, "no-store") : extra) ""

page :: Status -> String -> String -> Response
page status title body =
    responseLBS status [textHtml, (hCacheControl, "no-store")] . utf8 $
        concat
            [ "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            , "<title>" ++ escape title ++ " · Inter-Hub</title>\n"
            , "<link rel=\"stylesheet\" href=\"/static/app.css\">\n</head>\n<body>\n"
            , "<h1>" ++ escape title ++ "</h1>\n"
            , body
            , "</body>\n</html>\n"
            ]

loginPage :: Status -> Maybe String -> Response
loginPage status err =
    page status "Admin login" $
        concat
            [ maybe "" (\e -> "<p class=\"error\">" ++ escape e ++ "</p>\n") err
            , "<form method=\"post\" action=\"/admin/login\">\n"
            , "<label>Email <input type=\"email\" name=\"email\" required autocomplete=\"username\"></label>\n"
            , "<label>Password <input type=\"password\" name=\"password\" required autocomplete=\"current-password\"></label>\n"
            , "<button type=\"submit\">Log in</button>\n"
            , "</form>\n"
            ]

index :: String -> String
index email =
    concat
        [ "<p>Signed in as " ++ escape email ++ ".</p>\n<ul>\n"
        , concat
            [ "<li><a href=\"/admin/dashboards/" ++ T.unpack name ++ "\">" ++ escape title ++ "</a></li>\n"
            | (name, title) <- dashboards
            ]
        , "</ul>\n"
        ]

dashboard :: String -> String -> String
dashboard title email =
    "<p>The " ++ escape title ++ " dashboard of the Inter-Hub sample app. Signed in as "
        ++ escape email ++ ".</p>\n<p><a href=\"/admin\">All dashboards</a></p>\n"

withDatabase :: AdminEnv -> (Connection -> IO a) -> IO (Either String a)
withDatabase env act = do
    c <- openDatabase (databaseUrl env)
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
    pure (responseLBS status503 [textPlain, ("Retry-After", "5")] "503 database unavailable\n")

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
