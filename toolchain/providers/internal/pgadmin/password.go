package pgadmin

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// PasswordMatches reports whether stored, a verifier from pg_authid
// (SCRAM-SHA-256 or md5), was made from password for role. A plain-text value
// is compared as is.
func PasswordMatches(stored, password, role string) bool {
	switch {
	case stored == "":
		return password == ""
	case strings.HasPrefix(stored, "SCRAM-SHA-256$"):
		return scramMatches(stored, password)
	case strings.HasPrefix(stored, "md5") && len(stored) == 35:
		sum := md5.Sum([]byte(password + role))
		return subtle.ConstantTimeCompare([]byte(stored), []byte("md5"+hex.EncodeToString(sum[:]))) == 1
	default:
		return subtle.ConstantTimeCompare([]byte(stored), []byte(password)) == 1
	}
}

// scramMatches checks SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
// (RFC 5802, as PostgreSQL stores it). Passwords are taken as given, without
// SASLprep, which only matters for non-ASCII passwords.
func scramMatches(stored, password string) bool {
	rest := strings.TrimPrefix(stored, "SCRAM-SHA-256$")
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return false
	}
	iterStr, saltB64, ok := strings.Cut(params, ":")
	if !ok {
		return false
	}
	storedKeyB64, _, ok := strings.Cut(keys, ":")
	if !ok {
		return false
	}
	iter, err := strconv.Atoi(iterStr)
	if err != nil || iter < 1 {
		return false
	}
	salt, err := base64.StdEncoding.DecodeString(saltB64)
	if err != nil {
		return false
	}
	want, err := base64.StdEncoding.DecodeString(storedKeyB64)
	if err != nil {
		return false
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iter, sha256.Size)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, salted)
	mac.Write([]byte("Client Key"))
	got := sha256.Sum256(mac.Sum(nil))
	return subtle.ConstantTimeCompare(got[:], want) == 1
}
