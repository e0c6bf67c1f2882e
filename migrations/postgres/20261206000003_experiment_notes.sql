-- An experiment's notes: a description (plain text) and tags (a JSON array of strings).
ALTER TABLE experiments ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
