-- Planning the similar-objections query estimated pg_trgm's `%` by running it over the column's statistics sample, and
-- PL/pgSQL re-planned it for every call's text: 0.43 ms of planning around a 0.06 ms search, most of a filing's database
-- time. The generic plan (the trigram index, whatever the text) is the plan every text gets, so it is kept once per session.
ALTER FUNCTION roadwork_similar_objections(text, integer) SET plan_cache_mode = force_generic_plan;
