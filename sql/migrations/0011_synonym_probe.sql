-- The search's pre-check asked whether a text's stem starts a synonym term with EXISTS: its generic plan hashed every
-- organization's synonym terms on each call (a sequential scan that grows with every organization signed up). It now
-- probes the first-stem index once per stem. The function is otherwise as migration 0010 wrote it.
CREATE OR REPLACE FUNCTION roadwork_match_objections(p_texts text[], p_limit integer)
    RETURNS TABLE (query_no integer, id uuid, statement text, obstacle_id uuid, status text, merged_into_id uuid,
                   report_count integer, version integer, created_at timestamptz, updated_at timestamptz,
                   similarity double precision, relevance double precision)
    -- One plan per session whatever the texts; its cost is estimated without them, high enough to have been JIT-compiled
    -- on every call (1.7 s), so JIT is off.
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET plan_cache_mode = force_generic_plan SET jit = off
    AS $$
#variable_conflict use_column
DECLARE
    v_org uuid := roadwork_current_org();
    v_objections double precision;
    v_common integer;
BEGIN
    SELECT objections INTO v_objections FROM search_totals WHERE org_id = v_org;
    -- One objection in a hundred, at least 20 and at most 50: past that, how common a word is hardly changes its weight.
    v_common := least(50, greatest(20, v_objections / 100))::integer;
    IF v_org IS NULL OR coalesce(v_objections, 0) = 0 THEN
        RETURN;
    END IF;
    -- A text matches only through a synonym term, a stem few objections use, a common stem some statement says, or a stem
    -- the organization never used (it may have look-alikes). Texts with none of these find nothing: a few index probes
    -- say so without running the scoring below (the same answer, at a fraction of the cost).
    IF NOT EXISTS (
        SELECT FROM unnest(p_texts) x(t) CROSS JOIN LATERAL unnest(tsvector_to_array(roadwork_search_doc(x.t, true))) w(lexeme)
        LEFT JOIN LATERAL (SELECT v.objections FROM search_vocabulary v
                           WHERE v.org_id = v_org AND v.lexeme = w.lexeme COLLATE "C" LIMIT 1) v ON true
        LEFT JOIN LATERAL (SELECT true AS spots FROM synonym_terms s WHERE s.org_id = v_org AND s.lexemes[1] = w.lexeme LIMIT 1) s ON true
        WHERE s.spots
           OR (w.lexeme <> ALL (roadwork_filler_words())
               AND (coalesce(v.objections, 0) = 0 AND length(w.lexeme) >= 4 AND w.lexeme !~ '^[0-9]'
                    OR v.objections BETWEEN 1 AND v_common
                    OR v.objections > v_common AND EXISTS (
                        SELECT FROM objection_terms t WHERE t.org_id = v_org AND t.lexeme = w.lexeme AND t.in_statement)))
    ) THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH texts AS (
        SELECT x.n::integer AS n, roadwork_search_doc(x.t, true) AS doc FROM unnest(p_texts) WITH ORDINALITY AS x(t, n)
    ),
    spotted AS (
        SELECT t.n, s.group_id, s.term, s.lexemes FROM texts t CROSS JOIN LATERAL (
            SELECT s.group_id, s.term, s.lexemes FROM synonym_terms s
            WHERE s.org_id = v_org AND s.lexemes[1] = ANY (tsvector_to_array(t.doc)) AND s.lexemes <@ tsvector_to_array(t.doc)) s
    ),
    own AS (
        SELECT t.n, w.lexeme FROM texts t CROSS JOIN LATERAL unnest(ts_delete(t.doc, roadwork_filler_words())) w
        WHERE NOT EXISTS (SELECT FROM spotted s WHERE s.n = t.n AND w.lexeme = ANY (s.lexemes))
    ),
    alternatives AS (
        SELECT row_number() OVER () AS alt, a.* FROM (
            SELECT o.n, 'w:' || o.lexeme AS unit, ARRAY[o.lexeme] AS lexemes, 1.0::double precision AS weight FROM own o
            UNION ALL
            SELECT o.n, 'w:' || o.lexeme, ARRAY[f.lexeme COLLATE "default"], f.likeness FROM own o CROSS JOIN LATERAL (
                -- Trigram likeness as whole words (typos), or 0.75 for a longer stem the word begins (cut off while
                -- typing); among at most 100 stems sharing its first three letters, so a look-up has a bounded cost.
                SELECT v.lexeme, l.likeness FROM (
                    SELECT v.lexeme FROM search_vocabulary v
                    WHERE v.org_id = v_org AND v.lexeme >= left(o.lexeme, 3) COLLATE "C" AND v.lexeme < left(o.lexeme, 3) || chr(1114111) COLLATE "C"
                    LIMIT 100) v
                CROSS JOIN LATERAL (SELECT greatest(similarity(v.lexeme, o.lexeme),
                                                    CASE WHEN starts_with(v.lexeme, o.lexeme) THEN 0.75 ELSE 0 END)::double precision AS likeness) l
                WHERE l.likeness >= 0.4
                ORDER BY l.likeness DESC, v.lexeme LIMIT 2) f
            WHERE length(o.lexeme) >= 4 AND o.lexeme !~ '^[0-9]'
              AND NOT EXISTS (SELECT FROM search_vocabulary k WHERE k.org_id = v_org AND k.lexeme = o.lexeme COLLATE "C" AND k.objections > 0)
            UNION ALL
            SELECT g.n, 'g:' || g.group_id, s.lexemes,
                   CASE WHEN EXISTS (SELECT FROM spotted x WHERE x.n = g.n AND x.group_id = g.group_id AND x.term = s.term)
                        THEN 1.25 ELSE 1.1 END
            FROM (SELECT DISTINCT n, group_id FROM spotted) g
            CROSS JOIN LATERAL (SELECT s.term, s.lexemes FROM synonym_terms s WHERE s.group_id = g.group_id LIMIT 100) s
        ) a
    ),
    stems AS (
        SELECT DISTINCT a.n, l.lexeme FROM alternatives a CROSS JOIN LATERAL unnest(a.lexemes) l(lexeme)
    ),
    -- How many objections each stem points to (the vocabulary's count). A stem in more than v_common is common: it only
    -- adds to objections found by rarer ones (or, when a text has no rarer one, to those whose statement says it), so a
    -- search reads a bounded number of rows.
    rarity AS (
        SELECT s.n, s.lexeme, v.objections AS df FROM stems s CROSS JOIN LATERAL (
            SELECT v.objections FROM search_vocabulary v WHERE v.org_id = v_org AND v.lexeme = s.lexeme COLLATE "C" AND v.objections > 0 LIMIT 1) v
    ),
    hits AS (
        SELECT r.lexeme, p.objection_id, p.in_statement, p.phrasings FROM (SELECT DISTINCT lexeme FROM rarity WHERE df <= v_common) r
        CROSS JOIN LATERAL (
            SELECT t.objection_id, t.in_statement, t.phrasings FROM objection_terms t
            WHERE t.org_id = v_org AND t.lexeme = r.lexeme LIMIT 4 * v_common) p
    ),
    -- For a text with no rare stem, the statements that say one of its common stems (a few per stem): these are both its
    -- candidates and all the evidence counted for it (its common stems are not looked up among what reports taught).
    stated AS (
        SELECT r.n, r.lexeme, t.objection_id, r.df FROM rarity r CROSS JOIN LATERAL (
            SELECT t.objection_id FROM objection_terms t WHERE t.org_id = v_org AND t.lexeme = r.lexeme AND t.in_statement LIMIT 20) t
        WHERE r.df > v_common AND NOT EXISTS (SELECT FROM rarity x WHERE x.n = r.n AND x.df <= v_common)
    ),
    candidates AS (
        SELECT DISTINCT r.n, h.objection_id FROM rarity r JOIN hits h ON h.lexeme = r.lexeme WHERE r.df <= v_common
        UNION
        SELECT n, objection_id FROM stated
    ),
    -- Each text's stems among its own candidates, and how strongly each candidate says them.
    strengths AS (
        SELECT p.n, p.lexeme, p.objection_id, p.df, p.in_statement,
               CASE WHEN p.in_statement THEN 1.0 ELSE least(0.8, 0.4 + 0.1 * p.phrasings) END AS strength
        FROM (
            SELECT r.n, h.lexeme, h.objection_id, h.in_statement, h.phrasings, r.df
            FROM rarity r JOIN hits h ON h.lexeme = r.lexeme JOIN candidates c ON c.n = r.n AND c.objection_id = h.objection_id
            WHERE r.df <= v_common
            UNION ALL
            SELECT r.n, r.lexeme, t.objection_id, t.in_statement, t.phrasings, r.df
            FROM rarity r JOIN candidates c ON c.n = r.n CROSS JOIN LATERAL (
                SELECT t.objection_id, t.in_statement, t.phrasings FROM objection_terms t
                WHERE t.org_id = v_org AND t.lexeme = r.lexeme AND t.objection_id = c.objection_id LIMIT 1) t
            WHERE r.df > v_common AND EXISTS (SELECT FROM rarity x WHERE x.n = r.n AND x.df <= v_common)
            UNION ALL
            SELECT n, lexeme, objection_id, true, 0, df FROM stated) p
    ),
    matched AS (
        SELECT a.n, a.unit, x.objection_id, a.weight * min(x.strength) AS strength, max(x.df) AS df,
               count(*) FILTER (WHERE x.in_statement) AS said
        FROM alternatives a CROSS JOIN LATERAL unnest(a.lexemes) l(lexeme) JOIN strengths x ON x.n = a.n AND x.lexeme = l.lexeme
        GROUP BY a.alt, a.n, a.unit, a.weight, x.objection_id, cardinality(a.lexemes)
        HAVING count(*) = cardinality(a.lexemes)
    ),
    units AS (
        SELECT a.n, a.unit, ln(1 + v_objections / greatest(1, r.objections, r.common)) AS idf, r.unit IS NOT NULL AS known
        FROM (SELECT DISTINCT n, unit FROM alternatives) a LEFT JOIN (
            SELECT n, unit, count(DISTINCT objection_id) AS objections, max(df) FILTER (WHERE df > v_common) AS common
            FROM matched GROUP BY n, unit) r ON r.n = a.n AND r.unit = a.unit
    ),
    totals AS (
        SELECT n, sum(CASE WHEN known THEN idf ELSE idf / 2 END) AS weight FROM units GROUP BY n
    ),
    -- Summed over the text's units, times the share of the objection's statement the text says (0.8× for none of it,
    -- 1.2× for all of it).
    covered AS (
        SELECT s.n, s.objection_id, s.relevance * (0.8 + 0.4 * least(1.0, s.said::double precision
                   / greatest((SELECT statement_stems FROM objection_search WHERE objection_id = s.objection_id), 1))) AS relevance
        FROM (
            SELECT m.n, m.objection_id, sum(u.idf * m.strength) AS relevance, sum(m.said) AS said
            FROM (SELECT n, unit, objection_id, max(strength) AS strength, max(said) AS said FROM matched GROUP BY n, unit, objection_id) m
            JOIN units u ON u.n = m.n AND u.unit = m.unit
            GROUP BY m.n, m.objection_id) s
    ),
    ranked AS (
        SELECT s.n, o.id, o.statement, o.obstacle_id, o.status, o.merged_into_id, o.report_count, o.version, o.created_at,
               o.updated_at, least(1.0, s.relevance / t.weight) AS similarity, s.relevance,
               row_number() OVER (PARTITION BY s.n ORDER BY s.relevance DESC, o.report_count DESC, o.id) AS place
        FROM covered s JOIN totals t ON t.n = s.n CROSS JOIN LATERAL (
            SELECT o.* FROM objections o WHERE o.id = s.objection_id AND o.status = 'open' LIMIT 1) o
    )
    SELECT r.n, r.id, r.statement, r.obstacle_id, r.status, r.merged_into_id, r.report_count, r.version, r.created_at,
           r.updated_at, r.similarity, r.relevance
    FROM ranked r WHERE r.place <= p_limit ORDER BY r.n, r.place;
END
$$;
