-- Compact embeddings: 8-bit quantised views as text (shared/examples/embedding-codec.ts), a quarter of the
-- float32 blobs' size and one string per row through D1 (blobs come back as arrays of byte numbers, which made
-- reading 10k examples for training take seconds). New and re-embedded rows write only these columns and leave
-- the float32 columns empty; rows from before this migration keep their float32 blobs, are still read through
-- them, and are converted by the training job in bounded batches (same values, quantised; no backbone forward).
ALTER TABLE examples ADD COLUMN embedding_q8 TEXT;
ALTER TABLE examples ADD COLUMN embedding_flipped_q8 TEXT;
CREATE INDEX examples_legacy ON examples (id) WHERE embedding_q8 IS NULL;

-- The job pages through one backbone's examples in id order; with an index on backbone_id alone SQLite sorted all
-- of that backbone's rows (reading every embedding) for each page of 200.
DROP INDEX examples_backbone;
CREATE INDEX examples_backbone ON examples (backbone_id, id);

-- A counter every change to the training data bumps (a new example, a relabel, a delete), maintained by the
-- database itself so no write path can forget it. The training job compares it with the last decided run
-- instead of hashing every example's id and label (the no-op check is then O(1)).
CREATE TABLE example_version (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  version INTEGER NOT NULL
);
INSERT INTO example_version (id, version) VALUES (0, 0);
CREATE TRIGGER examples_version_insert AFTER INSERT ON examples BEGIN
  UPDATE example_version SET version = version + 1 WHERE id = 0;
END;
CREATE TRIGGER examples_version_delete AFTER DELETE ON examples BEGIN
  UPDATE example_version SET version = version + 1 WHERE id = 0;
END;
CREATE TRIGGER examples_version_relabel AFTER UPDATE OF label ON examples BEGIN
  UPDATE example_version SET version = version + 1 WHERE id = 0;
END;
