package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// organisationNameKey is the settings key of the organisation's name.
const organisationNameKey = "organisation_name"

// OrganisationName is the name printed on checklists; "" until an admin
// sets it.
func (s *Store) OrganisationName(ctx context.Context) (string, error) {
	name, err := s.QueryString(ctx, "SELECT value FROM settings WHERE key = ?", organisationNameKey)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("db: read the organisation's name: %w", err)
	}
	return name, nil
}

// SetOrganisationName changes the organisation's name, with its audit event
// in the same transaction; an empty name takes it off printouts.
func (s *Store) SetOrganisationName(ctx context.Context, actor Actor, name string) error {
	v := newValidator()
	name = v.line("organisation_name", name, false, 200)
	if err := v.err(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var old string
		err := tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", organisationNameKey).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("db: read the organisation's name: %w", err)
		}
		if old == name {
			return nil
		}
		if err := putSetting(ctx, tx, organisationNameKey, name); err != nil {
			return fmt.Errorf("db: save the organisation's name: %w", err)
		}
		return s.insertEvent(ctx, tx, actor, Event{Action: "settings.changed", Summary: "Changed the organisation's name",
			Changes: []Change{{Field: organisationNameKey, Before: old, After: name}}})
	})
}
