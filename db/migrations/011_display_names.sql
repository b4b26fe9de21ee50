-- Names that tell records apart (issue #12, item 8). Two accounts may share
-- a name (a Meta Business Manager and its Page are both "Northwind
-- Outfitters"), and so may two people. Wherever a record is named, such a
-- name carries what tells it apart; a name nobody else has stands alone.
--
-- display_name is that name. The views below hold the rule, once per kind;
-- triggers keep the column current whenever a record is added, renamed or
-- removed (its namesakes change too), so that every way of writing records
-- (the store, imports, bulk loads) keeps it true, and lists that name
-- thousands of records read one column instead of looking for namesakes
-- row by row.

ALTER TABLE accounts ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE owners ADD COLUMN display_name TEXT NOT NULL DEFAULT '';

-- An account's namesakes are told apart by platform and kind ("Northwind
-- Outfitters (Meta Page)"); where those are shared too, by external ID, or
-- by Steward's ID when it has none.
CREATE VIEW account_display_names AS
SELECT a.id, CASE
    WHEN NOT EXISTS (SELECT 1 FROM accounts d WHERE d.name = a.name COLLATE NOCASE AND d.id <> a.id) THEN a.name
    ELSE a.name || ' (' || trim(a.platform || ' ' || a.kind) || CASE
        WHEN trim(a.platform || ' ' || a.kind) <> '' AND NOT EXISTS (SELECT 1 FROM accounts d
            WHERE d.name = a.name COLLATE NOCASE AND d.id <> a.id
            AND d.platform = a.platform COLLATE NOCASE AND d.kind = a.kind COLLATE NOCASE) THEN ''
        ELSE CASE WHEN trim(a.platform || ' ' || a.kind) = '' THEN '' ELSE ', ' END
            || CASE WHEN a.external_id <> '' THEN a.external_id ELSE '#' || a.id END
    END || ')'
END AS display_name
FROM accounts a;

-- A person's namesakes are told apart by email, or by Steward's ID.
CREATE VIEW owner_display_names AS
SELECT o.id, CASE
    WHEN NOT EXISTS (SELECT 1 FROM owners d WHERE d.name = o.name COLLATE NOCASE AND d.id <> o.id) THEN o.name
    ELSE o.name || ' (' || CASE WHEN o.email <> '' THEN o.email ELSE '#' || o.id END || ')'
END AS display_name
FROM owners o;

CREATE TRIGGER accounts_display_name_insert AFTER INSERT ON accounts BEGIN
    UPDATE accounts SET display_name = (SELECT v.display_name FROM account_display_names v WHERE v.id = accounts.id)
    WHERE name = NEW.name COLLATE NOCASE;
END;
CREATE TRIGGER accounts_display_name_update AFTER UPDATE OF name, platform, kind, external_id ON accounts
WHEN NEW.name IS NOT OLD.name OR NEW.platform IS NOT OLD.platform OR NEW.kind IS NOT OLD.kind OR NEW.external_id IS NOT OLD.external_id
BEGIN
    UPDATE accounts SET display_name = (SELECT v.display_name FROM account_display_names v WHERE v.id = accounts.id)
    WHERE name = NEW.name COLLATE NOCASE OR name = OLD.name COLLATE NOCASE;
END;
CREATE TRIGGER accounts_display_name_delete AFTER DELETE ON accounts BEGIN
    UPDATE accounts SET display_name = (SELECT v.display_name FROM account_display_names v WHERE v.id = accounts.id)
    WHERE name = OLD.name COLLATE NOCASE;
END;

CREATE TRIGGER owners_display_name_insert AFTER INSERT ON owners BEGIN
    UPDATE owners SET display_name = (SELECT v.display_name FROM owner_display_names v WHERE v.id = owners.id)
    WHERE name = NEW.name COLLATE NOCASE;
END;
CREATE TRIGGER owners_display_name_update AFTER UPDATE OF name, email ON owners
WHEN NEW.name IS NOT OLD.name OR NEW.email IS NOT OLD.email
BEGIN
    UPDATE owners SET display_name = (SELECT v.display_name FROM owner_display_names v WHERE v.id = owners.id)
    WHERE name = NEW.name COLLATE NOCASE OR name = OLD.name COLLATE NOCASE;
END;
CREATE TRIGGER owners_display_name_delete AFTER DELETE ON owners BEGIN
    UPDATE owners SET display_name = (SELECT v.display_name FROM owner_display_names v WHERE v.id = owners.id)
    WHERE name = OLD.name COLLATE NOCASE;
END;

UPDATE accounts SET display_name = (SELECT v.display_name FROM account_display_names v WHERE v.id = accounts.id);
UPDATE owners SET display_name = (SELECT v.display_name FROM owner_display_names v WHERE v.id = owners.id);
