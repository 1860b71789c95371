{-# LANGUAGE OverloadedStrings #-}
-- | Admin accounts' passwords and e-mail addresses, shared by the server's login and the
-- create-admin command. Passwords are stored as bcrypt hashes (cryptonite, which Debian's
-- libghc-warp-dev already pulls in through x509), as an IHP app stores its users' passwords.
module InterHub.Password
    ( hashPassword
    , checkPassword
    , dummyCheck
    , normalizeEmail
    , validEmail
    , minPasswordLength
    ) where

import qualified Crypto.KDF.BCrypt as BCrypt
import qualified Data.ByteString as BS
import qualified Data.Text as T
import qualified Data.Text.Encoding as TE

-- | bcrypt's cost: 2^10 rounds, about 0.2 s per hash on the stand-in's cores.
cost :: Int
cost = 10

-- | A new bcrypt hash ("$2b$10$...") of the password, with a random salt.
hashPassword :: T.Text -> IO T.Text
hashPassword password = do
    h <- BCrypt.hashPassword cost (TE.encodeUtf8 password) :: IO BS.ByteString
    pure (TE.decodeUtf8 h)

-- | Whether the password matches the stored hash; False for a hash that is not bcrypt's.
checkPassword :: T.Text -> T.Text -> Bool
checkPassword password stored =
    either (const False) id (BCrypt.validatePasswordEither (TE.encodeUtf8 password) (TE.encodeUtf8 stored))

-- | Checks the password against a fixed hash and returns False: a login for an unknown address
-- takes as long as one with a wrong password, so the answer time does not tell which addresses
-- exist.
dummyCheck :: T.Text -> Bool
dummyCheck password = checkPassword password dummyHash && False
  where
    dummyHash = "$2b$10$nMcXCR2LCbybNrAHQqjX8OHsexk8EYdwrxz9txEwME7sbXKR5RqG6"

-- | Addresses are compared and stored in lower case, without surrounding spaces.
normalizeEmail :: T.Text -> T.Text
normalizeEmail = T.toLower . T.strip

-- | A plausible address: one @ with text on both sides, no spaces or control characters.
validEmail :: T.Text -> Bool
validEmail e =
    T.length e <= 254
        && case T.splitOn "@" e of
            [local, domain] -> not (T.null local) && not (T.null domain) && T.all ok e
            _ -> False
  where
    ok c = c > ' ' && c /= '\DEL'

minPasswordLength :: Int
minPasswordLength = 12
