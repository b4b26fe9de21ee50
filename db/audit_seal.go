package db

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The audit chain's key and seal.
//
// Each event's hash is an HMAC-SHA-256 under a key kept outside the
// database (a key file beside it, or one the operator supplies), so whoever
// can write the file but lacks the key cannot recompute the chain after an
// edit. The seal, a settings row MACed under the same key, says from which
// event on the hashes are keyed (databases from before keying keep their
// plain SHA-256 hashes up to their audit.sealed event) and which event is
// the chain's head. Every append moves the head in its own transaction, so
// cutting off the newest events is caught even when nobody checked before;
// an append never moves a head that does not match the chain, so a cut is
// not papered over by the next change either.
//
// Open refuses a database whose seal does not match the key, or that has no
// seal although its key already existed: writing on would mix keys or seal
// a rewritten log.

// auditSealSetting is the settings key of the seal.
const auditSealSetting = "audit_seal"

// auditKeySize is the size in bytes of a generated key, and the least a
// supplied one must have.
const auditKeySize = 32

// AuditKeyFile is where the audit key of the database at dbPath is kept
// unless the operator says otherwise.
func AuditKeyFile(dbPath string) string { return dbPath + ".audit-key" }

// ParseAuditKey decodes an audit key as key files and STEWARD_AUDIT_KEY hold
// it: hex digits (surrounding space ignored), at least 32 bytes.
func ParseAuditKey(text string) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, errors.New("db: the audit key is not hex digits")
	}
	if len(key) < auditKeySize {
		return nil, fmt.Errorf("db: the audit key has %d bytes, at least %d are needed", len(key), auditKeySize)
	}
	return key, nil
}

// loadOrCreateAuditKey reads the key file at path or, when there is none,
// creates it with a new random key; created says which.
func loadOrCreateAuditKey(path string) (key []byte, created bool, err error) {
	text, err := os.ReadFile(path)
	if err == nil {
		key, err = ParseAuditKey(string(text))
		if err != nil {
			return nil, false, fmt.Errorf("%w (in %s)", err, path)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("db: read the audit key: %w", err)
	}
	key = make([]byte, auditKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, fmt.Errorf("db: make an audit key: %w", err)
	}
	if err := writePrivateFile(path, []byte(hex.EncodeToString(key)+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process made it first
			return loadOrCreateAuditKey(path)
		}
		return nil, false, fmt.Errorf("db: write the audit key: %w", err)
	}
	return key, true, nil
}

// writePrivateFile writes data to a new file at path, readable by its owner
// alone, atomically: a temporary file is written and synced, then linked
// under its name, which fails rather than replace a file that exists.
func writePrivateFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600) // CreateTemp's 0600 is narrowed by the umask at most, but say it
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir syncs a directory, so a new name in it survives a power cut.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// auditSeal is the seal's content.
type auditSeal struct {
	KeyedFrom int64  // the first event whose hash is keyed; older ones are plain SHA-256
	HeadID    int64  // the chain's newest event (0 for none)
	HeadHash  string // its hash (genesisHash for none)
}

// encode is the seal as stored: its fields and a MAC over them.
func (a auditSeal) encode(key []byte) string {
	body := strconv.FormatInt(a.KeyedFrom, 10) + " " + strconv.FormatInt(a.HeadID, 10) + " " + a.HeadHash
	return body + " " + settingMAC(key, auditSealSetting, body)
}

// decodeSeal reads a stored seal, and false when it is malformed or its MAC
// does not match key.
func decodeSeal(value string, key []byte) (auditSeal, bool) {
	body, ok := checkSettingMAC(key, auditSealSetting, value)
	if !ok {
		return auditSeal{}, false
	}
	parts := strings.Split(body, " ")
	if len(parts) != 3 {
		return auditSeal{}, false
	}
	var a auditSeal
	var err1, err2 error
	a.KeyedFrom, err1 = strconv.ParseInt(parts[0], 10, 64)
	a.HeadID, err2 = strconv.ParseInt(parts[1], 10, 64)
	a.HeadHash = parts[2]
	return a, err1 == nil && err2 == nil && a.KeyedFrom > 0
}

// settingMAC is the hex HMAC under key of a settings value. The setting's
// name comes first, ending in a newline, so a MAC made for one setting (or
// an event, whose pre-image starts with a digit) fits no other.
func settingMAC(key []byte, name, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("steward setting " + name + "\n" + value))
	return hex.EncodeToString(m.Sum(nil))
}

// checkSettingMAC splits a value stored as "content MAC" and reports
// whether the MAC matches.
func checkSettingMAC(key []byte, name, stored string) (string, bool) {
	i := strings.LastIndexByte(stored, ' ')
	if i < 0 {
		return "", false
	}
	body, mac := stored[:i], stored[i+1:]
	return body, hmac.Equal([]byte(mac), []byte(settingMAC(key, name, body)))
}

// putSetting writes a settings value inside tx.
func putSetting(ctx context.Context, tx *sql.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// moveSealHead records inside tx that the chain's head is now headID with
// headHash, having been prevID with prevHash: only when the stored seal
// matches the key and says so, so a log cut or rewritten outside Steward
// keeps the head that gives it away.
func (s *Store) moveSealHead(ctx context.Context, tx *sql.Tx, prevID int64, prevHash string, headID int64, headHash string) error {
	var value string
	err := tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", auditSealSetting).Scan(&value)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: read the audit seal: %w", err)
	}
	seal, ok := decodeSeal(value, s.auditKey)
	if !ok || seal.KeyedFrom != s.keyedFrom || seal.HeadID != prevID || seal.HeadHash != prevHash {
		return nil // verify reports it; see above
	}
	seal.HeadID, seal.HeadHash = headID, headHash
	if err := putSetting(ctx, tx, auditSealSetting, seal.encode(s.auditKey)); err != nil {
		return fmt.Errorf("db: move the audit seal: %w", err)
	}
	return nil
}

// openAuditChain reads the seal at Open, or seals a chain that has none:
// a new database's, or a log from before keying whose key was made just
// now (keyCreated). keyFrom names the key for messages.
func (s *Store) openAuditChain(ctx context.Context, keyCreated, fresh bool, keyFrom string) error {
	value, err := s.QueryString(ctx, "SELECT value FROM settings WHERE key = ?", auditSealSetting)
	switch {
	case err == nil:
		seal, ok := decodeSeal(value, s.auditKey)
		if !ok {
			return fmt.Errorf("db: the audit log's seal does not match %s: start Steward with the audit key that belongs to "+
				"this database (without it its audit log cannot be verified), or restore the database with its key from a backup; "+
				"if this is the right key, the seal was altered outside Steward", keyFrom)
		}
		s.keyedFrom = seal.KeyedFrom
		return nil
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("db: read the audit seal: %w", err)
	case !fresh && !keyCreated:
		return fmt.Errorf("db: the audit log has no seal although %s already existed: either the seal was removed outside "+
			"Steward (restore the database from a backup), or this database's log predates keyed audit logs and its key was "+
			"made beforehand; then start Steward on it once with a key file that does not exist yet, so that Steward makes "+
			"the key and seals the log", keyFrom)
	}
	return s.sealAuditChain(ctx)
}

// sealAuditChain keys the chain from its next event on. A log from before
// keying is checked once as it is (plain SHA-256), and the check recorded
// and logged; then an audit.sealed event, the first keyed one, closes it.
// A broken old log is sealed too (new events need their protection) but
// the break is said loudly, and every later check still finds it.
func (s *Store) sealAuditChain(ctx context.Context) error {
	head, err := s.AuditEventCount(ctx)
	if err != nil {
		return err
	}
	s.keyedFrom, s.sealing = head+1, true
	if head == 0 {
		return s.inTx(ctx, func(tx *sql.Tx) error {
			return putSetting(ctx, tx, auditSealSetting, auditSeal{KeyedFrom: 1, HeadHash: genesisHash}.encode(s.auditKey))
		})
	}
	res, err := s.walkChain(ctx, s.read, nil)
	if err != nil {
		return err
	}
	summary := fmt.Sprintf("Sealed the audit log: events 1 to %d keep their plain SHA-256 hashes and were found intact; "+
		"from this event on every hash is keyed", head)
	if res.BrokenID != 0 {
		summary = fmt.Sprintf("Sealed the audit log: events 1 to %d keep their plain SHA-256 hashes, but they were already "+
			"broken at event %d (%s); from this event on every hash is keyed", head, res.BrokenID, res.Problem)
		s.log.Error("audit log: the log from before keying is broken; sealing it anyway, the break stays visible to every check",
			"broken_id", res.BrokenID, "problem", res.Problem, "events", head)
	}
	if err := s.recordVerification(ctx, s.verificationOf(res)); err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var prevHash string
		if err := tx.QueryRowContext(ctx, "SELECT hash FROM audit_events WHERE id = ?", head).Scan(&prevHash); err != nil {
			return fmt.Errorf("db: read audit chain head: %w", err)
		}
		// The seal's head is the old one, so the append moves it on.
		if err := putSetting(ctx, tx, auditSealSetting, auditSeal{KeyedFrom: s.keyedFrom, HeadID: head, HeadHash: prevHash}.encode(s.auditKey)); err != nil {
			return err
		}
		return s.insertEvent(ctx, tx, SystemActor("steward"), Event{Action: "audit.sealed", Summary: summary})
	})
	if err != nil {
		return fmt.Errorf("db: seal the audit log: %w", err)
	}
	s.log.Info("audit log sealed: events from here on are keyed", "keyed_from", s.keyedFrom, "plain_events", head,
		"plain_head_hash", res.HeadHash)
	return nil
}

// auditTrigger is one of the append-only triggers on the audit tables.
type auditTrigger struct{ name, op, table string }

// auditTriggers are the triggers migration 001 creates; restoreAuditTriggers
// makes them again from this list.
var auditTriggers = []auditTrigger{
	{"audit_events_no_update", "UPDATE", "audit_events"},
	{"audit_events_no_delete", "DELETE", "audit_events"},
	{"audit_links_no_update", "UPDATE", "audit_links"},
	{"audit_links_no_delete", "DELETE", "audit_links"},
}

func (t auditTrigger) sql() string {
	return "CREATE TRIGGER " + t.name + " BEFORE " + t.op + " ON " + t.table +
		"\nBEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
}

// Audit event actions about the audit log itself.
const (
	actionTriggersRestored = "audit.triggers_restored"
	actionTriggersAccepted = "audit.triggers_accepted"
)

// restoreAuditTriggers checks at Open that the append-only triggers are
// there as Steward made them. Any missing or changed one is made again, a
// warning logged and an audit.triggers_restored event written in the same
// transaction, so that checks of the chain fail until an admin accepts it
// (AcceptRestoredTriggers): whoever dropped them could write the file.
func (s *Store) restoreAuditTriggers(ctx context.Context) error {
	var missing []string
	for _, t := range auditTriggers {
		stored, err := s.QueryString(ctx, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", t.name)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("db: read audit triggers: %w", err)
		}
		if strings.Join(strings.Fields(stored), " ") != strings.Join(strings.Fields(t.sql()), " ") {
			missing = append(missing, t.name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	s.log.Warn("audit log: append-only triggers were missing or altered; restored them. Someone changed the database file outside Steward; "+
		"`steward audit verify` fails until an admin accepts this", "triggers", strings.Join(missing, ", "))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range auditTriggers {
			if _, err := tx.ExecContext(ctx, "DROP TRIGGER IF EXISTS "+t.name); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, t.sql()); err != nil {
				return err
			}
		}
		return s.insertEvent(ctx, tx, SystemActor("steward"), Event{Action: actionTriggersRestored,
			Summary: "Restored the audit log's append-only triggers, missing or altered when Steward started: " + strings.Join(missing, ", ") +
				". Someone changed the database file outside Steward."})
	})
	if err != nil {
		return fmt.Errorf("db: restore audit triggers: %w", err)
	}
	return nil
}

// AcceptRestoredTriggers records, as an audit event by actor, that an admin
// has looked into the append-only triggers restored at a start, so checks
// of the chain pass again. It reports false when there was nothing to accept.
func (s *Store) AcceptRestoredTriggers(ctx context.Context, actor Actor) (bool, error) {
	accepted := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		accepted = false
		var restored, done int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(CASE WHEN action = ? THEN id END), 0),
			COALESCE(MAX(CASE WHEN action = ? THEN id END), 0) FROM audit_events WHERE action IN (?, ?)`,
			actionTriggersRestored, actionTriggersAccepted, actionTriggersRestored, actionTriggersAccepted).Scan(&restored, &done); err != nil {
			return fmt.Errorf("db: read restored triggers: %w", err)
		}
		if restored <= done {
			return nil
		}
		accepted = true
		return s.insertEvent(ctx, tx, actor, Event{Action: actionTriggersAccepted,
			Summary: fmt.Sprintf("Accepted the append-only triggers restored at event %d after looking into it", restored)})
	})
	return accepted, err
}
