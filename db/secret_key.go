package db

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// The secret key.
//
// Secrets Steward must use again in clear (a connected Meta app's secret
// and a kept token) are sealed with AES-256-GCM under the secret key, which
// is not in the database: STEWARD_SECRET_KEY, or a key file beside the
// database (mode 0600) created the first time a secret is sealed. A
// backup, an export or a stolen copy of the database alone reveals none of
// them. Without the key they cannot be opened: the admin connects again.

// secretKeySize is the secret key's length in bytes (AES-256).
const secretKeySize = 32

// SecretKeyFile is the default secret key file of the database at dbPath.
func SecretKeyFile(dbPath string) string { return dbPath + ".secret-key" }

// ParseSecretKey decodes a secret key as STEWARD_SECRET_KEY and key files
// hold it: standard base64 (surrounding space ignored) of 32 bytes.
func ParseSecretKey(text string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, errors.New("db: the secret key is not base64")
	}
	if len(key) != secretKeySize {
		return nil, fmt.Errorf("db: the secret key has %d bytes, it needs %d (make one with: head -c 32 /dev/urandom | base64)", len(key), secretKeySize)
	}
	return key, nil
}

// errSecretUnsealable is a sealed secret that the current secret key does
// not open.
var errSecretUnsealable = errors.New("db: a secret cannot be opened with this secret key; connect again")

// secretAEAD is the cipher for connector secrets. It reads the key file,
// or creates it, the first time it is needed.
func (s *Store) secretAEAD() (cipher.AEAD, error) {
	s.secretMu.Lock()
	defer s.secretMu.Unlock()
	if len(s.secretKey) == 0 {
		key, err := loadOrCreateSecretKey(s.secretKeyFile)
		if err != nil {
			return nil, err
		}
		s.secretKey = key
	}
	block, err := aes.NewCipher(s.secretKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealSecret encrypts plain under the secret key; "" stays "".
func (s *Store) sealSecret(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	aead, err := s.secretAEAD()
	if err != nil {
		return "", err
	}
	return sealWith(aead, plain)
}

// openSecret opens a value made by sealSecret; "" stays "".
func (s *Store) openSecret(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	aead, err := s.secretAEAD()
	if err != nil {
		return "", err
	}
	plain, err := openWith(aead, sealed)
	if err != nil {
		return "", errSecretUnsealable
	}
	return plain, nil
}

// loadOrCreateSecretKey reads the key file at path or, when there is none,
// creates it with a new random key.
func loadOrCreateSecretKey(path string) ([]byte, error) {
	text, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseSecretKey(string(text))
		if err != nil {
			return nil, fmt.Errorf("%w (in %s)", err, path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("db: read the secret key: %w", err)
	}
	key := make([]byte, secretKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("db: make a secret key: %w", err)
	}
	if err := writePrivateFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process made it first
			return loadOrCreateSecretKey(path)
		}
		return nil, fmt.Errorf("db: write the secret key: %w", err)
	}
	return key, nil
}
