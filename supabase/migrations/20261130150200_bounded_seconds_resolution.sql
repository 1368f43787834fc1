-- sync_engine.bounded_seconds also rounds below a microsecond to 0. A duration of 5e-324 s (a
-- denormal a caller could pass as a backoff cap) made backoff_seconds' `random() * cap` underflow,
-- which PostgreSQL raises as an error ("value out of range: underflow", 22003) instead of returning
-- 0: found by the extreme-values property test (fast-check seed 1563755523). No timer, lease or
-- interval the engine keeps resolves below a millisecond, so a microsecond floor changes nothing
-- real, and every product with random() (≥ 2^-53 or 0) then stays a normal double.
set local lock_timeout = '5s';
set local statement_timeout = '30s';

create or replace function sync_engine.bounded_seconds(p_seconds double precision) returns double precision
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when p_seconds is null then null
    when p_seconds = 'NaN'::double precision or p_seconds < 1e-6 then 0
    else least(p_seconds, 315576000)  -- 10 years of 365.25 days
  end
$$;
