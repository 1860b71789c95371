{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | The sample app's create-admin: makes (or updates) an account of the admin area in the table
-- admins, as an operator does once on a fresh database.
--
--   printf '%s' "$PASSWORD" | create-admin EMAIL
--
-- The password is read from stdin (its first line; at least 12 characters), never from the
-- arguments or the environment, so it stays out of process lists and shell histories; on a
-- terminal it is asked for without echo. DATABASE_URL is required, and the migrations must have
-- run (the table admins exists). Idempotent: an account that exists with this password is left
-- as it is, one with another password gets the new one. Prints what it did, but neither the
-- password nor the address (the smoke checks' credentials stay out of logs).
module Main (main) where

import Control.Exception (IOException, SomeException, displayException, fromException, try)
import Control.Monad (unless, when)
import qualified Data.Text as T
import qualified Data.Text.IO as TIO
import Database.PostgreSQL.Simple
import System.Environment (getArgs)
import System.IO (hFlush, hGetEcho, hIsTerminalDevice, hPutStr, hPutStrLn, hSetEcho, stderr, stdin)

import InterHub.Password
import InterHub.Runtime

prog :: String
prog = "create-admin"

main :: IO ()
main = do
    setupOutput
    args <- getArgs
    email <- case args of
        [e] | validEmail (normalizeEmail (T.pack e)) -> pure (normalizeEmail (T.pack e))
        [e] -> exitWith1 prog ("not an email address: " ++ show e)
        _ -> exitWith1 prog "usage: create-admin EMAIL (the password on stdin)"
    [url] <- requireEnv prog ["DATABASE_URL"]
    password <- readPassword
    when (T.length password < minPasswordLength) $
        exitWith1 prog ("the password must have at least " ++ show minPasswordLength ++ " characters")
    conn <- openDatabase url >>= either (exitWith1 prog . ("cannot connect to the database: " ++)) pure
    [Only table] <- query_ conn "SELECT to_regclass('admins')::text"
    unless (table == Just ("admins" :: T.Text)) $
        exitWith1 prog "the table admins does not exist: run migrate first"
    r <- try $ do
        existing <- query conn "SELECT password_hash FROM admins WHERE email = ?" (Only email)
        case existing of
            [Only stored] | checkPassword password stored -> pure "exists with this password: unchanged"
            [Only (_ :: T.Text)] -> do
                h <- hashPassword password
                _ <- execute conn "UPDATE admins SET password_hash = ? WHERE email = ?" (h, email)
                pure "exists: its password was changed"
            _ -> do
                h <- hashPassword password
                _ <- execute conn "INSERT INTO admins (email, password_hash) VALUES (?, ?)" (email, h)
                pure "was created"
    close conn
    case r of
        Right (what :: String) -> putStrLn ("create-admin: the admin account " ++ what)
        Left (e :: SomeException) ->
            exitWith1 prog (maybe (displayException e) showSqlError (fromException e))

-- | The first line of stdin without its line end; asked for without echo on a terminal.
readPassword :: IO T.Text
readPassword = do
    tty <- hIsTerminalDevice stdin
    if not tty
        then strip <$> line
        else do
            hPutStr stderr "password: "
            hFlush stderr
            echo <- hGetEcho stdin
            hSetEcho stdin False
            p <- line
            hSetEcho stdin echo
            hPutStrLn stderr ""
            pure (strip p)
  where
    strip = T.dropWhileEnd (== '\r')
    -- An empty stdin is an empty password, refused above.
    line = either (\(_ :: IOException) -> "") id <$> try TIO.getLine
