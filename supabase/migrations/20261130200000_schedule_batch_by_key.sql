-- The scheduler's batch step (sync_engine.schedule_due_plan_ids: the tick's first batch, and every
-- schedule group a worker's claim applies) no longer reads all of organization_integrations to
-- move its batch's next_run_at.
--
-- The function ends with one UPDATE of next_run_at for the batch's ids (`from unnest(ids, next) …
-- where i.id = any (ids) and i.id = x.id`). With 10,000 integrations and a batch of 500 (5 % of
-- the table) PostgreSQL's cost model prefers a sequential scan plus a hash join to 500 probes of
-- the primary key, so every batch read the whole table (`npm run bench -- --only volume`,
-- "scheduler tick, 500 due": 5 of its 15 whole-table reads; the other 10 were the harness's own
-- set-up). Measured on that table, warm: 7.5–8.3 ms with the scan, 7.2–7.6 ms by the index
-- (bitmap), 7.3–7.7 ms as a nested loop of probes: the same at this size (the update's own index
-- maintenance is most of it), but the scan grows with the table while the probes grow with the
-- batch, and the plan flipped with the statistics (seq above ≈ 5 % of the table, index below).
--
-- enable_seqscan = off for the function's own statements only (a function's SET is undone when it
-- returns, also inside claim_runs' transaction). It is a cost penalty, not a ban: a table with no
-- usable index is still read. Every other statement in the function already reads by key or by
-- the due range (auto_explain at 400, 10,000 and 100,000 integrations: only this plan changes).
set local lock_timeout = '5s';
set local statement_timeout = '60s';

alter function sync_engine.schedule_due_plan_ids(timestamptz, uuid[], text[], text[], timestamptz[], timestamptz[], timestamptz[])
  set enable_seqscan = off;
