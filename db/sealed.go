package db

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// Sealed values.
//
// A webhook's secret must be readable again to sign what is sent (it cannot
// be hashed), and a Slack webhook's URL is itself a credential. Both are
// kept sealed (AES-256-GCM) under a key derived from the audit key, which
// lives outside the database: a backup, an export or a stolen copy of the
// file alone does not reveal them. Changing the audit key makes them
// unreadable; the admin then enters them again.

// sealedPrefix marks the format of a sealed value, so that another can
// follow.
const sealedPrefix = "v1:"

// errUnsealable is a sealed value that the current key does not open.
var errUnsealable = errors.New("db: a sealed value cannot be opened with this audit key")

// sealingAEAD is the cipher that seals and opens values under the key
// derived from the audit key.
func (s *Store) sealingAEAD() (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, s.auditKey, nil, "steward sealed values v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts plain under the audit-derived key; "" stays "".
func (s *Store) seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	aead, err := s.sealingAEAD()
	if err != nil {
		return "", err
	}
	return sealWith(aead, plain)
}

// unseal opens a value made by seal; "" stays "".
func (s *Store) unseal(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	aead, err := s.sealingAEAD()
	if err != nil {
		return "", err
	}
	return openWith(aead, sealed)
}

// sealWith encrypts plain with aead under a random nonce.
func sealWith(aead cipher.AEAD, plain string) (string, error) {
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plain), nil)), nil
}

// openWith opens a value made by sealWith with the same key.
func openWith(aead cipher.AEAD, sealed string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	if err != nil || !strings.HasPrefix(sealed, sealedPrefix) || len(raw) < aead.NonceSize() {
		return "", errUnsealable
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], nil)
	if err != nil {
		return "", errUnsealable
	}
	return string(plain), nil
}
