-- What carrying out a checklist item did, in words a person reads on the
-- item, its audit event and the printed checklist: "Reassigned to Kenji
-- Watanabe", "Role removed in Steward". Empty for an item ticked by hand.
ALTER TABLE checklist_items ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
