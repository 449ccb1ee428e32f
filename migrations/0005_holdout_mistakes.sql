-- The holdout photos a published head gets wrong (shared/training/holdout-split.ts holdoutMistakes), written by
-- the training run that published it: at most 100 per head, most confident first. Kept per head version, so a
-- rolled-back-to head still shows its own; a separate table, so writing it never bumps a model's example_version.
-- Per model (after 0004): an example is keyed by (model, id), so a mistake is too, and it joins its example on both.
CREATE TABLE holdout_mistakes (
  model TEXT NOT NULL DEFAULT 'default',
  head_version TEXT NOT NULL,
  example_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  label TEXT NOT NULL,                 -- the example's label when the run judged it
  predicted TEXT NOT NULL,             -- the head's top label
  confidence REAL NOT NULL,            -- the head's probability of that label
  PRIMARY KEY (model, head_version, example_id)
);
CREATE INDEX holdout_mistakes_order ON holdout_mistakes (model, head_version, confidence DESC);
