-- Labelled examples: the original photo lives in R2 under its sha256 (the id); embeddings are float32
-- little-endian blobs of the backbone named in backbone_id (plain view, then the horizontally flipped view).
CREATE TABLE examples (
  id TEXT PRIMARY KEY,                 -- sha256 of the original bytes, 64 hex
  label TEXT NOT NULL,
  content_type TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  backbone_id TEXT NOT NULL,
  embedding BLOB NOT NULL,
  embedding_flipped BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX examples_label ON examples (label, id);
CREATE INDEX examples_backbone ON examples (backbone_id);

-- One row per training run (cron or POST /v1/train), written at start and completed at the end.
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  trigger TEXT NOT NULL,               -- 'cron' | 'manual'
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,                -- 'running' | 'published' | 'kept' | 'skipped' | 'failed'
  reason TEXT,
  examples_train INTEGER,
  examples_holdout INTEGER,
  re_embedded INTEGER NOT NULL DEFAULT 0,
  backbone_forwards INTEGER NOT NULL DEFAULT 0,
  serving_version TEXT,
  published_version TEXT,
  fingerprint TEXT,                    -- hash of the examples and settings a decision was made on (no-op detection)
  details TEXT                         -- JSON: metrics of both heads, the guard's numbers, training stats
);
CREATE INDEX runs_started ON runs (started_at);

-- Training lease: one row per lease name; taken by a conditional upsert, so one holder at a time.
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL          -- ms since epoch
);
