-- A share link may open a sweep (read-only), besides an experiment or a comparison.
ALTER TABLE shares ADD COLUMN sweep_id TEXT REFERENCES sweeps (id) ON DELETE CASCADE;
