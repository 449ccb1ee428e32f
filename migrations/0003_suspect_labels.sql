-- Suspect labels: examples whose given label the latest training run's out-of-fold predictions confidently
-- contradict (shared/head/suspects.ts). Each run that trains replaces the whole table. A separate table, so
-- recording suspects never bumps example_version (it is not a change to the training data).
CREATE TABLE suspects (
  example_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  given_label TEXT NOT NULL,           -- the example's label when the run judged it
  label TEXT NOT NULL,                 -- what the model says instead
  score REAL NOT NULL                  -- its out-of-fold probability
);
CREATE INDEX suspects_score ON suspects (score DESC, example_id);

-- A relabel or delete answers the suspicion: the row goes until a later run judges the example again.
CREATE TRIGGER suspects_relabel AFTER UPDATE OF label ON examples BEGIN
  DELETE FROM suspects WHERE example_id = NEW.id;
END;
CREATE TRIGGER suspects_delete AFTER DELETE ON examples BEGIN
  DELETE FROM suspects WHERE example_id = OLD.id;
END;
