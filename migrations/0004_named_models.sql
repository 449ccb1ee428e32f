-- Named models: many classifiers (labels, examples, heads, runs, thresholds, schedule) on one shared backbone.
-- Everything stored before this migration becomes the `default` model's, row for row; nothing is dropped that is
-- not first copied. The same photo may be an example of several models, so an example's key is (model, id).

CREATE TABLE models (
  name TEXT PRIMARY KEY,               -- [a-z0-9-]{1,32}
  created_at TEXT NOT NULL,
  train_every_minutes INTEGER,         -- the cron retrains the model when its last run is at least this old; NULL: every tick
  example_version INTEGER NOT NULL DEFAULT 0  -- bumped by every change to the model's examples (was example_version)
);
INSERT INTO models (name, created_at, example_version)
  SELECT 'default', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), version FROM example_version WHERE id = 0;

-- examples gains the model in its key: rebuilt (SQLite cannot change a primary key), copied as it was.
CREATE TABLE examples_by_model (
  model TEXT NOT NULL DEFAULT 'default',
  id TEXT NOT NULL,                    -- sha256 of the original bytes, 64 hex
  label TEXT NOT NULL,
  content_type TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  backbone_id TEXT NOT NULL,
  embedding BLOB NOT NULL,
  embedding_flipped BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  embedding_q8 TEXT,
  embedding_flipped_q8 TEXT,
  PRIMARY KEY (model, id)
);
INSERT INTO examples_by_model (model, id, label, content_type, bytes, width, height, backbone_id, embedding, embedding_flipped,
    created_at, updated_at, embedding_q8, embedding_flipped_q8)
  SELECT 'default', id, label, content_type, bytes, width, height, backbone_id, embedding, embedding_flipped,
    created_at, updated_at, embedding_q8, embedding_flipped_q8 FROM examples;
DROP TABLE examples;                   -- its indexes and triggers go with it
ALTER TABLE examples_by_model RENAME TO examples;
CREATE INDEX examples_label ON examples (model, label, id);
CREATE INDEX examples_backbone ON examples (model, backbone_id, id);
CREATE INDEX examples_legacy ON examples (model, id) WHERE embedding_q8 IS NULL;

DROP TABLE example_version;
CREATE TRIGGER examples_version_insert AFTER INSERT ON examples BEGIN
  UPDATE models SET example_version = example_version + 1 WHERE name = NEW.model;
END;
CREATE TRIGGER examples_version_delete AFTER DELETE ON examples BEGIN
  UPDATE models SET example_version = example_version + 1 WHERE name = OLD.model;
END;
CREATE TRIGGER examples_version_relabel AFTER UPDATE OF label ON examples BEGIN
  UPDATE models SET example_version = example_version + 1 WHERE name = NEW.model;
END;

-- suspects: per model too.
CREATE TABLE suspects_by_model (
  model TEXT NOT NULL DEFAULT 'default',
  example_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  given_label TEXT NOT NULL,
  label TEXT NOT NULL,
  score REAL NOT NULL,
  PRIMARY KEY (model, example_id)
);
INSERT INTO suspects_by_model (model, example_id, run_id, given_label, label, score)
  SELECT 'default', example_id, run_id, given_label, label, score FROM suspects;
DROP TABLE suspects;
ALTER TABLE suspects_by_model RENAME TO suspects;
CREATE INDEX suspects_score ON suspects (model, score DESC, example_id);
CREATE TRIGGER suspects_relabel AFTER UPDATE OF label ON examples BEGIN
  DELETE FROM suspects WHERE model = NEW.model AND example_id = NEW.id;
END;
CREATE TRIGGER suspects_delete AFTER DELETE ON examples BEGIN
  DELETE FROM suspects WHERE model = OLD.model AND example_id = OLD.id;
END;

-- runs: each belongs to one model. Leases need no change: their name carries the model (workers/example-store.ts).
ALTER TABLE runs ADD COLUMN model TEXT NOT NULL DEFAULT 'default';
CREATE INDEX runs_model_started ON runs (model, started_at);
